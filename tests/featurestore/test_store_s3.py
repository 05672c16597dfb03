"""An s3:// store root against moto's S3 server on 127.0.0.1 (started by the test itself)."""

from __future__ import annotations

import threading
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

pytest.importorskip("moto")
s3fs = pytest.importorskip("s3fs")

from featurestore.store import FeatureStore  # noqa: E402

SCHEMA = pa.schema([("item_id_1", pa.string()), ("item_id_2", pa.string()), ("sim", pa.float32())])
PARTITION = {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}


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


def values_of(store: FeatureStore) -> list[float]:
    return sorted(store.read("core").collect()["sim"].to_list())


def test_s3_replace_switches_generations_with_one_pointer(s3_root):
    fs = s3fs.S3FileSystem()
    store = FeatureStore(s3_root, gc_grace_seconds=3600)
    # A partition first written part by part (flat layout), then replaced as a whole.
    store.write("pair_features", frame([1.0]), partition=PARTITION, schema=SCHEMA, part="p0")
    store.write("pair_features", frame([2.0]), partition=PARTITION, schema=SCHEMA, part="p1")
    partition = store.partition_path("pair_features", PARTITION)
    written = store.replace_partition("pair_features", [frame([3.0])], PARTITION, SCHEMA)
    assert "/.g" in written[0].path
    assert fs.cat(f"{partition}/_generation").decode() == written[0].path.split("/")[-2]
    assert values_of(store) == [3.0]  # the flat parts are superseded, still stored (grace)
    fs.invalidate_cache()
    assert len(fs.find(partition)) == 4
    # A part written later goes into the current generation.
    store.write("pair_features", frame([4.0]), partition=PARTITION, schema=SCHEMA, part="extra")
    assert values_of(store) == [3.0, 4.0]
    store.refresh_catalog()
    assert store.sql("select count(*) as n from pair_features__core__v1")["n"][0] == 2
    assert store.info()["partition"].to_list() == [
        "feature_set=core/version=v1/snapshot=2024-01-01"
    ]
    # Past the grace time, vacuum (and the next replace) remove what was superseded.
    store.gc_grace_seconds = 0
    doomed = store.vacuum(dry_run=True)
    assert sorted(p.rsplit("/", 1)[-1] for p in doomed) == ["p0.parquet", "p1.parquet"]
    store.replace_partition("pair_features", [frame([5.0]), frame([6.0])], PARTITION, SCHEMA)
    assert values_of(store) == [5.0, 6.0]
    fs.invalidate_cache()
    left = [p.split("snapshot=2024-01-01", 1)[1] for p in fs.find(partition)]
    assert len(left) == 3 and "/_generation" in left  # the pointer and the two new parts


def test_s3_failed_replace_leaves_old_partition(s3_root):
    store = FeatureStore(s3_root)
    store.replace_partition("pair_features", [frame([1.0]), frame([2.0])], PARTITION, SCHEMA)

    def parts():
        yield frame([7.0])
        raise RuntimeError("killed mid-way")

    with pytest.raises(RuntimeError, match="killed"):
        store.replace_partition("pair_features", parts(), PARTITION, SCHEMA)
    assert values_of(store) == [1.0, 2.0]
    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    generations = {
        p.split("/")[-2] for p in fs.find(store.partition_path("pair_features", PARTITION))
    }
    assert len(generations - {"snapshot=2024-01-01"}) == 1  # the half-written one is gone


def test_s3_reader_during_replace_sees_one_generation(s3_root):
    store = FeatureStore(s3_root, gc_grace_seconds=3600)
    store.replace_partition("pair_features", [frame([0.0])], PARTITION, SCHEMA)
    store.refresh_catalog()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        try:
            for k in range(1, 30):
                if stop.is_set():
                    break
                # Generation k: k % 3 + 1 parts, every value k.
                n = k % 3 + 1
                chunks = [frame([float(k)] * (i + 1)) for i in range(n)]
                store.replace_partition("pair_features", chunks, PARTITION, SCHEMA)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    reader = FeatureStore(s3_root)
    seen = set()
    try:
        while not stop.is_set():
            values = reader.read("core").collect()["sim"].to_list()
            row = reader.sql(
                "select min(sim) as lo, max(sim) as hi, count(*) as n from pair_features"
            )
            for lo, hi, n in [(min(values), max(values), len(values)), tuple(row.row(0))]:
                assert lo == hi, f"a mix of generations: {lo} .. {hi}"
                k = int(lo)
                expected = 1 if k == 0 else sum(range(1, k % 3 + 2))
                assert n == expected, f"generation {k}: {n} rows, expected {expected}"
                seen.add(k)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert len(seen) > 2  # the reader really ran across several switches


def test_s3_bad_pointer_is_named(s3_root):
    store = FeatureStore(s3_root)
    store.replace_partition("pair_features", [frame([1.0])], PARTITION, SCHEMA)
    pointer = f"{store.partition_path('pair_features', PARTITION)}/_generation"
    s3fs.S3FileSystem().pipe_file(pointer, b"../../elsewhere")
    with pytest.raises(ValueError, match="_generation"):
        store.read("core")


def test_s3_put_file_and_local_copy(s3_root, tmp_path):
    # How the homoglyph LM (an ARPA file, which KenLM reads from a local path) lives in the store.
    from featurestore import storage

    dest = storage.join(s3_root, "models", "homoglyph_lm", "char5.arpa")
    first_file = tmp_path / "a.arpa"
    first_file.write_text("first model")
    storage.put_file(str(first_file), dest)
    first = storage.local_copy(dest)
    assert Path(first).read_text() == "first model"
    assert storage.local_copy(dest) == first  # downloaded once

    second_file = tmp_path / "b.arpa"
    second_file.write_text("second model, retrained")
    storage.put_file(str(second_file), dest)
    second = storage.local_copy(dest)
    assert second != first and Path(second).read_text() == "second model, retrained"
    with pytest.raises(FileNotFoundError, match="nothing.arpa"):
        storage.local_copy(storage.join(s3_root, "nothing.arpa"))
