"""Avito Duplicate Ads Detection (Kaggle 2016) in the pair-wide layout.

One row per candidate pair, each side's ad in ``base_*`` / ``cand_*`` columns:
``base_item_id, cand_item_id, base_title, cand_title`` (required) and optionally
``*_description, *_attrsJSON, *_category_name, *_parent_category_name, *_categoryID,
*_images_array, *_price, *_locationID, *_regionID, *_metroID, *_lat, *_lon`` and ``is_double``
(absent in the test set: labels are then null). Items are taken from both sides and de-duplicated
by id (an ad appears in many pairs); pairs come from the rows.

Options: ``images_dir`` (default: the source file's folder) and ``image_template`` (default
``"{images_dir}/{id}.jpg"``; Avito's own layout ``Images_X/NN/<id>.jpg`` can be written with the
placeholders ``{id_last2}`` / ``{id_mod100}``, see ``_common.image_paths_expr``).
``locationID`` becomes ``city`` and ``regionID`` ``region`` (Avito only gives ids).
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
    label_expr,
    read_frame,
    string_col,
)

NAME = "avito_dups"
SIDES = ("base", "cand")
REQUIRED = [f"{s}_{c}" for s in SIDES for c in ("item_id", "title")]
OPTIONAL_SIDE_COLUMNS = (
    "description",
    "attrsJSON",
    "category_name",
    "parent_category_name",
    "categoryID",
    "images_array",
    "price",
    "locationID",
    "regionID",
)


def id_list_expr(column: str) -> pl.Expr:
    """Comma-separated ids ("1064094, 5252822") -> list of ids; empty string or null -> null."""
    ids = (
        pl.col(column)
        .cast(pl.String)
        .str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    )
    return pl.when(ids.list.len() > 0).then(ids).otherwise(None)


def _side_items(
    df: pl.DataFrame, side: str, stats: SourceStats, images_dir: str, template: str
) -> pl.DataFrame:
    """The ads of one side of the pair table, in canonical column names."""
    c = {name: f"{side}_{name}" for name in OPTIONAL_SIDE_COLUMNS}
    path = pl.concat_list(
        [string_col(df, c["parent_category_name"]), string_col(df, c["category_name"])]
    ).list.drop_nulls()
    price = pl.col(c["price"])
    if df.schema[c["price"]] == pl.String:
        price = price.str.strip_chars()
    out = df.select(
        string_col(df, f"{side}_item_id").alias("item_id"),
        string_col(df, f"{side}_title").alias("title"),
        string_col(df, c["description"]).alias("description"),
        pl.when(path.list.len() > 0).then(path).otherwise(None).alias("category_path"),
        price.cast(pl.Float64, strict=False).alias("price"),
        (pl.col(c["price"]).is_not_null() & price.cast(pl.Float64, strict=False).is_null()).alias(
            "_bad_price"
        ),
        string_col(df, c["locationID"]).alias("city"),
        string_col(df, c["regionID"]).alias("region"),
        image_paths_expr(id_list_expr(c["images_array"]), template, images_dir).alias(
            "image_paths"
        ),
        string_col(df, c["categoryID"]).alias("category_id"),
        string_col(df, c["attrsJSON"]).alias("_attrs_raw"),
    )
    stats.invalid("avito_dups: price not numeric", int(out["_bad_price"].sum()))
    return out.drop("_bad_price")


def read(
    path: Path,
    *,
    images_dir: str | Path | None = None,
    image_template: str = "{images_dir}/{id}.jpg",
) -> SourceTables:
    """Read one pair-wide file, or every parquet/CSV file in a folder (e.g. train and test)."""
    stats = SourceStats()
    files = find_files(path, ["*.parquet", "*.csv"], "avito_dups pair table")
    side_frames, pair_frames = [], []
    for file in files:
        df = read_frame(file, REQUIRED, stats)
        df = ensure_columns(df, [f"{s}_{c}" for s in SIDES for c in OPTIONAL_SIDE_COLUMNS])
        img_dir = str(Path(images_dir).resolve()) if images_dir else str(file.parent.resolve())
        for side in SIDES:
            side_frames.append(_side_items(df, side, stats, img_dir, image_template))
        pair_frames.append(
            df.select(
                string_col(df, "base_item_id").alias("item_id_1"),
                string_col(df, "cand_item_id").alias("item_id_2"),
                label_expr(df, "is_double", stats, NAME).alias("label"),
            )
        )
    sides = pl.concat(side_frames, how="vertical")
    # Ads repeat across pairs: keep each id once (first occurrence), before any parsing.
    sides = sides.unique(subset="item_id", keep="first", maintain_order=True)
    sides = sides.with_columns(
        canonical_attributes(sides["_attrs_raw"], stats, f"{NAME}: attrsJSON not parseable").alias(
            "attributes"
        )
    ).drop("_attrs_raw")
    return SourceTables(
        items=finish_items(sides, stats, NAME),
        pairs=finish_pairs(pl.concat(pair_frames, how="vertical"), stats, NAME),
        source_embeddings=finish_embeddings(None),
        stats=stats,
    )
