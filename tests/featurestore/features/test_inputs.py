"""Attribute parsing: the long (row, key, value) table every attribute feature reads."""

from __future__ import annotations

import json

import polars as pl

from featurestore.features.inputs import ATTRIBUTES_SCHEMA, attributes_text, parse_attributes


def _reference(raw: str | None) -> list[tuple[str, str]]:
    """What one card's attributes should become, written per card with plain Python."""
    if raw is None:
        return []
    try:
        obj = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(obj, dict):
        return []
    last = {str(k).strip().lower(): v for k, v in obj.items()}
    return [(k, "" if last[k] is None else str(last[k]).strip().lower()) for k in sorted(last) if k]


CASES = [
    '{"Цвет": "Красный", "Вес": 1.5, "size": 42}',
    '{"A ": 1, "a": "Two", "b": null}',  # two keys equal after strip + lower: the last value wins
    "not json",
    "[1, 2]",
    "{}",
    None,
    '{"": "x", "k": [1, {"z": 2}], "flag": true}',
    '{"Цвет": "Красный", "Вес": 1.5, "size": 42}',  # a repeated string is parsed once, used twice
]


def test_parse_attributes_matches_a_per_card_reference():
    items = pl.DataFrame({"item_id": [f"i{i}" for i in range(len(CASES))], "attributes": CASES})
    got = parse_attributes(items)
    assert dict(got.schema) == ATTRIBUTES_SCHEMA
    want = [(row, k, v) for row, raw in enumerate(CASES) for k, v in _reference(raw)]
    assert list(got.iter_rows()) == want
    assert _reference(CASES[1]) == [("a", "two"), ("b", "")]
    assert _reference(CASES[6]) == [("flag", "true"), ("k", "[1, {'z': 2}]")]


def test_parse_attributes_without_the_column_is_empty_with_the_schema():
    got = parse_attributes(pl.DataFrame({"item_id": ["a"]}))
    assert got.height == 0 and dict(got.schema) == ATTRIBUTES_SCHEMA


def test_attributes_text_renders_one_line_per_key_and_null_without_attributes():
    items = pl.DataFrame({"item_id": ["a", "b", "c"], "attributes": [CASES[0], "{}", None]})
    assert attributes_text(items).to_list() == ["size 42\nвес 1.5\nцвет красный", None, None]
