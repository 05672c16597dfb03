"""Item vectors for feature computation: the item -> hash indexes joined to the embedding caches.

Returns one frame per embedding space (``item_id, photo_index, embedding``), the input that
``featurestore.features`` expects: ``title``, ``text``, ``attributes`` from the text model, ``photo``
from the image model, and ``src_<space>`` for vectors shipped with the source data.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from featurestore.catalog import list_partition_values, table_root


def _frame(keys: pl.DataFrame, vectors: np.ndarray) -> pl.DataFrame:
    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    return keys.with_columns(
        pl.Series("embedding", vectors.astype(np.float32), dtype=pl.Array(pl.Float32, dim))
    )


def item_vectors(
    store,
    snapshot: str,
    *,
    text_model_key: str | None,
    image_model_key: str | None,
    items: pl.Series | None = None,
) -> dict[str, pl.DataFrame]:
    """Vectors of the snapshot's items (restricted to ``items`` ids when given), by space."""
    from encoders.engine import load_vectors

    wanted = items.implode() if items is not None else None
    out: dict[str, pl.DataFrame] = {}

    def restrict(frame: pl.DataFrame) -> pl.DataFrame:
        return frame if wanted is None else frame.filter(pl.col("item_id").is_in(wanted))

    if text_model_key and store.files("item_text_index", {"snapshot": snapshot}):
        index = restrict(
            store.read("item_text_index", snapshot=snapshot)
            .filter(pl.col("model_key") == text_model_key, pl.col("content_hash").is_not_null())
            .unique(["item_id", "space"], keep="first")
            .collect()
        )
        for space, rows in index.partition_by("space", as_dict=True).items():
            vectors = load_vectors(
                store.root, "text", text_model_key, rows["content_hash"].to_arrow()
            )
            keys = rows.select("item_id", pl.lit(0, dtype=pl.Int16).alias("photo_index"))
            out[space[0]] = _frame(keys, vectors)
    if image_model_key and store.files("item_images", {"snapshot": snapshot}):
        photos = restrict(
            store.read("item_images", snapshot=snapshot)
            .filter(pl.col("image_hash").is_not_null())
            .unique(["item_id", "photo_index"], keep="first")
            .sort("item_id", "photo_index")
            .collect()
        )
        if len(photos):
            vectors = load_vectors(
                store.root, "image", image_model_key, photos["image_hash"].to_arrow()
            )
            out["photo"] = _frame(photos.select("item_id", "photo_index"), vectors)
    spaces = list_partition_values(table_root(store.root, "source_embeddings"), "space")
    for space in spaces:
        files = store.files("source_embeddings", {"space": space, "snapshot": snapshot})
        if not files:
            continue
        frame = restrict(pl.read_parquet(files, columns=["item_id", "photo_index", "embedding"]))
        dim = frame.schema["embedding"].shape[0] if len(frame) else 0
        out[f"src_{space}"] = frame.with_columns(
            pl.col("embedding").cast(pl.Array(pl.Float32, dim))
        )
    return out
