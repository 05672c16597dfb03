"""Reading the pipeline's items table: which column feeds which text field, attribute parsing.

Optional columns may be missing: a missing source column gives an all-null field (its features are
then NaN), never an error and never a made-up value.
"""

from __future__ import annotations

import json

import polars as pl

ATTRIBUTES_SCHEMA = {"row": pl.Int64, "key": pl.String, "value": pl.String}


def _col(items: pl.DataFrame, *names: str) -> pl.Series:
    """The first present column of ``names`` as strings, else an all-null string Series."""
    for name in names:
        if name in items.columns:
            return items[name].cast(pl.String)
    return pl.Series(names[0], [None] * items.height, dtype=pl.String)


def parse_attributes(items: pl.DataFrame) -> pl.DataFrame:
    """Long table (row, key, value) of the attribute JSON objects; values as lower-cased strings.

    JSON is parsed once per distinct attribute string (a loop over distinct values, not rows) into
    flat key / value lists (building polars list columns from Python lists is ~20x slower).
    Unparseable or non-object JSON counts as no attributes for that card. Keys are stripped and
    lower-cased; two keys equal after that are one key (one row) with the value of the last one.
    """
    if "attributes" not in items.columns:
        return pl.DataFrame(schema=ATTRIBUTES_SCHEMA)
    col = items["attributes"].cast(pl.String)
    distinct = col.drop_nulls().unique()
    owner: list[int] = []  # index into ``distinct`` of each (key, value)
    keys: list[str] = []
    values: list[str] = []
    for i, raw in enumerate(distinct.to_list()):
        try:
            obj = json.loads(raw)
        except (ValueError, TypeError):
            continue
        if not isinstance(obj, dict) or not obj:
            continue
        lookup = {str(k).strip().lower(): v for k, v in obj.items()}
        ks = sorted(lookup)  # one row per key: keys equal after strip + lower are one key
        owner.extend([i] * len(ks))
        keys.extend(ks)
        values.extend("" if lookup[k] is None else str(lookup[k]).strip().lower() for k in ks)
    long = pl.DataFrame(
        {"a": owner, "key": keys, "value": values},
        schema={"a": pl.Int64, "key": pl.String, "value": pl.String},
    )
    rows = pl.DataFrame({"row": pl.int_range(items.height, eager=True), "attributes": col})
    which = pl.DataFrame({"attributes": distinct}).with_row_index("a").cast({"a": pl.Int64})
    return (
        rows.join(which, on="attributes", how="inner")
        .join(long.filter(pl.col("key") != ""), on="a", how="inner")
        .select("row", "key", "value")
        .sort("row", "key", maintain_order=True)
        .cast(ATTRIBUTES_SCHEMA)
    )


def attributes_text(items: pl.DataFrame, attrs: pl.DataFrame | None = None) -> pl.Series:
    """Attribute dicts rendered as text, one 'key value' line per key in key order; null if none."""
    attrs = parse_attributes(items) if attrs is None else attrs
    rendered = attrs.group_by("row").agg(
        pl.concat_str("key", pl.lit(" "), "value").str.join("\n").alias("t")
    )
    out = (
        pl.DataFrame({"row": pl.int_range(items.height, eager=True)})
        .join(rendered, on="row", how="left", maintain_order="left")
        .get_column("t")
    )
    return out.alias("attrs")


def field_texts(items: pl.DataFrame, field: str, attrs: pl.DataFrame | None = None) -> pl.Series:
    """The text a pairwise field compares, aligned with items rows (see specs.TEXT_FIELDS).

    ``attrs``: ``parse_attributes(items)`` when the caller already has it (parsed once per run).
    """
    if field == "title":
        return _col(items, "title_clean", "title")
    if field == "desc":
        return _col(items, "description_clean", "description")
    if field == "text":
        t = _col(items, "title_clean", "title")
        d = _col(items, "description_clean", "description")
        return pl.select(
            pl.concat_str([t, d], separator="\n", ignore_nulls=True).alias("text")
        ).to_series()
    if field == "attrs":
        return attributes_text(items, attrs)
    raise ValueError(f"unknown text field {field!r}")
