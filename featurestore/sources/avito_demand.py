"""Avito Demand Prediction (Kaggle 2018).

``train.csv`` / ``test.csv`` (or parquet) with ``item_id`` and ``title`` (required) and optionally
``user_id, region, city, parent_category_name, category_name, param_1, param_2, param_3,
description, price, item_seq_number, activation_date, user_type, image, image_top_1`` and
``deal_probability`` (the target; absent in the test set).

Mapping: ``user_id`` -> ``seller_id``; ``[parent_category_name, category_name]`` ->
``category_path``; ``param_1..3`` -> ``attributes`` (keys "param_1".."param_3"), together with
``user_type``, ``item_seq_number``, ``activation_date`` and ``image_top_1``, which have no canonical
column; ``image`` (an image id) -> one path via the template; ``deal_probability`` -> ``target``.

Options: ``images_dir`` (default: ``images`` next to the table), ``image_template`` (default
``"{images_dir}/{id}.jpg"``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from featurestore.sources._common import (
    SourceStats,
    SourceTables,
    as_float,
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

NAME = "avito_demand"
REQUIRED = ("item_id", "title")
OPTIONAL = (
    "user_id",
    "region",
    "city",
    "parent_category_name",
    "category_name",
    "param_1",
    "param_2",
    "param_3",
    "description",
    "price",
    "item_seq_number",
    "activation_date",
    "user_type",
    "image",
    "image_top_1",
    "deal_probability",
)
ATTRIBUTE_COLUMNS = (
    "param_1",
    "param_2",
    "param_3",
    "user_type",
    "item_seq_number",
    "activation_date",
    "image_top_1",
)


def _nonempty(expr: pl.Expr) -> pl.Expr:
    """A string column with empty strings turned into nulls (CSV writes missing values as "")."""
    s = expr.cast(pl.String).str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s).otherwise(None)


def read(
    path: Path,
    *,
    images_dir: str | Path | None = None,
    image_template: str = "{images_dir}/{id}.jpg",
) -> SourceTables:
    """Read one Avito demand table, or all parquet/CSV tables of a folder (train and test)."""
    stats = SourceStats()
    frames = []
    for file in find_files(path, ["*.parquet", "*.csv"], "avito_demand table"):
        df = ensure_columns(read_frame(file, REQUIRED, stats), OPTIONAL)
        img_dir = (
            str(Path(images_dir).resolve()) if images_dir else str(file.parent.resolve() / "images")
        )
        image = _nonempty(pl.col("image"))
        cat_path = pl.concat_list(
            [_nonempty(pl.col("parent_category_name")), _nonempty(pl.col("category_name"))]
        ).list.drop_nulls()
        frames.append(
            df.select(
                string_col(df, "item_id").alias("item_id"),
                string_col(df, "title").alias("title"),
                string_col(df, "description").alias("description"),
                pl.when(cat_path.list.len() > 0)
                .then(cat_path)
                .otherwise(None)
                .alias("category_path"),
                json_object_expr({c: _nonempty(pl.col(c)) for c in ATTRIBUTE_COLUMNS}).alias(
                    "attributes"
                ),
                as_float(df, "price", stats, f"{NAME}: price not numeric").alias("price"),
                _nonempty(pl.col("user_id")).alias("seller_id"),
                _nonempty(pl.col("city")).alias("city"),
                _nonempty(pl.col("region")).alias("region"),
                pl.when(image.is_not_null())
                .then(image_paths_expr(pl.concat_list([image]), image_template, img_dir))
                .otherwise(None)
                .alias("image_paths"),
                as_float(
                    df, "deal_probability", stats, f"{NAME}: deal_probability not numeric"
                ).alias("target"),
            )
        )
    return SourceTables(
        items=finish_items(pl.concat(frames, how="vertical"), stats, NAME),
        pairs=finish_pairs(None, stats, NAME),
        source_embeddings=finish_embeddings(None),
        stats=stats,
    )
