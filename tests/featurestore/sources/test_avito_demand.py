"""Tests for the Avito demand source (featurestore.sources, "avito_demand")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featurestore.schemas import ITEMS_SCHEMA
from featurestore.sources import SourceFormatError, read_source

HEADER = (
    "item_id,user_id,region,city,parent_category_name,category_name,param_1,param_2,param_3,"
    "title,description,price,item_seq_number,activation_date,user_type,image,image_top_1,"
    "deal_probability\n"
)
ROWS = (
    "b912c3c6a6ad,e00f8ff2eaf9,Свердловская область,Екатеринбург,Личные вещи,"
    '"Товары для детей и игрушки",Постельные принадлежности,,,Кокоби(кокон для сна),'
    '"Кокон для сна малыша,пользовались меньше месяца.цвет серый",400,2,2017-03-28,Private,'
    "d10c7e016e03247a3bf2d13348fe959fe6f436c1caf64c,1008,0.12789\n"
    "2dac0150717d,39aeb48f0017,Самарская область,Самара,Для дома и дачи,Мебель и интерьер,"
    'Другое,,,Стойка для Одежды,"Стойка для одежды, под вешалки.",,19,2017-03-26,Private,,,0\n'
    "ba83aefab5dc,91e2f88dd6e3,Ростовская область,Ростов-на-Дону,Бытовая электроника,"
    'Аудио и видео,"Видео, DVD и Blu-ray плееры",,,,Без описания,много,9,2017-03-20,'
    "Company,b98b291bd04c3d92165ca515e00468fd9756af9a8f1df4,2379,0.43177\n"
)


def test_items(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(HEADER + ROWS, encoding="utf-8")
    out = read_source("avito_demand", tmp_path, images_dir="/imgs")
    assert out.items.schema.equals(ITEMS_SCHEMA)
    rows = {r["item_id"]: r for r in out.items.to_pylist()}
    a = rows["b912c3c6a6ad"]
    assert a["category_path"] == ["Личные вещи", "Товары для детей и игрушки"]
    assert a["seller_id"] == "e00f8ff2eaf9" and a["city"] == "Екатеринбург"
    assert a["region"] == "Свердловская область"
    assert a["price"] == 400.0 and a["target"] == pytest.approx(0.12789)
    assert json.loads(a["attributes"]) == {
        "param_1": "Постельные принадлежности",
        "user_type": "Private",
        "item_seq_number": "2",
        "activation_date": "2017-03-28",
        "image_top_1": "1008",
    }
    assert a["image_paths"] == ["/imgs/d10c7e016e03247a3bf2d13348fe959fe6f436c1caf64c.jpg"]
    b = rows["2dac0150717d"]
    assert b["price"] is None and b["image_paths"] is None and b["target"] == 0.0
    c = rows["ba83aefab5dc"]
    assert c["title"] is None  # empty title kept as null and counted
    assert json.loads(c["attributes"])["param_1"] == "Видео, DVD и Blu-ray плееры"
    assert c["price"] is None  # "много" is not a number
    assert out.stats.values_invalid == {"avito_demand: price not numeric": 1}
    assert out.stats.nulls["title"] == 1


def test_missing_column(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("item_id,price\nx,1\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"train\.csv: missing required column.*title"):
        read_source("avito_demand", tmp_path)


def test_empty_input(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text(HEADER, encoding="utf-8")
    out = read_source("avito_demand", tmp_path)
    assert out.items.num_rows == 0 and out.items.schema.equals(ITEMS_SCHEMA)
    assert out.pairs.num_rows == 0
