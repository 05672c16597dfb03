"""Tests for the Ozon matching source (featurestore.sources, "ozon")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA, SOURCE_EMBEDDINGS_SCHEMA
from featurestore.sources import SourceFormatError, read_source

VEC = pa.list_(pa.float64())


def _data(ids: list[int]) -> pa.Table:
    rng = np.random.default_rng(0)
    bert = [rng.random(64).tolist() for _ in ids]
    return pa.table(
        {
            "variantid": pa.array(ids, pa.int64()),
            "name": ["Смартфон Apple iPhone 13 128 ГБ", None, "Чехол для iPhone 13"][: len(ids)],
            "categories": [
                '{"1": "EPG", "2": "Электроника", "3": "Смартфоны и планшеты", "4": "Смартфоны"}',
                '{"1": "EPG", "2": "Электроника"}',
                None,
            ][: len(ids)],
            "color_parsed": pa.array(
                [["черный", "белый"], None, []][: len(ids)], pa.list_(pa.string())
            ),
            "pic_embeddings_resnet_v1": pa.array(
                [[[0.1, 0.2], [0.3, 0.4]], None, []][: len(ids)], pa.list_(VEC)
            ),
            "main_pic_embeddings_resnet_v1": pa.array(
                [[[1.0, 2.0]], [[3.0, 4.0]], None][: len(ids)], pa.list_(VEC)
            ),
            "name_bert_64": pa.array(bert, VEC),
            "characteristic_attributes_mapping": [
                '{"Бренд":["Apple"],"Встроенная память":["128 ГБ"],"Цвет товара":["черный","белый"]}',
                None,
                '{"Бренд":["Noname"]}',
            ][: len(ids)],
        }
    )


def _write(folder: Path) -> None:
    pq.write_table(_data([51195767, 53565809, 61600001]), folder / "train_data.parquet")
    pq.write_table(
        pa.table(
            {
                "target": [1.0, 0.0],
                "variantid1": [51195767, 51195767],
                "variantid2": [53565809, 61600001],
            }
        ),
        folder / "train_pairs.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "variantid1": pa.array([53565809], pa.int64()),
                "variantid2": pa.array([61600001], pa.int64()),
            }
        ),
        folder / "test_pairs_wo_target.parquet",
    )


def test_items_pairs_embeddings(tmp_path: Path) -> None:
    _write(tmp_path)
    out = read_source("ozon", tmp_path)
    assert out.items.schema.equals(ITEMS_SCHEMA)
    items = {r["item_id"]: r for r in out.items.to_pylist()}
    a = items["51195767"]
    assert a["category_path"] == ["EPG", "Электроника", "Смартфоны и планшеты", "Смартфоны"]
    assert json.loads(a["attributes"]) == {
        "Бренд": "Apple",
        "Встроенная память": "128 ГБ",
        "Цвет товара": "черный, белый",
        "color_parsed": "черный, белый",
    }
    assert a["image_paths"] is None and a["price"] is None
    assert items["53565809"]["title"] is None and out.stats.nulls["title"] == 1
    assert items["53565809"]["attributes"] is None
    assert items["61600001"]["category_path"] is None
    assert json.loads(items["61600001"]["attributes"]) == {"Бренд": "Noname"}

    assert out.pairs.schema.equals(PAIRS_SCHEMA)
    pairs = sorted((r["item_id_1"], r["item_id_2"], r["label"]) for r in out.pairs.to_pylist())
    assert pairs == [
        ("51195767", "53565809", 1),
        ("51195767", "61600001", 0),
        ("53565809", "61600001", None),
    ]

    emb = out.source_embeddings
    assert emb.schema.equals(SOURCE_EMBEDDINGS_SCHEMA)
    rows = {(r["item_id"], r["space"], r["photo_index"]): r["embedding"] for r in emb.to_pylist()}
    assert set(rows) == {
        ("51195767", "title", 0),
        ("53565809", "title", 0),
        ("61600001", "title", 0),
        ("51195767", "photo", 0),
        ("51195767", "photo", 1),
        ("51195767", "photo", 2),
        ("53565809", "photo", 0),
    }
    np.testing.assert_allclose(rows[("51195767", "photo", 2)], [0.3, 0.4], rtol=1e-6)
    np.testing.assert_allclose(rows[("53565809", "photo", 0)], [3.0, 4.0])
    bert = _data([1, 2, 3]).column("name_bert_64").to_pylist()[2]
    np.testing.assert_allclose(rows[("61600001", "title", 0)], bert, rtol=1e-6)


def test_missing_column(tmp_path: Path) -> None:
    _write(tmp_path)
    pq.write_table(_data([1]).drop_columns(["name"]), tmp_path / "train_data.parquet")
    with pytest.raises(
        SourceFormatError, match=r"train_data\.parquet: missing required column.*name"
    ):
        read_source("ozon", tmp_path)


def test_bad_categories_json_names_row(tmp_path: Path) -> None:
    table = _data([1, 2]).set_column(2, "categories", pa.array(['{"1": "EPG"}', '{"1": EPG']))
    pq.write_table(table, tmp_path / "train_data.parquet")
    with pytest.raises(SourceFormatError, match=r"column 'categories', row 1"):
        read_source("ozon", tmp_path)


def test_empty_input(tmp_path: Path) -> None:
    pq.write_table(_data([]), tmp_path / "train_data.parquet")
    pq.write_table(
        pa.table(
            {
                "target": pa.array([], pa.float64()),
                "variantid1": pa.array([], pa.int64()),
                "variantid2": pa.array([], pa.int64()),
            }
        ),
        tmp_path / "train_pairs.parquet",
    )
    out = read_source("ozon", tmp_path)
    assert out.items.num_rows == 0 and out.items.schema.equals(ITEMS_SCHEMA)
    assert out.pairs.num_rows == 0 and out.pairs.schema.equals(PAIRS_SCHEMA)
    assert out.source_embeddings.num_rows == 0
    assert out.source_embeddings.schema.equals(SOURCE_EMBEDDINGS_SCHEMA)


def test_repeated_item_keeps_the_first_rows_vectors_only(tmp_path: Path) -> None:
    """An item in both data files (or twice in one) is one item, and its vectors come once, from
    the kept (first) row: they used to come from every row, so the item had each vector twice."""
    first = _data([51195767, 53565809])
    pq.write_table(first, tmp_path / "train_data.parquet")
    # test_data repeats 51195767 with other vectors, and also one extra picture
    again = _data([53565809, 51195767, 61600001])
    pq.write_table(again, tmp_path / "test_data.parquet")
    out = read_source(
        "ozon",
        tmp_path,
        data_files=[tmp_path / "train_data.parquet", tmp_path / "test_data.parquet"],
    )
    assert sorted(out.items.column("item_id").to_pylist()) == ["51195767", "53565809", "61600001"]
    emb = out.source_embeddings.to_pylist()
    keys = [(r["item_id"], r["space"], r["photo_index"]) for r in emb]
    assert len(keys) == len(set(keys))
    got = {k: r["embedding"] for k, r in zip(keys, emb, strict=True)}
    # 53565809 was row 2 of train_data: main picture [3, 4], no extra pictures
    assert got[("53565809", "photo", 0)] == pytest.approx([3.0, 4.0])
    assert ("53565809", "photo", 1) not in got
    assert got[("51195767", "title", 0)] == pytest.approx(first["name_bert_64"][0].as_py())
