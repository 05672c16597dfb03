"""Tokenisation for BM25 / n-gram features: lower-case words split on non-alphanumerics.

A token is a maximal run of letters and digits (Unicode categories L* and N*), so numbers are kept
(``iphone 15`` -> ``["iphone", "15"]``) and punctuation, spaces, emoji and combining marks separate
tokens. ``tokenize`` and ``tokenize_column`` give the same tokens for every string.
"""

from __future__ import annotations

import re

import polars as pl

# [^\W_] in Python's re is exactly "isalnum()", i.e. categories L* and N*, like [\p{L}\p{N}].
_TOKEN_PY = re.compile(r"[^\W_]+")
TOKEN_PATTERN = r"[\p{L}\p{N}]+"


def tokenize(s: str | None) -> list[str]:
    """Lower-case word tokens of ``s`` (``[]`` for ``None`` or empty text)."""
    if not s:
        return []
    return _TOKEN_PY.findall(s.lower())


def tokenize_column(col: pl.Series) -> pl.Series:
    """Batch form of :func:`tokenize`: a ``list[str]`` column (null text gives an empty list)."""
    return (
        col.cast(pl.String)
        .str.to_lowercase()
        .str.extract_all(TOKEN_PATTERN)
        .fill_null(pl.lit([], dtype=pl.List(pl.String)))
        .alias(col.name)
    )
