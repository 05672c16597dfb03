"""``cardfeatures pair-features`` driven through the real entry point (pipelines.cli.main)."""

from __future__ import annotations

import json

import polars as pl
import pyarrow.parquet as pq
import pytest

from pipelines.cli import main


@pytest.fixture()
def files(tmp_path):
    items = pl.DataFrame(
        {
            "item_id": ["a", "b", "c"],
            "title": ["Телефон Samsung A52", "Телефон Samsung A52 новый", "Кроссовки Nike"],
            "description": ["хороший телефон", "отличный телефон", "беговые"],
            "category_path": [["Электроника"], ["Электроника"], ["Обувь"]],
            "attributes": [json.dumps({"color": "black"}), json.dumps({"color": "black"}), "{}"],
            "price": [100.0, 110.0, 50.0],
            "seller_id": ["s1", "s2", "s3"],
            "city": ["M", "M", "K"],
        }
    )
    pairs = pl.DataFrame(
        {"item_id_1": ["a", "a"], "item_id_2": ["b", "c"], "label": [1, 0]},
        schema_overrides={"label": pl.Int8},
    )
    items.write_parquet(tmp_path / "items.parquet")
    pairs.write_parquet(tmp_path / "pairs.parquet")
    return tmp_path


def test_pair_features_runs_from_the_cardfeatures_entry_point(files):
    out = files / "f.parquet"
    argv = ["pair-features", "--items", str(files / "items.parquet")]
    argv += ["--pairs", str(files / "pairs.parquet"), "--out", str(out), "--feature-set", "core"]
    assert main(argv) == 0
    table = pq.read_table(out)
    assert table.num_rows == 2
    assert table.column("item_id_2").to_pylist() == ["b", "c"]
