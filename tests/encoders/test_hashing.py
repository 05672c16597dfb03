import hashlib

import pyarrow as pa

from encoders.hashing import image_hash, text_hash


def test_text_hash_is_blake2b_128_of_utf8_and_null_for_empty():
    texts = ["Смартфон", "", None, "Смартфон", "phone"]
    got = text_hash(texts).to_pylist()
    ref = hashlib.blake2b("Смартфон".encode(), digest_size=16).hexdigest()
    assert got[0] == ref and got[3] == ref
    assert got[1] is None and got[2] is None
    assert got[4] == hashlib.blake2b(b"phone", digest_size=16).hexdigest()
    assert len(ref) == 32


def test_text_hash_accepts_arrow_and_chunked():
    arr = pa.chunked_array([["a", None], ["b"]], type=pa.large_string())
    assert text_hash(arr).to_pylist() == text_hash(["a", None, "b"]).to_pylist()


def test_image_hash():
    assert image_hash(b"\x00\x01") == hashlib.blake2b(b"\x00\x01", digest_size=16).hexdigest()
