import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from encoders.aggregate import item_aggregates, item_photo_vectors
from encoders.cache import EmbeddingCache
from encoders.precomputed import normalize_source_embeddings
from featurestore.schemas import SOURCE_EMBEDDINGS_SCHEMA


def _source(rows):
    return pa.Table.from_pylist(rows, schema=SOURCE_EMBEDDINGS_SCHEMA)


def test_normalize_source_embeddings():
    table = _source(
        [
            {"item_id": "a", "space": "title", "photo_index": 0, "embedding": [3.0, 4.0]},
            {"item_id": "a", "space": "photo", "photo_index": 0, "embedding": [1.0, 0.0, 0.0]},
            {"item_id": "b", "space": "title", "photo_index": 0, "embedding": [0.0, -2.0]},
        ]
    )
    out = normalize_source_embeddings(table, "title")
    assert out.column("item_id").to_pylist() == ["a", "b"]
    assert out.schema.field("embedding").type.list_size == 2
    vec = np.array(out.column("embedding").to_pylist(), dtype=np.float32)
    np.testing.assert_allclose(vec, [[0.6, 0.8], [0.0, -1.0]], atol=1e-3)


def test_normalize_source_embeddings_errors_name_the_item():
    zero = _source([{"item_id": "z", "space": "t", "photo_index": 0, "embedding": [0.0, 0.0]}])
    with pytest.raises(ValueError, match="'z'"):
        normalize_source_embeddings(zero, "t")
    ragged = _source(
        [
            {"item_id": "a", "space": "t", "photo_index": 0, "embedding": [1.0, 0.0]},
            {"item_id": "r", "space": "t", "photo_index": 0, "embedding": [1.0]},
        ]
    )
    with pytest.raises(ValueError, match="row 1 .*'r'"):
        normalize_source_embeddings(ragged, "t")


def test_item_photo_vectors_and_aggregates(tmp_path):
    cache = EmbeddingCache(str(tmp_path), "image", "m", 2)
    cache.add(["h1", "h2", "h3"], np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32))
    photos = item_photo_vectors(
        ["x", "x", "y", "z", "y"], [1, 0, 0, 0, 1], ["h2", "h1", "h3", None, "gone"], cache
    )
    assert photos.height == 3  # null and uncached photos are left out, never zero-filled
    agg = item_aggregates(photos).sort("item_id")
    assert agg["item_id"].to_list() == ["x", "y"] and agg["n_photos"].to_list() == [2, 1]
    main = np.array(agg["main_embedding"].to_list())
    mean = np.array(agg["mean_embedding"].to_list())
    np.testing.assert_allclose(main[0], [1, 0], atol=1e-3)  # photo_index 0 is the main photo
    np.testing.assert_allclose(mean[0], [2**-0.5, 2**-0.5], atol=1e-3)
    np.testing.assert_allclose(mean[1], [0.6, 0.8], atol=1e-3)
    assert item_aggregates(photos.head(0)).height == 0 and isinstance(agg, pl.DataFrame)
