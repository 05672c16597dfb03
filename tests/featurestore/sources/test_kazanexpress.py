"""Tests for the KazanExpress categorisation source (featurestore.sources, "kazanexpress")."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurestore.schemas import ITEMS_SCHEMA
from featurestore.sources import SourceFormatError, read_source


def _table() -> pa.Table:
    return pa.table(
        {
            "product_id": pa.array([325286, 888, 901], pa.int64()),
            "category_id": pa.array([12171, 11574, None], pa.int64()),
            "title": ["Зарядный кабель USB Type-C", "Футболка мужская", None],
            "description": ["<p>Кабель <b>быстрой</b> зарядки</p>", None, "<br>"],
            "attributes": [
                "['Длина: 1 м', 'Цвет: Белый']",
                '{"Размер": "XL", "Материал": ["хлопок", "полиэстер"]}',
                "not a dict",
            ],
            "rating": [4.8, None, 5.0],
            "feedback_quantity": pa.array([12, 0, 3], pa.int64()),
            "shop_id": pa.array([1, 2, 2], pa.int64()),
            "shop_title": ["ЭлектроМир", None, "Одежда"],
        }
    )


def test_items(tmp_path: Path) -> None:
    pq.write_table(_table(), tmp_path / "train.parquet")
    out = read_source("kazanexpress", tmp_path / "train.parquet", images_dir=tmp_path / "imgs")
    assert out.items.schema.equals(ITEMS_SCHEMA)
    assert out.pairs.num_rows == 0
    rows = {r["item_id"]: r for r in out.items.to_pylist()}
    a = rows["325286"]
    assert a["category_id"] == "12171" and a["seller_id"] == "1"
    assert a["description"] == "<p>Кабель <b>быстрой</b> зарядки</p>"
    assert json.loads(a["attributes"]) == {
        "Длина": "1 м",
        "Цвет": "Белый",
        "shop_title": "ЭлектроМир",
        "rating": 4.8,
        "feedback_quantity": 12,
    }
    assert a["image_paths"] == [str((tmp_path / "imgs").resolve() / "325286.jpg")]
    assert json.loads(rows["888"]["attributes"]) == {
        "Размер": "XL",
        "Материал": "хлопок, полиэстер",
        "feedback_quantity": 0,
    }
    # Unparseable attributes: the source part is null (counted), the shop fields stay.
    assert json.loads(rows["901"]["attributes"]) == {
        "shop_title": "Одежда",
        "rating": 5.0,
        "feedback_quantity": 3,
    }
    assert out.stats.values_invalid == {"kazanexpress: attributes not parseable": 1}
    assert rows["901"]["title"] is None and rows["901"]["category_id"] is None


def test_aliases_and_default_images_dir(tmp_path: Path) -> None:
    table = pa.table(
        {
            "product_id": [5],
            "title": ["Кружка"],
            "short_description": ["Керамика"],
            "name_value_characteristics": ['["Объём: 300 мл"]'],
        }
    )
    pq.write_table(table, tmp_path / "test.parquet")
    (row,) = read_source("kazanexpress", tmp_path).items.to_pylist()
    assert row["description"] == "Керамика"
    assert json.loads(row["attributes"]) == {"Объём": "300 мл"}
    assert row["image_paths"] == [str(tmp_path.resolve() / "images" / "5.jpg")]


def test_missing_column(tmp_path: Path) -> None:
    pq.write_table(_table().drop_columns(["title"]), tmp_path / "train.parquet")
    with pytest.raises(SourceFormatError, match=r"train\.parquet: missing required column.*title"):
        read_source("kazanexpress", tmp_path)


def test_empty_input(tmp_path: Path) -> None:
    pq.write_table(_table().slice(0, 0), tmp_path / "train.parquet")
    out = read_source("kazanexpress", tmp_path)
    assert out.items.num_rows == 0 and out.items.schema.equals(ITEMS_SCHEMA)


def test_nan_rating_is_missing(tmp_path: Path) -> None:
    """A NaN rating (a product without reviews, as polars / a "nan" CSV cell writes it) is left out
    of the attributes like a null one; it used to become "rating": null, a key without a value."""
    table = _table().set_column(
        _table().schema.get_field_index("rating"), "rating", pa.array([float("nan"), None, 5.0])
    )
    pq.write_table(table, tmp_path / "train.parquet")
    rows = {r["item_id"]: r for r in read_source("kazanexpress", tmp_path).items.to_pylist()}
    assert "rating" not in json.loads(rows["325286"]["attributes"])
    assert json.loads(rows["901"]["attributes"])["rating"] == 5.0
