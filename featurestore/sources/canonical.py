"""The "canonical" format: this project's own layout, as the demo generator writes it.

A folder with ``items.parquet`` (ITEMS_SCHEMA columns), optionally ``pairs.parquet`` (PAIRS_SCHEMA)
and ``source_embeddings.parquet`` (SOURCE_EMBEDDINGS_SCHEMA); or the items parquet file itself.
Relative image paths are resolved against the items file's folder, so the folder can be moved.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA, SOURCE_EMBEDDINGS_SCHEMA
from featurestore.sources._common import (
    SourceStats,
    SourceTables,
    find_files,
    finish_embeddings,
    finish_items,
    finish_pairs,
    label_expr,
    read_frame,
)

NAME = "canonical"


def resolve_paths_expr(column: str, base_dir: Path) -> pl.Expr:
    """Make every relative path in a list column absolute against ``base_dir``.

    Absolute paths and URLs (anything with ``://``) are kept as they are.
    """
    base = str(base_dir.resolve()) + "/"
    element = pl.element()
    keep = element.str.starts_with("/") | element.str.contains("://", literal=True)
    return pl.col(column).list.eval(
        pl.when(keep).then(element).otherwise(pl.lit(base) + element.str.strip_prefix("./"))
    )


def read(path: Path, **options: object) -> SourceTables:
    """Read a canonical source folder (or items parquet file). No options."""
    if options:
        raise TypeError(f"canonical source takes no options, got {sorted(options)}")
    stats = SourceStats()
    (items_file,) = find_files(path, ["items.parquet"], "items")[:1]
    items = read_frame(items_file, ITEMS_SCHEMA.names, stats)
    items = items.with_columns(resolve_paths_expr("image_paths", items_file.parent))

    folder = items_file.parent
    pairs = None
    if (folder / "pairs.parquet").is_file():
        pairs_file = folder / "pairs.parquet"
        pairs = read_frame(pairs_file, PAIRS_SCHEMA.names, stats)
        pairs = pairs.select(
            pl.col("item_id_1"),
            pl.col("item_id_2"),
            label_expr(pairs, "label", stats, str(pairs_file)),
        )
    embeddings = None
    if (folder / "source_embeddings.parquet").is_file():
        embeddings = read_frame(
            folder / "source_embeddings.parquet", SOURCE_EMBEDDINGS_SCHEMA.names, stats
        )
    return SourceTables(
        items=finish_items(items, stats, items_file.name),
        pairs=finish_pairs(pairs, stats, "pairs.parquet"),
        source_embeddings=finish_embeddings(embeddings),
        stats=stats,
    )
