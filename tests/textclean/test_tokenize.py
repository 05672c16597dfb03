"""Tokenisation for BM25 / n-gram features."""

import polars as pl

from textclean import tokenize, tokenize_column


def test_tokenize_values():
    assert tokenize("iPhone 15 Pro-Max, 128GB!") == ["iphone", "15", "pro", "max", "128gb"]
    assert tokenize("Молоко 3,2% «Домик»") == ["молоко", "3", "2", "домик"]
    assert tokenize("snake_case x²") == ["snake", "case", "x²"]
    assert tokenize(None) == []
    assert tokenize("") == []
    assert tokenize("🙂 — !") == []


def test_column_matches_string_form():
    texts = ["iPhone 15 Pro-Max", None, "", "Ёлка ПРАЗДНИК 2024", "中文 text", "a_b"]
    col = tokenize_column(pl.Series("t", texts, dtype=pl.String))
    assert col.dtype == pl.List(pl.String)
    assert col.to_list() == [tokenize(t) for t in texts]
