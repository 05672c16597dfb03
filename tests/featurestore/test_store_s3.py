"""An s3:// store root against moto's S3 server on 127.0.0.1 (started by the test itself)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import polars as pl
import pyarrow as pa
import pytest

pytest.importorskip("moto")
s3fs = pytest.importorskip("s3fs")

from featurestore.store import FeatureStore  # noqa: E402

SCHEMA = pa.schema([("item_id_1", pa.string()), ("item_id_2", pa.string()), ("sim", pa.float32())])
PARTITION = {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}


@pytest.fixture(scope="module")
def endpoint():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture()
def s3_root(endpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the local catalog cache
    s3fs.S3FileSystem.clear_instance_cache()
    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    bucket = f"bucket-{time.time_ns()}"
    fs.mkdir(bucket)
    return f"s3://{bucket}/prefix"


def frame(values: list[float]) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {"item_id_1": [f"a{i}" for i in range(n)], "item_id_2": ["b"] * n, "sim": values}
    )


def test_s3_write_sql_read_training_frame(s3_root):
    store = FeatureStore(s3_root)
    written = store.write(
        "pair_features", frame([0.5, 0.25]), partition=PARTITION, schema=SCHEMA, run_id="r1"
    )
    assert written.path.startswith(f"{s3_root}/pair_features/feature_set=core/")
    store.refresh_catalog()
    assert store.sql("select sum(sim) as s from pair_features")["s"][0] == 0.75
    assert store.sql("select count(*) as n from runs")["n"][0] == 1
    assert store.read("core").collect()["sim"].to_list() == [0.5, 0.25]
    keys = pl.DataFrame({"item_id_1": ["a1", "zz"], "item_id_2": ["b", "b"]})
    assert store.training_frame(keys, ["core"])["sim"].to_list() == [0.25, None]
    # The catalog lives in the bucket: a fresh store object (another machine) sees it.
    fs = s3fs.S3FileSystem()
    assert fs.exists(f"{s3_root}/catalog.duckdb")


def test_s3_replace_partition_and_rebuild(s3_root):
    store = FeatureStore(s3_root)
    store.replace_partition(
        "pair_features", [frame([1.0]), frame([2.0]), frame([3.0])], PARTITION, SCHEMA
    )
    store.replace_partition("pair_features", [frame([4.0, 5.0])], PARTITION, SCHEMA)
    assert len(store.files("pair_features")) == 1
    rebuilt = FeatureStore.rebuild_catalog(s3_root)
    assert rebuilt.sql("select sum(sim) as s from pair_features")["s"][0] == 9.0
    assert rebuilt.info()["rows"].to_list() == [2]
