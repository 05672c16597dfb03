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


def _run(files, capsys, items="items.parquet", pairs="pairs.parquet", out="f.parquet"):
    argv = ["pair-features", "--items", str(files / items), "--pairs", str(files / pairs)]
    rc = main(argv + ["--out", str(files / out), "--feature-set", "core"])
    return rc, capsys.readouterr().err.strip().splitlines()


def test_missing_or_unreadable_input_is_a_one_line_error_naming_the_file(files, capsys):
    rc, err = _run(files, capsys, items="nope.parquet")
    assert rc == 2 and len(err) == 1 and "nope.parquet" in err[0]
    (files / "bad.parquet").write_text("item_id_1,item_id_2\na,b\n")
    rc, err = _run(files, capsys, pairs="bad.parquet")
    assert rc == 2 and len(err) == 1 and "bad.parquet" in err[0]
    assert not (files / "f.parquet").exists()


def test_a_bad_items_file_is_named_as_the_items_file(files, capsys):
    """A column missing from --items was reported against the --pairs path."""
    pl.DataFrame({"id": ["a"]}).write_parquet(files / "noid.parquet")
    rc, err = _run(files, capsys, items="noid.parquet")
    assert rc == 2 and len(err) == 1
    assert "noid.parquet" in err[0] and "item_id" in err[0]


def test_out_in_a_folder_that_does_not_exist_is_created(files, capsys):
    rc, _ = _run(files, capsys, out="new/dir/f.parquet")
    assert rc == 0
    assert pq.read_table(files / "new" / "dir" / "f.parquet").num_rows == 2


def test_out_that_is_a_folder_is_refused_before_any_work(files, capsys):
    (files / "f.parquet").mkdir()
    rc, err = _run(files, capsys)
    assert rc == 2 and len(err) == 1 and "f.parquet" in err[0]


def test_out_under_a_file_is_a_one_line_error(files, capsys):
    """--out items.parquet/x.parquet gave mkdir's FileExistsError traceback."""
    rc, err = _run(files, capsys, out="items.parquet/f.parquet")
    assert rc == 2 and len(err) == 1 and "items.parquet" in err[0]
