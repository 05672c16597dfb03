import numpy as np
import pyarrow as pa
import pytest
import torch

from encoders.cache import EmbeddingCache
from encoders.engine import embed_texts, load_vectors
from encoders.errors import ModelLoadError
from encoders.text import SentenceTransformerEncoder

TEXTS = [
    "Смартфон Apple iPhone 13 128 ГБ синий",
    "Кроссовки Nike Air Max",
    None,
    "",
    "Смартфон Apple iPhone 13 128 ГБ синий",
    "Winter jacket for women " * 10,
    "диван угловой",
    "Кроссовки Nike Air Max",
    "b",
]


class Counting:
    """Wraps an encoder and records every text it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.calls, self.seen = inner, 0, []
        self.model_key, self.dim, self.kind = inner.model_key, inner.dim, "text"
        self.prefix, self.output_dtype = inner.prefix, inner.output_dtype

    def encode(self, batch):
        self.calls += 1
        self.seen.extend(batch)
        return self.inner.encode(batch)


def test_output_order_and_dedup(tmp_path, text_encoder):
    enc = Counting(text_encoder)
    result = embed_texts(TEXTS, enc, str(tmp_path), chunk_rows=2, progress=False)
    assert len(result.hashes) == len(TEXTS)
    assert result.hashes[2].as_py() is None and result.hashes[3].as_py() is None
    assert sorted(enc.seen) == sorted({t for t in TEXTS if t})  # each distinct text once
    s = result.stats
    assert (s.rows, s.null_rows, s.distinct, s.encoded, s.cache_hits) == (9, 2, 5, 5, 0)
    assert s.chunks_written == 3
    vectors = load_vectors(str(tmp_path), "text", text_encoder.model_key, result.hashes)
    for i, text in enumerate(TEXTS):
        if text:
            np.testing.assert_allclose(vectors[i], text_encoder.encode([text])[0], atol=2e-3)
        else:
            assert np.isnan(vectors[i]).all()
    assert "cache_hit_rate" in s.as_metadata()


def test_rerun_hits_cache_with_zero_encoder_calls(tmp_path, text_encoder):
    embed_texts(TEXTS, text_encoder, str(tmp_path), progress=False)
    enc = Counting(text_encoder)
    result = embed_texts(TEXTS, enc, str(tmp_path), progress=False)
    assert enc.calls == 0 and result.stats.encoded == 0 and result.stats.cache_hit_rate == 1.0


def test_new_model_key_recomputes(tmp_path, text_model_dir, text_encoder):
    embed_texts(TEXTS, text_encoder, str(tmp_path), progress=False)
    other = SentenceTransformerEncoder(text_model_dir, device="cpu", preprocessing_version="2")
    assert other.model_key != text_encoder.model_key
    assert embed_texts(TEXTS, other, str(tmp_path), progress=False).stats.encoded == 5


def test_prefix_is_part_of_the_hash(tmp_path, text_model_dir, text_encoder):
    e5 = SentenceTransformerEncoder(text_model_dir, device="cpu", prefix="passage: ")
    plain = embed_texts(["a"], text_encoder, str(tmp_path), progress=False).hashes
    pref = embed_texts(["a"], e5, str(tmp_path), progress=False).hashes
    assert plain[0] != pref[0] and e5.model_key != text_encoder.model_key


def test_simulated_oom_halves_batch_and_returns_every_row(tmp_path, text_model_dir, monkeypatch):
    enc = SentenceTransformerEncoder(text_model_dir, device="cpu", token_budget=100_000)
    real = enc._forward
    sizes = []

    def flaky(ids, lengths, idx):
        sizes.append(len(idx))
        if len(idx) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(ids, lengths, idx)

    monkeypatch.setattr(enc, "_forward", flaky)
    texts = [f"товар номер {i}" for i in range(9)]
    result = embed_texts(texts, enc, str(tmp_path), progress=False)
    assert result.stats.oom_retries > 0 and result.stats.encoded == 9
    assert sizes[0] == 9 and max(sizes[1:]) <= 5
    monkeypatch.undo()
    vectors = load_vectors(str(tmp_path), "text", enc.model_key, result.hashes)
    np.testing.assert_allclose(vectors, enc.encode(texts), atol=2e-3)


def test_crash_after_first_chunk_resumes_without_duplicates(tmp_path, text_encoder):
    texts = [f"объявление {i}" for i in range(10)]

    def crash(n):
        if n == 1:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        embed_texts(
            texts, text_encoder, str(tmp_path), chunk_rows=4, after_chunk=crash, progress=False
        )
    enc = Counting(text_encoder)
    result = embed_texts(texts, enc, str(tmp_path), chunk_rows=4, progress=False)
    assert result.stats.cache_hits == 4 and len(enc.seen) == 6
    cache = EmbeddingCache(str(tmp_path), "text", text_encoder.model_key, text_encoder.dim)
    import pyarrow.parquet as pq

    stored = pa.concat_arrays(
        [pq.read_table(f).column("content_hash").combine_chunks() for f in cache.files]
    )
    assert len(stored) == 10 and len(set(stored.to_pylist())) == 10


def test_unreachable_model_raises_model_load_error_with_fix(tmp_path):
    with pytest.raises(ModelLoadError, match="local path"):
        SentenceTransformerEncoder("no-such-org/no-such-model", local_files_only=True)
    with pytest.raises(ModelLoadError, match="does not exist"):
        SentenceTransformerEncoder(str(tmp_path / "missing_model"))


def test_broadcast_key_mask_equals_plain_mask(text_model_dir):
    """The (rows, 1, 1, width) padding mask is on for the demo (SDPA) model and changes nothing."""
    enc = SentenceTransformerEncoder(text_model_dir, device="cpu", token_budget=256)
    texts = [t for t in TEXTS if t] + [f"товар {i} " * (i % 7 + 1) for i in range(40)]
    fast = enc.encode(texts)
    assert enc._key_mask
    enc._key_mask = False
    np.testing.assert_allclose(enc.encode(texts), fast, atol=1e-6)


def test_whitespace_only_texts_are_null_like_empty_ones(tmp_path, text_encoder):
    """'  ', NBSP, tabs: nothing to embed, so no vector (as for ''), not one shared by all of them.

    Embedded, every such text got the [CLS][SEP]-only vector, and any two items whose text was
    blank looked identical (cosine 1) to the pair features.
    """
    from encoders.hashing import text_hash

    texts = ["  ", "\u00a0", "\t\n", "\u3000 ", "товар", " товар "]
    enc = Counting(text_encoder)
    result = embed_texts(texts, enc, str(tmp_path), progress=False)
    assert [h is None for h in result.hashes.to_pylist()] == [True] * 4 + [False, False]
    assert sorted(enc.seen) == [" товар ", "товар"]  # texts with content are hashed as given
    assert (result.stats.null_rows, result.stats.distinct, result.stats.encoded) == (4, 2, 2)
    assert [h is None for h in text_hash(texts).to_pylist()] == [True] * 4 + [False, False]
