"""Word tokenisation for features: the project's one tokeniser, ``textclean.tokenize``.

Lower-case maximal runs of letters and digits, so numbers are kept: "0,5 л" -> ["0", "5", "л"].
A null text gives an empty token list.
"""

from __future__ import annotations

import polars as pl

from textclean.tokenize import TOKEN_PATTERN, tokenize, tokenize_column

__all__ = ["tokenize", "tokenize_lowered", "tokenize_series"]


def tokenize_series(texts: pl.Series) -> pl.Series:
    """Token lists (list[str]) for a string Series (``textclean.tokenize_column``)."""
    return tokenize_column(texts)


def tokenize_lowered(texts: pl.Series) -> pl.Series:
    """``tokenize_series`` for texts that are lower-cased already: the same tokens, without a
    second lower-casing pass (about 1 s per 60M characters)."""
    return (
        texts.cast(pl.String)
        .str.extract_all(TOKEN_PATTERN)
        .fill_null(pl.lit([], dtype=pl.List(pl.String)))
        .alias(texts.name)
    )
