"""The texts of an item that get embedded, built the same way wherever they are needed.

Spaces: ``title`` (the cleaned title), ``text`` (cleaned title and description), ``attributes``
(the attribute dict rendered as ``key: value`` lines, keys sorted so reordered dicts match).
"""

from __future__ import annotations

import json

import polars as pl

TEXT_SPACES = ("title", "text", "attributes")
#: Descriptions are cut to this many characters before embedding (encoders truncate tokens anyway).
MAX_DESCRIPTION_CHARS = 2000


def _col(items: pl.DataFrame, name: str) -> pl.Expr:
    """The cleaned column when textclean has run, else the raw one."""
    return pl.col(f"{name}_clean") if f"{name}_clean" in items.columns else pl.col(name)


def attributes_text(attributes: pl.Series) -> pl.Series:
    """Render JSON attribute dicts as sorted ``key: value`` lines; null or ``{}`` gives null."""
    distinct = attributes.unique().drop_nulls()
    rendered = {}
    for raw in distinct.to_list():
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            rendered[raw] = None
            continue
        if not isinstance(value, dict) or not value:
            rendered[raw] = None
            continue
        rendered[raw] = "\n".join(f"{k}: {_scalar(v)}" for k, v in sorted(value.items()))
    return attributes.replace_strict(rendered, default=None, return_dtype=pl.String)


def _scalar(value: object) -> str:
    """A value as text; JSON null (alone or in a list) is missing, so it renders as nothing."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if v is not None)
    return str(value)


def embedding_texts(items: pl.DataFrame, spaces: tuple[str, ...] = TEXT_SPACES) -> pl.DataFrame:
    """Long frame ``item_id, space, text`` (text null when the item has nothing for that space)."""
    title = _col(items, "title")
    desc = _col(items, "description").str.slice(0, MAX_DESCRIPTION_CHARS)
    frames = []
    if "title" in spaces:
        frames.append(items.select("item_id", pl.lit("title").alias("space"), title.alias("text")))
    if "text" in spaces:
        joined = pl.concat_str([title, desc], separator="\n", ignore_nulls=True).str.strip_chars()
        frames.append(items.select("item_id", pl.lit("text").alias("space"), joined.alias("text")))
    if "attributes" in spaces and "attributes" in items.columns:
        frames.append(
            pl.DataFrame(
                {
                    "item_id": items["item_id"],
                    "space": "attributes",
                    "text": attributes_text(items["attributes"]),
                }
            )
        )
    out = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema={"item_id": pl.String, "space": pl.String, "text": pl.String})
    )
    # Empty strings carry nothing to embed: make them null so they are counted, not embedded.
    return out.with_columns(
        pl.when(pl.col("text").str.strip_chars() == "")
        .then(None)
        .otherwise(pl.col("text"))
        .alias("text")
    )
