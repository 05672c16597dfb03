"""Tests for the Avito duplicates pair-wide source (featurestore.sources, "avito_dups")."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA
from featurestore.sources import SourceFormatError, read_source


def _pair_table() -> pa.Table:
    """Three pairs over four ads; ad 1 appears twice, ad 4 twice."""
    return pa.table(
        {
            "base_item_id": pa.array([1, 1, 3], pa.int64()),
            "cand_item_id": pa.array([2, 4, 4], pa.int64()),
            "base_title": ["Куртка зимняя", "Куртка зимняя", "Шапка"],
            "cand_title": ["Куртка зимняя новая", "Пальто", None],
            "base_description": ["Тёплая", "Тёплая", "Вязаная"],
            "cand_description": ["Тёплая, новая", None, "Шерсть"],
            "base_attrsJSON": [
                '{"Вид одежды":"Женская одежда", "Размер":"44–46 (M)"}',
                '{"Вид одежды":"Женская одежда", "Размер":"44–46 (M)"}',
                "{broken",
            ],
            "cand_attrsJSON": ['{"Размер":"44–46 (M)"}', "", '{"Вид одежды":"Мужская одежда"}'],
            "base_parent_category_name": ["Личные вещи"] * 3,
            "cand_parent_category_name": ["Личные вещи", None, "Личные вещи"],
            "base_category_name": ["Одежда, обувь, аксессуары"] * 3,
            "cand_category_name": ["Одежда, обувь, аксессуары"] * 3,
            "base_images_array": ["1064094, 5252822", "1064094, 5252822", ""],
            "cand_images_array": ["7775311", None, "8892014"],
            "base_price": [2500.0, 2500.0, None],
            "cand_price": [2400.0, 9000.0, 300.0],
            "base_locationID": pa.array([637640, 637640, 640000], pa.int64()),
            "cand_locationID": pa.array([637640, 652000, 640000], pa.int64()),
            "is_double": pa.array([1, 0, 0], pa.int64()),
        }
    )


def test_items_and_pairs(tmp_path: Path) -> None:
    pq.write_table(_pair_table(), tmp_path / "ItemPairs_train.parquet")
    out = read_source("avito_dups", tmp_path, images_dir=tmp_path / "imgs")
    assert out.items.schema.equals(ITEMS_SCHEMA) and out.pairs.schema.equals(PAIRS_SCHEMA)
    items = {r["item_id"]: r for r in out.items.to_pylist()}
    assert sorted(items) == ["1", "2", "3", "4"]  # de-duplicated from both sides
    one = items["1"]
    assert one["title"] == "Куртка зимняя"
    assert one["category_path"] == ["Личные вещи", "Одежда, обувь, аксессуары"]
    assert json.loads(one["attributes"]) == {"Вид одежды": "Женская одежда", "Размер": "44–46 (M)"}
    img = str((tmp_path / "imgs").resolve())
    assert one["image_paths"] == [f"{img}/1064094.jpg", f"{img}/5252822.jpg"]
    assert one["price"] == 2500.0 and one["city"] == "637640"
    # ad 4 first appears on the cand side of row 2: no parent category, empty attributes.
    assert items["4"]["category_path"] == ["Одежда, обувь, аксессуары"]
    assert items["4"]["attributes"] is None and items["4"]["image_paths"] is None
    assert items["3"]["image_paths"] is None  # empty images_array
    assert items["3"]["attributes"] is None  # broken JSON -> null, counted
    assert out.stats.values_invalid == {"avito_dups: attrsJSON not parseable": 1}
    assert out.pairs.to_pylist() == [
        {"item_id_1": "1", "item_id_2": "2", "label": 1},
        {"item_id_1": "1", "item_id_2": "4", "label": 0},
        {"item_id_1": "3", "item_id_2": "4", "label": 0},
    ]


def test_csv_test_split_and_template(tmp_path: Path) -> None:
    csv = tmp_path / "test.csv"
    csv.write_text(
        "base_item_id,cand_item_id,base_title,cand_title,base_images_array,cand_images_array,base_price\n"
        '10,20,Диван,"Диван, угловой","1234567, 89",,1 000\n',
        encoding="utf-8",
    )
    out = read_source(
        "avito_dups",
        csv,
        images_dir="/data",
        image_template="{images_dir}/Images_{id_mod100}/{id}.jpg",
    )
    items = {r["item_id"]: r for r in out.items.to_pylist()}
    assert items["10"]["image_paths"] == ["/data/Images_67/1234567.jpg", "/data/Images_89/89.jpg"]
    assert items["20"]["title"] == "Диван, угловой"
    assert items["10"]["price"] is None  # "1 000" is not a number: null and counted
    assert out.stats.values_invalid == {"avito_dups: price not numeric": 1}
    assert out.pairs.column("label").to_pylist() == [None]  # no is_double in the test split


def test_missing_column(tmp_path: Path) -> None:
    table = _pair_table().drop_columns(["cand_title"])
    pq.write_table(table, tmp_path / "pairs.parquet")
    with pytest.raises(
        SourceFormatError, match=r"pairs\.parquet: missing required column.*cand_title"
    ):
        read_source("avito_dups", tmp_path)


def test_empty_input(tmp_path: Path) -> None:
    pq.write_table(_pair_table().slice(0, 0), tmp_path / "pairs.parquet")
    out = read_source("avito_dups", tmp_path)
    assert out.items.num_rows == 0 and out.items.schema.equals(ITEMS_SCHEMA)
    assert out.pairs.num_rows == 0 and out.pairs.schema.equals(PAIRS_SCHEMA)


def test_image_ids_blank_or_with_a_trailing_comma() -> None:
    """A blank images_array cell is no photos, and "1, 2, " is two photos: blank entries used to
    survive as "" ids and become photo paths "<images_dir>/.jpg"."""
    import polars as pl

    from featurestore.sources.avito_dups import id_list_expr

    df = pl.DataFrame({"a": ["1, 2", " ", "", None, "3,,4", "5, ", " 6 ,\t"]})
    assert df.select(id_list_expr("a"))["a"].to_list() == [
        ["1", "2"],
        None,
        None,
        None,
        ["3", "4"],
        ["5"],
        ["6"],
    ]
