"""Word tokenisation for features: lower-case words, numbers kept.

Uses ``textclean.tokenize_column`` when textclean provides it (one tokeniser for the whole
project); until then a local regex with the same contract: lower-case the text, take maximal runs
of Unicode word characters (letters, digits, underscore). "0,5 л" -> ["0", "5", "л"].
"""

from __future__ import annotations

import polars as pl

WORD_PATTERN = r"\w+"


def tokenize_series(texts: pl.Series) -> pl.Series:
    """Token lists (list[str]) for a string Series; null stays null."""
    try:  # pragma: no cover - depends on helper T2's module landing
        from textclean import tokenize_column  # type: ignore[attr-defined]
    except ImportError:
        tokenize_column = None
    if tokenize_column is not None:
        return tokenize_column(texts)
    return texts.str.to_lowercase().str.extract_all(WORD_PATTERN)


def tokenize(text: str) -> list[str]:
    """Tokens of one string (the scalar form, for tests and reference implementations)."""
    return tokenize_series(pl.Series([text], dtype=pl.String))[0].to_list()
