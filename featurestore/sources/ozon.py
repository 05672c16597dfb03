"""Ozon Tech ML Competition 2023 (product matching).

Files, found by name inside the source folder (or given with options):

- pairs: ``train_pairs.parquet`` / ``test_pairs*.parquet`` with ``variantid1, variantid2`` and
  ``target`` (1 = same product; absent in the test set, labels are then null);
- data: ``train_data.parquet`` / ``test_data.parquet`` with ``variantid, name`` (required) and
  optionally ``description``, ``categories`` (JSON string ``{"1": ..., "2": ..., "3": ..., "4": ...}``,
  the category levels), ``characteristic_attributes_mapping`` (JSON string: key -> list of values),
  ``color_parsed`` (list of colour names), ``pic_embeddings_resnet_v1`` (list of vectors: extra
  pictures), ``main_pic_embeddings_resnet_v1`` (list with one vector: the main picture) and
  ``name_bert_64`` (64-d vector of the name).

Ozon gives no photos, sellers or prices, so those columns are null. The vectors go to
``source_embeddings``: space "title" (name_bert_64, photo_index 0) and space "photo" (main picture
= photo_index 0, extra pictures 1..k). Attribute value lists are joined with ", "; ``color_parsed``
is added to the attributes under that key.

Options: ``data_files`` / ``pairs_files`` (lists of paths) to name the files explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from featurestore.sources._common import (
    SourceFormatError,
    SourceStats,
    SourceTables,
    canonical_attributes,
    find_files,
    finish_embeddings,
    finish_items,
    finish_pairs,
    json_object_expr,
    label_expr,
    read_frame,
    string_col,
)

NAME = "ozon"
DATA_REQUIRED = ("variantid", "name")
PAIRS_REQUIRED = ("variantid1", "variantid2")
CATEGORY_LEVELS = ("1", "2", "3", "4")
_CATEGORY_DTYPE = pl.Struct({level: pl.String for level in CATEGORY_LEVELS})


def category_paths(df: pl.DataFrame, file: Path) -> pl.Series:
    """The category levels "1".."4" of the ``categories`` JSON as a list (nulls dropped).

    Category strings repeat a lot, so only the distinct ones are decoded (polars json_decode
    against a fixed struct) and joined back. If some row is not valid JSON the error names the
    file, the column and the first bad row.
    """
    if "categories" not in df.columns:
        return pl.Series("category_path", [None] * df.height, dtype=pl.List(pl.String))
    column = df["categories"].cast(pl.String)
    distinct = column.drop_nulls().unique().to_frame("categories")
    try:
        decoded = distinct.select(pl.col("categories").str.json_decode(_CATEGORY_DTYPE))
    except pl.exceptions.PolarsError as exc:
        for row, text in enumerate(column.to_list()):
            if text is None:
                continue
            try:
                json.loads(text)
            except ValueError:
                raise SourceFormatError(
                    f"{file}: column 'categories', row {row}: not valid JSON: {text[:80]!r}"
                ) from exc
        raise
    levels = decoded["categories"].struct.unnest()
    path = levels.select(pl.concat_list(list(CATEGORY_LEVELS)).list.drop_nulls().alias("p"))["p"]
    lookup = distinct.with_columns(
        pl.when(path.list.len() > 0).then(path).otherwise(None).alias("category_path")
    )
    joined = column.to_frame("categories").join(
        lookup, on="categories", how="left", maintain_order="left"
    )
    return joined["category_path"]


def _colour_expr(df: pl.DataFrame) -> pl.Expr:
    """``color_parsed`` as one string (list joined with ", "), null when absent or empty."""
    if "color_parsed" not in df.columns:
        return pl.lit(None, dtype=pl.String)
    col = pl.col("color_parsed")
    if isinstance(df.schema["color_parsed"], pl.List):
        col = col.cast(pl.List(pl.String)).list.join(", ")
    col = col.cast(pl.String)
    return pl.when(col.str.len_chars() > 0).then(col.cast(pl.String)).otherwise(None)


def merge_json_objects(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Concatenate two JSON-object string columns (either may be null) into one object."""
    return (
        pl.when(a.is_null())
        .then(b)
        .when(b.is_null())
        .then(a)
        .when(a == "{}")
        .then(b)
        .otherwise(a.str.strip_suffix("}") + pl.lit(",") + b.str.strip_prefix("{"))
    )


def _embeddings(df: pl.DataFrame) -> pl.DataFrame | None:
    """Long table of the source vectors: (item_id, space, photo_index, embedding)."""
    parts = []
    if "name_bert_64" in df.columns:
        parts.append(
            df.select(
                pl.col("item_id"),
                pl.lit("title").alias("space"),
                pl.lit(0, dtype=pl.Int16).alias("photo_index"),
                pl.col("name_bert_64").cast(pl.List(pl.Float32)).alias("embedding"),
            )
        )
    if "main_pic_embeddings_resnet_v1" in df.columns:
        parts.append(
            df.select(
                pl.col("item_id"),
                pl.lit("photo").alias("space"),
                pl.lit(0, dtype=pl.Int16).alias("photo_index"),
                pl.col("main_pic_embeddings_resnet_v1")
                .list.first()
                .cast(pl.List(pl.Float32))
                .alias("embedding"),
            )
        )
    if "pic_embeddings_resnet_v1" in df.columns:
        extra = (
            df.select(pl.col("item_id"), pl.col("pic_embeddings_resnet_v1").alias("embedding"))
            .filter(pl.col("embedding").list.len() > 0)
            .with_columns(
                pl.int_ranges(1, pl.col("embedding").list.len() + 1, dtype=pl.Int16).alias(
                    "photo_index"
                )
            )
            .explode(["embedding", "photo_index"])
            .select(
                pl.col("item_id"),
                pl.lit("photo").alias("space"),
                pl.col("photo_index"),
                pl.col("embedding").cast(pl.List(pl.Float32)),
            )
        )
        parts.append(extra)
    if not parts:
        return None
    out = pl.concat(parts, how="vertical")
    return out.filter(pl.col("embedding").is_not_null() & pl.col("item_id").is_not_null())


def read(
    path: Path,
    *,
    data_files: Sequence[str | Path] | None = None,
    pairs_files: Sequence[str | Path] | None = None,
) -> SourceTables:
    """Read the Ozon data and pair files of a folder (train and test together)."""
    stats = SourceStats()
    if data_files is None:
        data_paths = find_files(path, ["*_data*.parquet", "*data*.parquet"], "ozon data")
    else:
        data_paths = [Path(p) for p in data_files]
    if pairs_files is None:
        pairs_paths = (
            find_files(path, ["*_pairs*.parquet", "*pairs*.parquet"], "ozon pairs", required=False)
            if path.is_dir()
            else []
        )
    else:
        pairs_paths = [Path(p) for p in pairs_files]

    item_frames, emb_frames = [], []
    seen = pl.Series("item_id", [], dtype=pl.String)  # ids of the data rows read so far
    for file in data_paths:
        df = read_frame(file, DATA_REQUIRED, stats)
        df = df.with_columns(pl.col("variantid").cast(pl.String).alias("item_id"))
        attrs = (
            canonical_attributes(
                df["characteristic_attributes_mapping"],
                stats,
                f"{NAME}: characteristic_attributes_mapping not parseable",
            )
            if "characteristic_attributes_mapping" in df.columns
            else pl.Series([None] * df.height, dtype=pl.String)
        )
        df = df.with_columns(attrs.alias("_attrs"))
        item_frames.append(
            df.select(
                pl.col("item_id"),
                string_col(df, "name").alias("title"),
                string_col(df, "description").alias("description"),
                pl.Series("category_path", category_paths(df, file)),
                merge_json_objects(
                    pl.col("_attrs"), json_object_expr({"color_parsed": _colour_expr(df)})
                ).alias("attributes"),
            )
        )
        # vectors only of the rows finish_items keeps (an id's first row over all files), so a
        # repeated item does not get its vectors twice
        first = df["item_id"].is_first_distinct() & ~df["item_id"].is_in(seen.implode())
        seen = pl.concat([seen, df["item_id"]])
        emb = _embeddings(df.filter(first))
        if emb is not None:
            emb_frames.append(emb)

    pair_frames = []
    for file in pairs_paths:
        df = read_frame(file, PAIRS_REQUIRED, stats)
        pair_frames.append(
            df.select(
                pl.col("variantid1").cast(pl.String).alias("item_id_1"),
                pl.col("variantid2").cast(pl.String).alias("item_id_2"),
                label_expr(df, "target", stats, NAME).alias("label"),
            )
        )
    return SourceTables(
        items=finish_items(pl.concat(item_frames, how="vertical"), stats, NAME),
        pairs=finish_pairs(pl.concat(pair_frames) if pair_frames else None, stats, NAME),
        source_embeddings=finish_embeddings(
            pl.concat(emb_frames, how="vertical") if emb_frames else None
        ),
        stats=stats,
    )
