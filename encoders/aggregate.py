"""Multi-photo cards: per-photo vectors and item-level aggregates (main photo, mean over photos).

Pair features (max / mean cosine over photo pairs) are computed in ``featurestore.features`` from
``item_photo_vectors``; this module only gathers vectors and reduces them per item, with numpy
``reduceat`` over rows sorted by item rather than a loop per item.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import pyarrow as pa

from encoders.base import l2_normalize
from encoders.cache import EmbeddingCache


def item_photo_vectors(
    item_ids: Sequence[str] | pa.Array,
    photo_index: Sequence[int] | pa.Array,
    hashes: Sequence[str | None] | pa.Array,
    cache: EmbeddingCache,
) -> pl.DataFrame:
    """One row per photo that has a vector: item_id, photo_index, embedding (list of float32).

    Photos whose hash is null (failed image) or absent from the cache are left out, so an item
    with no usable photo has no rows (and no aggregate) rather than a zero vector.
    """
    ids = pa.array(item_ids, pa.string()) if not isinstance(item_ids, pa.Array) else item_ids
    pidx = (
        pa.array(photo_index, pa.int16()) if not isinstance(photo_index, pa.Array) else photo_index
    )
    hash_arr = pa.array(hashes, pa.string()) if not isinstance(hashes, pa.Array) else hashes
    vectors = cache.get(hash_arr, missing="nan")
    keep = ~np.isnan(vectors).any(axis=1)
    sel = pa.array(np.flatnonzero(keep))
    return pl.DataFrame(
        {
            "item_id": pl.Series(ids.take(sel)).cast(pl.String),
            "photo_index": pl.Series(pidx.take(sel)).cast(pl.Int16),
            "embedding": pl.Series(vectors[keep], dtype=pl.Array(pl.Float32, cache.dim)),
        }
    )


def item_aggregates(photos: pl.DataFrame) -> pl.DataFrame:
    """Per item: ``main_embedding`` (lowest photo_index), ``mean_embedding`` (re-normalised mean)
    and ``n_photos``. Input is ``item_photo_vectors``' output."""
    if photos.height == 0:
        dim = photos.schema["embedding"].size if "embedding" in photos.schema else 0
        return pl.DataFrame(
            schema={
                "item_id": pl.String,
                "n_photos": pl.UInt32,
                "main_embedding": pl.Array(pl.Float32, dim),
                "mean_embedding": pl.Array(pl.Float32, dim),
            }
        )
    ordered = photos.sort(["item_id", "photo_index"])
    vectors = ordered["embedding"].to_numpy().astype(np.float32)
    ids = ordered["item_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    counts = np.diff(np.r_[starts, len(ids)])
    sums = np.add.reduceat(vectors, starts, axis=0)
    dim = vectors.shape[1]
    return pl.DataFrame(
        {
            "item_id": pl.Series(ids[starts], dtype=pl.String),
            "n_photos": pl.Series(counts, dtype=pl.UInt32),
            "main_embedding": pl.Series(vectors[starts], dtype=pl.Array(pl.Float32, dim)),
            "mean_embedding": pl.Series(l2_normalize(sums), dtype=pl.Array(pl.Float32, dim)),
        }
    )
