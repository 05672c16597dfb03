import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from encoders.base import make_model_key
from encoders.cache import EmbeddingCache
from encoders.errors import CacheMissError


def _unit(n, dim, seed=0):
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_add_get_in_asked_order_and_float16_schema(tmp_path):
    cache = EmbeddingCache(str(tmp_path), "text", "m-1", 8)
    vec = _unit(3, 8)
    cache.add(["a", "b", "c"], vec)
    got = cache.get(["c", "a", "b", "a"])
    np.testing.assert_allclose(got, vec[[2, 0, 1, 0]], atol=1e-3)
    (part,) = cache.files
    assert "text_embeddings/model=m-1/part-" in part
    schema = pq.read_schema(part)
    assert schema.names == ["content_hash", "embedding"]
    emb_type = schema.field("embedding").type
    assert emb_type.list_size == 8 and emb_type.value_type == pa.float16()


def test_missing_raise_or_nan_and_lookup(tmp_path):
    cache = EmbeddingCache(str(tmp_path), "image", "m", 4)
    cache.add(["x"], _unit(1, 4))
    assert cache.lookup(["x", "y", None]).tolist() == [True, False, False]
    with pytest.raises(CacheMissError, match="row 1"):
        cache.get(["x", "y"])
    got = cache.get(["y", "x"], missing="nan")
    assert np.isnan(got[0]).all() and not np.isnan(got[1]).any()


def test_add_skips_known_and_repeated_hashes_and_new_instance_sees_parts(tmp_path):
    cache = EmbeddingCache(str(tmp_path), "text", "m", 4)
    cache.add(["a", "b"], _unit(2, 4))
    assert cache.add(["a", "b"], _unit(2, 4, seed=1)) is None
    cache.add(["c", "c", "a"], _unit(3, 4, seed=2))
    fresh = EmbeddingCache(str(tmp_path), "text", "m", 4)
    assert len(fresh) == 3 and len(fresh.files) == 2


def test_dim_mismatch_and_unsafe_key(tmp_path):
    EmbeddingCache(str(tmp_path), "text", "m", 4).add(["a"], _unit(1, 4))
    with pytest.raises(ValueError, match="expected 8-dim"):
        EmbeddingCache(str(tmp_path), "text", "m", 8).lookup(["a"])
    with pytest.raises(ValueError, match="path segment"):
        EmbeddingCache(str(tmp_path), "text", "a/b", 4)


def test_model_key_is_path_safe_and_changes_with_spec():
    k1 = make_model_key("hf-hub:Marqo/marqo-ecommerce-embeddings-B", {"rev": None})
    k2 = make_model_key("hf-hub:Marqo/marqo-ecommerce-embeddings-B", {"rev": "abc"})
    assert k1 != k2 and "/" not in k1 and ":" not in k1


def test_index_reads_only_hash_columns_and_get_reads_vectors(tmp_path, monkeypatch):
    EmbeddingCache(str(tmp_path), "text", "m", 4).add(["a", "b"], _unit(2, 4))
    read_columns = []
    real_read = pq.ParquetFile.read

    def spy(self, columns=None, **kwargs):
        read_columns.append(tuple(columns or ()))
        return real_read(self, columns=columns, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read", spy)
    fresh = EmbeddingCache(str(tmp_path), "text", "m", 4)
    assert fresh.lookup(["b", "z"]).tolist() == [True, False]
    assert read_columns == [("content_hash",)]  # the index never loads vectors
    np.testing.assert_allclose(fresh.get(["b"]), _unit(2, 4)[[1]], atol=1e-3)


@pytest.mark.parametrize("content", [b"", b"PAR1 cut off by an interrupted copy"])
def test_unreadable_part_file_is_named_in_the_error(tmp_path, content):
    """A part left empty or cut off by a copy of the cache (not by our atomic writes) must be
    named, so the user knows which of many part files to remove."""
    cache = EmbeddingCache(str(tmp_path), "text", "m-1", 4)
    cache.add(["a", "b"], _unit(2, 4))
    bad = tmp_path / "text_embeddings" / "model=m-1" / "part-zz-copied.parquet"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match="part-zz-copied.parquet"):
        EmbeddingCache(str(tmp_path), "text", "m-1", 4).lookup(["a"])
