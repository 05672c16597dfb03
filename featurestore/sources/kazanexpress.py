"""KazanExpress product categorisation (2022).

One table per split (``train.parquet``, ``test.parquet`` or CSV) with ``product_id`` and ``title``
(required) and optionally ``description`` (HTML), ``attributes`` (JSON-ish: a JSON or Python-literal
dict, or a list of ``"key: value"`` strings), ``rating``, ``feedback_quantity``, ``shop_id``,
``shop_title`` and ``category_id`` (the label; absent in the test split). Some copies of the data use
``short_description`` and ``name_value_characteristics`` for description and attributes; those
names are accepted too. Photos are ``<images_dir>/<product_id>.jpg``.

``shop_id`` becomes ``seller_id``. ``rating``, ``feedback_quantity`` and ``shop_title`` have no
canonical column, so they are kept inside ``attributes`` under those names.

Options: ``images_dir`` (default: ``images`` next to the table), ``image_template`` (default
``"{images_dir}/{id}.jpg"``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from featurestore.sources._common import (
    SourceStats,
    SourceTables,
    canonical_attributes,
    ensure_columns,
    find_files,
    finish_embeddings,
    finish_items,
    finish_pairs,
    image_paths_expr,
    json_object_expr,
    read_frame,
    string_col,
)
from featurestore.sources.ozon import merge_json_objects

NAME = "kazanexpress"
REQUIRED = ("product_id", "title")
ALIASES = {"short_description": "description", "name_value_characteristics": "attributes"}
OPTIONAL = ("description", "attributes", "rating", "feedback_quantity", "shop_id", "shop_title")


def read(
    path: Path,
    *,
    images_dir: str | Path | None = None,
    image_template: str = "{images_dir}/{id}.jpg",
) -> SourceTables:
    """Read one KazanExpress table, or all parquet/CSV tables of a folder (train and test)."""
    stats = SourceStats()
    frames = []
    for file in find_files(path, ["*.parquet", "*.csv"], "kazanexpress table"):
        df = read_frame(file, REQUIRED, stats)
        df = df.rename(
            {a: c for a, c in ALIASES.items() if a in df.columns and c not in df.columns}
        )
        df = ensure_columns(df, OPTIONAL)
        img_dir = (
            str(Path(images_dir).resolve()) if images_dir else str(file.parent.resolve() / "images")
        )
        item_id = pl.col("product_id").cast(pl.String)
        attrs = canonical_attributes(
            df["attributes"].cast(pl.String), stats, f"{NAME}: attributes not parseable"
        )
        extra = json_object_expr(
            {
                "shop_title": string_col(df, "shop_title"),
                # NaN is not a JSON number (json_encode writes null): a missing rating
                "rating": pl.col("rating").cast(pl.Float64, strict=False).fill_nan(None),
                "feedback_quantity": pl.col("feedback_quantity").cast(pl.Int64, strict=False),
            }
        )
        frames.append(
            df.with_columns(attrs.alias("_attrs")).select(
                item_id.alias("item_id"),
                string_col(df, "title").alias("title"),
                string_col(df, "description").alias("description"),
                merge_json_objects(pl.col("_attrs"), extra).alias("attributes"),
                string_col(df, "shop_id").alias("seller_id"),
                pl.when(item_id.is_not_null())
                .then(image_paths_expr(pl.concat_list([item_id]), image_template, img_dir))
                .otherwise(None)
                .alias("image_paths"),
                string_col(df, "category_id").alias("category_id"),
            )
        )
    return SourceTables(
        items=finish_items(pl.concat(frames, how="vertical"), stats, NAME),
        pairs=finish_pairs(None, stats, NAME),
        source_embeddings=finish_embeddings(None),
        stats=stats,
    )
