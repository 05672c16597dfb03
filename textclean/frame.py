"""Frame-level entry points the pipeline calls: ``clean_frame`` and the LM training corpus."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import polars as pl

from textclean.confusables import CYR_CLASS, LAT_CLASS
from textclean.normalize import normalize_column
from textclean.repair import STAT_COLUMNS
from textclean.tokenize import tokenize_column

if TYPE_CHECKING:
    from textclean.repair import HomoglyphRepairer

#: Suffixes of the columns ``clean_frame`` adds for each text column ``c`` (``c_clean``, ...).
CLEAN_SUFFIXES = ("clean", *STAT_COLUMNS)

_SINGLE_SCRIPT = f"^(?:{CYR_CLASS}+|{LAT_CLASS}+)$"


def clean_frame(
    df: pl.DataFrame,
    repairer: HomoglyphRepairer,
    columns: Iterable[str] = ("title", "description"),
) -> pl.DataFrame:
    """Return ``df`` plus, for each text column ``c``: ``c_clean`` (normalised and repaired text)
    and the repair statistics ``c_words``, ``c_mixed_words``, ``c_repaired_words``,
    ``c_ambiguous_words`` (int32), ``c_broken_share`` (float32, NaN for a text without words) and
    ``c_other_words`` (int32). Original columns are untouched; a null text gives null outputs.
    """
    out = df
    for c in columns:
        if c not in df.columns:
            raise KeyError(f"clean_frame: column {c!r} not in frame (columns: {df.columns})")
        if df.schema[c] not in (pl.String, pl.Null):
            raise TypeError(f"clean_frame: column {c!r} has type {df.schema[c]}, expected string")
        res = repairer.repair_column(df[c])
        out = out.with_columns([res[s].alias(f"{c}_{s}") for s in CLEAN_SUFFIXES])
    return out


def single_script_word_counts(cols: Iterable[pl.Series]) -> list[tuple[str, int]]:
    """Word counts for training the char LM: lower-cased tokens (after normalisation) made only of
    Cyrillic letters or only of Latin letters, summed over ``cols``; most frequent first."""
    counts: pl.DataFrame | None = None
    for col in cols:
        words = (
            tokenize_column(normalize_column(col)).explode().drop_nulls().alias("word").to_frame()
        )
        vc = (
            words.filter(pl.col("word").str.contains(_SINGLE_SCRIPT))
            .group_by("word")
            .agg(pl.len().alias("count"))
        )
        counts = vc if counts is None else pl.concat([counts, vc])
    if counts is None or counts.height == 0:
        return []
    total = (
        counts.group_by("word")
        .agg(pl.col("count").sum())
        .sort(["count", "word"], descending=[True, False])
    )
    return list(zip(total["word"].to_list(), total["count"].to_list(), strict=True))
