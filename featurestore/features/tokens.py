"""Word tokenisation for features: the project's one tokeniser, ``textclean.tokenize``.

Lower-case maximal runs of letters and digits, so numbers are kept: "0,5 л" -> ["0", "5", "л"].
A null text gives an empty token list. (The pair-feature indexes read the same tokens straight
from their documents' code points: ``text.FieldIndex``.)
"""

from __future__ import annotations

import polars as pl

from textclean.tokenize import tokenize, tokenize_column

__all__ = ["tokenize", "tokenize_series"]


def tokenize_series(texts: pl.Series) -> pl.Series:
    """Token lists (list[str]) for a string Series (``textclean.tokenize_column``)."""
    return tokenize_column(texts)
