"""The store's CLI commands: sql (formats, refusal), features list, store info/vacuum/refresh."""

from __future__ import annotations

import argparse
import json

import polars as pl
import pyarrow as pa
import pytest

from featurestore import cli
from featurestore.registry import FeatureSpec
from featurestore.store import FeatureStore

SCHEMA = pa.schema([("item_id_1", pa.string()), ("item_id_2", pa.string()), ("sim", pa.float32())])


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="cardfeatures")
    sub = parser.add_subparsers(dest="command", required=True)
    cli.register(sub)
    args = parser.parse_args(list(argv))
    return int(args.handler(args) or 0)


@pytest.fixture()
def root(tmp_path) -> str:
    store = FeatureStore(str(tmp_path / "store"))
    for version in ("v1", "v2"):
        store.write(
            "pair_features",
            pl.DataFrame({"item_id_1": ["a", "b"], "item_id_2": ["c", "d"], "sim": [0.5, 0.25]}),
            partition={"feature_set": "core", "version": version, "snapshot": "2024-01-01"},
            schema=SCHEMA,
        )
    store.register_features([FeatureSpec("sim", "float32", "cosine", "core", "v2")], "abc")
    store.refresh_catalog()
    return store.root


def test_sql_table_csv_json_parquet(root, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CARDFEATURES_STORE", root)
    assert run("sql", "select count(*) as n from pair_features") == 0
    assert "│ 2   │" in capsys.readouterr().out
    assert run("sql", "select item_id_1, sim from pair_features order by 1", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["item_id_1,sim", "a,0.5", "b,0.25"]
    out = tmp_path / "r.json"
    assert (
        run(
            "sql",
            "select sim from pair_features order by sim",
            "--format",
            "json",
            "--out",
            str(out),
        )
        == 0
    )
    assert [r["sim"] for r in json.loads(out.read_text())] == [0.25, 0.5]
    pq_out = tmp_path / "r.parquet"
    assert (
        run(
            "sql",
            "select * from pair_features__core__v1",
            "--format",
            "parquet",
            "--out",
            str(pq_out),
        )
        == 0
    )
    assert pl.read_parquet(pq_out).height == 2


def test_sql_refuses_drop_with_clear_message(root, capsys):
    assert run("sql", "drop view pair_features", "--store", root) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "DROP" in err
    assert run("sql", "select count(*) as n from pair_features", "--store", root) == 0


def test_missing_store_is_named(tmp_path, capsys):
    assert run("sql", "select 1", "--store", str(tmp_path / "nope")) == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err


def test_features_list_info_vacuum(root, capsys):
    assert run("features", "list", "--store", root) == 0
    assert "cosine" in capsys.readouterr().out
    assert run("store", "info", "--store", root) == 0
    out = capsys.readouterr().out
    assert "pair_features" in out and "v2" in out
    assert run("store", "vacuum", "--keep", "1", "--dry-run", "--store", root) == 0
    assert "would remove" in capsys.readouterr().out
    assert run("store", "vacuum", "--keep", "1", "--store", root) == 0
    assert (
        run("sql", "select distinct version from pair_features", "--store", root, "--format", "csv")
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == "v2"
    assert run("store", "check", "--store", root) == 0
    assert run("store", "refresh", "--store", root) == 0
    assert run("store", "rebuild-catalog", "--store", root) == 0


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("select no_such_column from pair_features", "no_such_column"),
        ("select 'x'::int", "Conversion Error"),
        ("select * from no_such_view", "no_such_view"),
        ("selec 1", "syntax error"),
    ],
)
def test_sql_with_bad_sql_is_a_message_not_a_traceback(root, capsys, query, words):
    # A typo in a column name (Binder Error) or a failing cast raised a duckdb exception out of
    # the handler: the user saw a Python traceback instead of DuckDB's message.
    assert run("sql", query, "--store", root) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err


def test_sql_out_in_a_new_folder_is_created_and_a_folder_out_is_an_error(root, tmp_path, capsys):
    """--out in a folder that did not exist gave a FileNotFoundError traceback (csv and parquet)."""
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt / "new" / f"r.{fmt}"
        query = "select sim from pair_features order by sim"
        assert run("sql", query, "--store", root, "--format", fmt, "--out", str(out)) == 0
        assert out.exists()
    assert run("sql", "select 1", "--store", root, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(tmp_path) in err[0]


def test_vacuum_keep_zero_is_a_one_line_error(root, capsys):
    """--keep 0 gave the store's ValueError as a traceback."""
    assert run("store", "vacuum", "--store", root, "--keep", "0") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "keep" in err[0]


def test_sql_csv_renders_list_columns_as_json(root, capsys):
    """Lists were written as Python reprs (['a', None]) although the docstring promises JSON."""
    import csv
    import io

    query = "select ['Электроника', 'it''s'] as path, [1.5::double, null] as xs, {'k': [1]} as st"
    assert run("sql", query, "--store", root, "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert json.loads(rows[0]["path"]) == ["Электроника", "it's"]
    assert json.loads(rows[0]["xs"]) == [1.5, None]
    assert json.loads(rows[0]["st"]) == {"k": [1]}


def test_store_that_is_a_file_is_a_one_line_error_in_every_command(tmp_path, capsys):
    """--store naming a file (e.g. a parquet file) gave a NotADirectoryError traceback."""
    path = tmp_path / "items.parquet"
    path.write_bytes(b"PAR1")
    commands = [
        ("sql", "select 1"),
        ("features", "list"),
        ("store", "info"),
        ("store", "check"),
        ("store", "vacuum"),
        ("store", "refresh"),
        ("store", "rebuild-catalog"),
    ]
    for command in commands:
        assert run(*command, "--store", str(path)) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(path) in err[0], command


def test_check_and_read_accept_polars_text_columns_registered_as_string(tmp_path, capsys):
    """polars writes text as large_string and a vector as fixed_size_list<element: float>[2]; the
    registry says 'string' and 'fixed_size_list<float32>' (as the item features asset registers
    category_l1 and emb_*). `store check` on a fresh demo store reported these columns as type
    mismatches, and FeatureStore.read('item_features') refused to read at all."""
    store = FeatureStore(str(tmp_path / "store"))
    frame = pl.DataFrame(
        {
            "item_id": ["a", "b"],
            "category_l1": ["Обувь", None],
            "emb_title": pl.Series([[0.5, 1.0], None], dtype=pl.Array(pl.Float32, 2)),
        }
    )
    store.write(
        "item_features",
        frame,
        partition={"feature_set": "items", "version": "1", "snapshot": "2024-01-01"},
        schema=frame.to_arrow().schema,
    )
    specs = [
        FeatureSpec("category_l1", "string", "level 1", "items", "1"),
        FeatureSpec("emb_title", "fixed_size_list<float32>", "title vector", "items", "1"),
    ]
    store.register_features(specs, "x")
    store.refresh_catalog()
    assert run("store", "check", "--store", store.root) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "ok"
    read = store.read("item_features", feature_set="items")
    read = read.collect() if isinstance(read, pl.LazyFrame) else read
    assert read.sort("item_id")["category_l1"].to_list() == ["Обувь", None]


def test_sql_out_under_a_file_is_a_one_line_error(root, tmp_path, capsys):
    """--out some.csv/r.csv gave makedirs' FileExistsError traceback."""
    (tmp_path / "some.csv").write_text("x")
    out = tmp_path / "some.csv" / "r.csv"
    assert run("sql", "select 1", "--store", root, "--format", "csv", "--out", str(out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(out) in err[0]
