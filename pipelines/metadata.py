"""Small helpers that turn library results into Dagster metadata people can read in the UI."""

from __future__ import annotations

import time
from contextlib import contextmanager

import dagster as dg
import polars as pl


def preview(df: pl.DataFrame, columns: list[str] | None = None, rows: int = 5) -> dg.MetadataValue:
    """A markdown table of the first rows (long strings shortened) for the asset page."""
    if columns:
        df = df.select([c for c in columns if c in df.columns])
    head = df.head(rows)
    cells = [[_short(v) for v in row] for row in head.iter_rows()]
    header = "| " + " | ".join(head.columns) + " |"
    rule = "|" + "---|" * len(head.columns)
    body = ["| " + " | ".join(row) + " |" for row in cells]
    return dg.MetadataValue.md("\n".join([header, rule, *body]))


def histogram(values: pl.Series, bins: int = 10, title: str = "") -> dg.MetadataValue:
    """A text histogram (markdown) of a numeric column: a distribution plot that needs no images."""
    clean = values.drop_nulls().drop_nans() if values.dtype.is_float() else values.drop_nulls()
    if clean.is_empty():
        return dg.MetadataValue.md(f"{title}: no values")
    lo, hi = float(clean.min()), float(clean.max())
    width = (hi - lo) / bins or 1.0
    idx = ((clean.cast(pl.Float64) - lo) / width).floor().clip(0, bins - 1).cast(pl.Int32)
    counts = idx.value_counts().sort(idx.name)
    by_bin = dict(zip(counts[idx.name].to_list(), counts["count"].to_list(), strict=True))
    top = max(by_bin.values())
    lines = [f"**{title}** (n={len(clean)})", "", "```"]
    for b in range(bins):
        n = by_bin.get(b, 0)
        lines.append(f"{lo + b * width:>9.3f} | {'#' * round(30 * n / top):<30} {n}")
    lines.append("```")
    return dg.MetadataValue.md("\n".join(lines))


def _short(value: object, limit: int = 60) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@contextmanager
def timer():
    """``with timer() as t: ...`` then ``t()`` gives the elapsed seconds."""
    start = time.perf_counter()
    elapsed = [0.0]
    yield lambda: elapsed[0] or (time.perf_counter() - start)
    elapsed[0] = time.perf_counter() - start
