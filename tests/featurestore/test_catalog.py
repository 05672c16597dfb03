"""The DuckDB catalog: views, registry, run log, locking, rebuild, read-only SQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from featurestore import catalog as cat
from featurestore.registry import FeatureSpec
from featurestore.store import FeatureStore, ReadOnlyQueryError, check_read_only

SCHEMA = pa.schema(
    [
        pa.field("item_id_1", pa.string(), nullable=False),
        pa.field("item_id_2", pa.string(), nullable=False),
        pa.field("sim", pa.float32()),
    ]
)


@pytest.fixture()
def store(tmp_path) -> FeatureStore:
    store = FeatureStore(str(tmp_path / "store"), lock_timeout=2.0)
    frame = pl.DataFrame(
        {"item_id_1": ["a", "b", "c"], "item_id_2": ["x", "y", "z"], "sim": [0.1, 0.2, 0.3]}
    )
    for version in ("v1", "v2"):
        store.write(
            "pair_features",
            frame,
            partition={"feature_set": "core", "version": version, "snapshot": "2024-01-01"},
            schema=SCHEMA,
            run_id="run-1",
        )
    store.register_features(
        [
            FeatureSpec("sim", "float32", "title cosine", "core", "v1"),
            FeatureSpec("sim", "float32", "title cosine, new tokens", "core", "v2", "e5-small"),
        ],
        code_version="abc123",
    )
    store.refresh_catalog()
    return store


def test_catalog_tables_and_views(store):
    registry = store.sql("select * from feature_registry order by version")
    assert registry.select("feature", "version", "dtype", "code_version", "model_key").rows() == [
        ("sim", "v1", "float32", "abc123", None),
        ("sim", "v2", "float32", "abc123", "e5-small"),
    ]
    runs = store.sql("select run_id, asset, partition, rows, status, checksums from runs")
    assert runs.height == 2 and set(runs["rows"]) == {3}
    assert runs["partition"][0] == "feature_set=core/version=v1/snapshot=2024-01-01"
    assert "part-00000.parquet" in runs["checksums"][0]
    assert store.sql("select count(*) as n from pair_features")["n"][0] == 3


def test_views_work_from_any_directory_with_plain_duckdb(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect(os.path.join(store.root, "catalog.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from pair_features__core__v1").fetchone()[0] == 3
    finally:
        con.close()


@pytest.mark.parametrize(
    "query",
    [
        "DROP VIEW pair_features",
        "INSERT INTO runs (run_id, asset, status) VALUES ('x', 'y', 'z')",
        "UPDATE runs SET status = 'x'",
        "DELETE FROM runs",
        "CREATE TABLE t AS SELECT 1",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/out.csv'",
        "ATTACH '/tmp/other.duckdb'",
        "SELECT 1; DROP VIEW pairs",
        "SET threads = 1",
        "INSTALL httpfs",
    ],
)
def test_sql_refuses_modifications(store, query):
    with pytest.raises(ReadOnlyQueryError, match="read-only"):
        store.sql(query)
    assert store.sql("select count(*) as n from pair_features")["n"][0] == 3


def test_sql_allows_reads():
    check_read_only("select 1")
    check_read_only("with a as (select 1) select * from a")
    check_read_only("explain select 1")
    check_read_only("describe select 1")
    with pytest.raises(ValueError, match="empty"):
        check_read_only("  ")


def test_rebuild_catalog_from_parquet_alone(store):
    os.remove(store.catalog.path)
    rebuilt = FeatureStore.rebuild_catalog(store.root)
    assert rebuilt.sql("select count(*) as n from feature_registry")["n"][0] == 2
    assert rebuilt.sql("select count(*) as n from runs")["n"][0] == 2
    assert rebuilt.sql("select sum(sim) as s from pair_features__core__v1")["s"][
        0
    ] == pytest.approx(0.6)
    assert rebuilt.sql("select version from pair_features limit 1")["version"][0] == "v2"


def test_corrupt_catalog_is_named_and_rebuildable(store):
    with open(store.catalog.path, "wb") as fh:
        fh.write(b"this is not a duckdb file" * 100)
    with pytest.raises(cat.CatalogError, match="catalog.duckdb"):
        store.sql("select 1")
    rebuilt = FeatureStore.rebuild_catalog(store.root)
    assert rebuilt.sql("select count(*) as n from pair_features")["n"][0] == 3
    assert any(n.startswith("catalog.duckdb.broken-") for n in os.listdir(store.root))


HOLDER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("INSERT INTO runs (run_id, asset, status) VALUES ('holder', 'x', 'running')")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    """
)


def _hold(path: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_lock_contention_is_retried(store):
    proc = _hold(store.catalog.path, 1.0)  # released while we retry
    try:
        store.catalog.lock_timeout = 30.0
        store.log_run(run_id="r2", asset="a", partition=None, rows=1, seconds=0.1, status="success")
    finally:
        proc.wait()
    assert store.sql("select count(*) as n from runs where run_id = 'r2'")["n"][0] == 1


def test_catalog_left_locked_by_dead_process(store):
    proc = _hold(store.catalog.path, 600)
    try:
        t0 = time.monotonic()
        with pytest.raises(cat.CatalogLockedError, match="catalog.duckdb.*still locked"):
            store.log_run(run_id="r3", asset="a", partition=None, rows=1, seconds=0.1, status="ok")
        assert time.monotonic() - t0 >= 1.5  # it retried for lock_timeout (2 s) first
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # The dead holder's OS lock is gone: the next update succeeds and the data is intact.
    store.log_run(run_id="r3", asset="a", partition=None, rows=1, seconds=0.1, status="ok")
    assert store.sql("select count(*) as n from pair_features")["n"][0] == 3
    # The run row the dead process never committed is not there; the parquet mirror has ours.
    assert store.sql("select count(*) as n from runs where run_id = 'holder'")["n"][0] in (0, 1)
    assert store.sql("select count(*) as n from runs where run_id = 'r3'")["n"][0] == 1


def test_discover_unknown_table_and_version_sort():
    assert cat.version_sort_key("v10") > cat.version_sort_key("v9")
    assert cat.version_sort_key("1.10") > cat.version_sort_key("1.9")


def test_unknown_table_gets_a_view(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    store.write(
        "demand_targets",
        pl.DataFrame({"item_id": ["a"], "y": [0.5]}),
        partition={"region": "kazan", "snapshot": "2024-01-01"},
        schema=pa.schema([("item_id", pa.string()), ("y", pa.float64())]),
    )
    assert "demand_targets" in store.refresh_catalog()
    row = store.sql("select region, snapshot, y from demand_targets").rows()[0]
    assert row[0] == "kazan" and str(row[1]) == "2024-01-01" and row[2] == 0.5


def test_embedding_model_folder_without_files_does_not_break_the_views(tmp_path):
    # The first cache write of a new model failed (disk full, killed): its model=... folder was
    # left without a parquet file, and from then on every refresh_catalog (which every asset
    # runs) failed with "No files found that match the pattern .../model=b/*.parquet".
    store = FeatureStore(str(tmp_path / "s"))
    vectors = pa.table(
        {"content_hash": ["h"], "embedding": pa.array([[1.0, 2.0]], pa.list_(pa.float32(), 2))}
    )
    store.write("text_embeddings", vectors, partition={"model": "a"}, schema=vectors.schema)
    os.makedirs(tmp_path / "s" / "text_embeddings" / "model=b")
    views = store.refresh_catalog()
    assert "text_embeddings__a" in views and "text_embeddings__b" not in views
    assert store.sql("select count(*) as n from text_embeddings")["n"][0] == 1
