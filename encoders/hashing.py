"""Content hashes that key the embedding caches: lowercase hex BLAKE2b-128.

A text is hashed over the UTF-8 bytes of exactly what the encoder sees (after the model's prefix),
an image over the raw bytes of its file. Hashing runs over DISTINCT values only (Arrow dictionary
encoding), so a corpus with repeats hashes each text once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

DIGEST_SIZE = 16  # bytes -> 32 hex characters


def blake2b_hex(data: bytes) -> str:
    """BLAKE2b-128 of ``data`` as 32 lowercase hex characters."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).hexdigest()


def as_string_array(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """``texts`` as one Arrow string array (large_string and chunked inputs are combined)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(list(texts), type=pa.string())
    if not pa.types.is_string(texts.type):
        texts = texts.cast(pa.string())
    return texts


def blank_to_null(arr: pa.Array) -> pa.Array:
    """Null where a text is empty or only white space (Unicode: NBSP, ideographic space, ...).

    Such a text has nothing to embed: encoded, it would get the vector of the special tokens
    alone, the same for all of them, and blank items would look like duplicates of each other.
    Texts with content are kept exactly as given (their hashes do not change).
    """
    blank = pc.equal(pc.utf8_trim_whitespace(arr), "")
    return pc.if_else(blank, pa.scalar(None, pa.string()), arr)


def text_hash(texts: Sequence[str | None] | pa.Array | pa.ChunkedArray) -> pa.Array:
    """Hash each text; null for null, empty or white-space-only text. Aligned with the input."""
    arr = blank_to_null(as_string_array(texts))
    encoded = arr.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    digests = pa.array([blake2b_hex(t.encode("utf-8")) for t in distinct], type=pa.string())
    return pc.take(digests, encoded.indices)


def image_hash(data: bytes) -> str:
    """Hash the raw bytes of one image file."""
    return blake2b_hex(data)
