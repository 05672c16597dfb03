"""The texts that get embedded per item (featurestore.itemtext)."""

from __future__ import annotations

import polars as pl

from featurestore.itemtext import attributes_text


def test_attribute_nulls_are_not_rendered_as_none():
    """A JSON null value (or null list element) is missing data: it used to be embedded as the
    word "None" ("гарантия: None"); now its value is empty, like the pair features' rendering."""
    got = attributes_text(
        pl.Series(['{"бренд": "Apple", "гарантия": null, "цвет": ["черный", null]}'])
    ).to_list()
    assert got == ["бренд: Apple\nгарантия: \nцвет: черный"]
