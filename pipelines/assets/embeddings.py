"""Group ``embeddings``: text and image vectors through the content-addressed cache, per shard.

Each (snapshot, shard) partition embeds the items its shard needs (see featurestore.sharding): what
the cache already holds for this model key is a hit and is not encoded again, so the nightly run
only pays for new or changed content. Both assets use the ``gpu`` pool: one GPU step at a time.
"""

import contextlib
import re

import dagster as dg
import numpy as np
import polars as pl
import pyarrow as pa

from featurestore import storage
from featurestore.itemtext import TEXT_SPACES, embedding_texts
from featurestore.schemas import ITEM_IMAGES_SCHEMA, ITEM_TEXT_INDEX_SCHEMA
from featurestore.sharding import shard_items
from featurestore.storage import WrittenFile
from featurestore.store import FeatureStore
from pipelines.metadata import preview
from pipelines.partitions import shard_of, snapshot_of
from pipelines.resources import ImageEncoderResource, StoreResource, TextEncoderResource

# Dependencies between a daily asset and a snapshot x shard asset need no explicit mapping: Dagster
# infers the mapping on the shared "snapshot" dimension (every shard of a snapshot <-> the snapshot).


def shard_part(shard: int, shards: int) -> str:
    return f"part-shard-{shard:03d}-of-{shards:03d}"


_SHARD_PART_RE = re.compile(r"part-shard-\d{3}-of-(\d{3})\.parquet")


def write_shard_part(
    store: FeatureStore,
    table: str,
    data: pl.DataFrame | pa.Table,
    *,
    partition: dict[str, str],
    shard: int,
    shards: int,
    schema: pa.Schema,
) -> WrittenFile:
    """Write shard ``shard``'s part of a partition and drop parts of another shard count.

    A snapshot run again after the shard count changed would otherwise keep the old count's
    parts beside the new ones, and every row would be there twice.
    """
    written = store.write(
        table, data, partition=partition, part=shard_part(shard, shards), schema=schema
    )
    for path in store.files(table, partition):
        match = _SHARD_PART_RE.fullmatch(path.rsplit("/", 1)[-1])
        if match and int(match.group(1)) != shards:
            fs, fs_path = storage.filesystem(path)
            with contextlib.suppress(FileNotFoundError):  # another shard removed it first
                fs.rm(fs_path)
    return written


def vector_check(vectors: np.ndarray, dim: int, check_name: str) -> dg.AssetCheckResult:
    """Blocking check: the model's dimension, no NaN, no zero vectors."""
    norms = np.linalg.norm(vectors, axis=1) if len(vectors) else np.zeros(0)
    nan_rows = int(np.isnan(vectors).any(axis=1).sum()) if len(vectors) else 0
    zero_rows = int((norms == 0).sum())
    right_dim = vectors.shape[1] == dim if vectors.ndim == 2 else False
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=right_dim and nan_rows == 0 and zero_rows == 0,
        metadata={
            "vectors_checked": len(vectors),
            "expected_dim": dim,
            "dim": int(vectors.shape[1]) if vectors.ndim == 2 else -1,
            "nan_vectors": nan_rows,
            "zero_vectors": zero_rows,
        },
    )


def _shard_items(store, snapshot: str, shard: int, shards: int) -> pl.DataFrame:
    items = store.read("clean_items", snapshot=snapshot).collect()
    pairs = store.read("pairs", snapshot=snapshot).collect()
    return shard_items(items, pairs, shard, shards)


def build(
    shard_partitions: dg.PartitionsDefinition, text_code_version: str, image_code_version: str
):
    @dg.asset(
        group_name="embeddings",
        partitions_def=shard_partitions,
        deps=["clean_items"],
        code_version=text_code_version,
        pool="gpu",
        kinds={"pytorch"},
        description="Sentence-transformers vectors of each item's title, full text and "
        "attributes, cached by content hash per model key; writes the item -> hash index.",
        check_specs=[
            dg.AssetCheckSpec(
                "text_vectors_valid",
                asset="text_embeddings",
                blocking=True,
                description="Model dimension, no NaN and no zero vectors.",
            )
        ],
    )
    def text_embeddings(
        context: dg.AssetExecutionContext, store: StoreResource, text_encoder: TextEncoderResource
    ) -> dg.MaterializeResult:
        from encoders.engine import embed_texts, load_vectors

        snapshot = snapshot_of(context)
        shard, shards = shard_of(context)
        fs = store.open()
        items = _shard_items(fs, snapshot, shard, shards)
        texts = embedding_texts(items, TEXT_SPACES)
        encoder = text_encoder.load()
        result = embed_texts(texts["text"].to_list(), encoder, store.root, progress=False)
        index = texts.select("item_id", "space").with_columns(
            pl.lit(encoder.model_key).alias("model_key"),
            pl.Series("content_hash", result.hashes),
        )
        write_shard_part(
            fs,
            "item_text_index",
            index,
            partition={"snapshot": snapshot},
            shard=shard,
            shards=shards,
            schema=ITEM_TEXT_INDEX_SCHEMA,
        )
        fs.refresh_catalog()
        distinct = index["content_hash"].drop_nulls().unique()
        vectors = load_vectors(
            store.root, "text", encoder.model_key, distinct.to_arrow(), dim=encoder.dim
        )
        return dg.MaterializeResult(
            metadata={
                "model_key": encoder.model_key,
                "items": len(items),
                "texts": len(texts),
                "empty_texts": index["content_hash"].null_count(),
                **result.stats.as_metadata(),
                "preview": preview(index),
            },
            check_results=[vector_check(vectors, encoder.dim, "text_vectors_valid")],
        )

    @dg.asset(
        group_name="embeddings",
        partitions_def=shard_partitions,
        deps=["clean_items"],
        code_version=image_code_version,
        pool="gpu",
        kinds={"pytorch"},
        description="open_clip vectors of every photo of every item, cached by image-bytes hash "
        "per model key. Unreadable photos (missing, empty, corrupt, truncated, not an image, "
        "decompression bombs) are counted and flagged per photo in item_images, never fatal.",
        check_specs=[
            dg.AssetCheckSpec(
                "image_vectors_valid",
                asset="image_embeddings",
                blocking=True,
                description="Model dimension, no NaN and no zero vectors.",
            )
        ],
    )
    def image_embeddings(
        context: dg.AssetExecutionContext, store: StoreResource, image_encoder: ImageEncoderResource
    ) -> dg.MaterializeResult:
        from encoders.engine import embed_images, load_vectors

        snapshot = snapshot_of(context)
        shard, shards = shard_of(context)
        fs = store.open()
        items = _shard_items(fs, snapshot, shard, shards)
        photos = (
            items.select("item_id", pl.col("image_paths").alias("path"))
            .explode("path")
            .filter(pl.col("path").is_not_null())
            .with_columns(
                pl.int_range(pl.len()).over("item_id").cast(pl.Int16).alias("photo_index")
            )
        )
        encoder = image_encoder.load()
        result = embed_images(photos["path"].to_list(), encoder, store.root)
        index = photos.with_columns(
            pl.Series("image_hash", result.hashes), pl.Series("status", result.status)
        )
        write_shard_part(
            fs,
            "item_images",
            index,
            partition={"snapshot": snapshot},
            shard=shard,
            shards=shards,
            schema=ITEM_IMAGES_SCHEMA,
        )
        fs.refresh_catalog()
        distinct = index["image_hash"].drop_nulls().unique()
        vectors = load_vectors(
            store.root, "image", encoder.model_key, distinct.to_arrow(), dim=encoder.dim
        )
        status_counts = dict(index.group_by("status").len().iter_rows())
        return dg.MaterializeResult(
            metadata={
                "model_key": encoder.model_key,
                "items": len(items),
                "photos": len(photos),
                "photo_status": dg.MetadataValue.json(status_counts),
                **result.stats.as_metadata(),
                "preview": preview(index, ["item_id", "photo_index", "status", "image_hash"]),
            },
            check_results=[vector_check(vectors, encoder.dim, "image_vectors_valid")],
        )

    return [text_embeddings, image_embeddings]
