"""FeatureStore: writes, atomicity, versions, reads, point-in-time training frames, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurestore import storage
from featurestore.registry import FeatureSpec
from featurestore.schemas import PAIRS_SCHEMA
from featurestore.store import FeatureStore, StoreDataError

PAIR_SCHEMA = pa.schema(
    [
        pa.field("item_id_1", pa.string(), nullable=False),
        pa.field("item_id_2", pa.string(), nullable=False),
        pa.field("sim", pa.float32()),
    ]
)
ITEM_SCHEMA = pa.schema(
    [pa.field("item_id", pa.string(), nullable=False), pa.field("price_log", pa.float64())]
)


def pf(store: FeatureStore, frame: pl.DataFrame, snapshot: str, version: str = "v1", **kw):
    return store.write(
        "pair_features",
        frame,
        partition={"feature_set": "core", "version": version, "snapshot": snapshot},
        schema=PAIR_SCHEMA,
        **kw,
    )


def pairs_frame(values: list[float], prefix: str = "a") -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {
            "item_id_1": [f"{prefix}{i}" for i in range(n)],
            "item_id_2": [f"b{i}" for i in range(n)],
            "sim": values,
        }
    )


def visible_files(root) -> list[str]:
    return storage.list_parquet_files(str(root))


def test_write_layout_schema_and_rerun(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    written = store.write(
        "pairs",
        pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"], "label": [1]}),
        partition={"snapshot": "2024-01-01"},
        schema=PAIRS_SCHEMA,
    )
    assert written.path == f"{store.root}/pairs/snapshot=2024-01-01/part-00000.parquet"
    assert written.rows == 1 and len(written.sha256) == 64
    file_schema = pq.read_schema(written.path)
    assert file_schema.field("label").type == pa.int8()  # cast to the explicit schema
    assert pq.ParquetFile(written.path).metadata.row_group(0).column(0).compression == "ZSTD"

    # A rerun replaces the part: still one file, new contents.
    store.write(
        "pairs",
        pl.DataFrame({"item_id_1": ["a", "c"], "item_id_2": ["b", "d"], "label": [0, 1]}),
        partition={"snapshot": "2024-01-01"},
        schema=PAIRS_SCHEMA,
    )
    assert store.read("pairs").collect()["label"].to_list() == [0, 1]
    assert len(visible_files(store.root)) == 1


def test_write_rejects_bad_schema_and_partition(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    with pytest.raises(ValueError, match=r"column 'sim'.*cannot be cast"):
        pf(store, pairs_frame([1.0]).with_columns(sim=pl.lit("abc")), "2024-01-01")
    with pytest.raises(ValueError, match="missing columns"):
        pf(store, pairs_frame([1.0]).drop("sim"), "2024-01-01")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        pf(store, pairs_frame([1.0]), "yesterday")
    with pytest.raises(ValueError, match="partitioned by"):
        store.write("pairs", pairs_frame([1.0]), partition={"day": "x"}, schema=PAIRS_SCHEMA)
    assert visible_files(store.root) == []


def test_parquet_dictionary_not_for_vectors(tmp_path):
    vectors = pa.FixedSizeListArray.from_arrays(pa.array([0.5, 1.0] * 4, pa.float16()), 2)
    table = pa.table(
        {
            "item_id": ["a", "b", "a", "b"],
            "category": pa.array([1, 1, 2, 1], pa.int32()),
            "sim": pa.array([0.1, 0.2, 0.1, 0.3], pa.float32()),
            "embedding": vectors,
        }
    )
    assert storage.dictionary_columns(table.schema) == ["item_id", "category", "sim"]
    written = storage.write_parquet_atomic(str(tmp_path / "t.parquet"), table)
    meta = pq.ParquetFile(written.path).metadata.row_group(0)
    encodings = {
        meta.column(i).path_in_schema: set(meta.column(i).encodings)
        for i in range(meta.num_columns)
    }
    dictionary = {"RLE_DICTIONARY", "PLAIN_DICTIONARY"}
    assert all(encodings[c] & dictionary for c in ("item_id", "category", "sim"))
    assert not encodings["embedding.list.element"] & dictionary
    assert pq.read_table(written.path).equals(table)


def test_failed_write_leaves_old_partition(tmp_path, monkeypatch):
    store = FeatureStore(str(tmp_path / "s"))
    pf(store, pairs_frame([1.0, 2.0]), "2024-01-01")

    def broken_write(table, where, **kwargs):
        with open(where, "wb") as fh:  # half a file, then the writer dies
            fh.write(b"PAR1 half written")
        raise OSError("disk on fire")

    monkeypatch.setattr(storage.pq, "write_table", broken_write)
    with pytest.raises(OSError, match="disk on fire"):
        pf(store, pairs_frame([9.0, 9.0, 9.0]), "2024-01-01")
    monkeypatch.undo()
    assert store.read("core").collect()["sim"].to_list() == [1.0, 2.0]
    partition = store.partition_path(
        "pair_features", {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}
    )
    assert sorted(os.listdir(partition)) == ["part-00000.parquet"]


def test_sigkill_during_big_write_leaves_old_partition(tmp_path):
    root = str(tmp_path / "s")
    store = FeatureStore(root, gc_grace_seconds=0)
    pf(store, pairs_frame([1.0, 2.0]), "2024-01-01")
    store.refresh_catalog()
    script = textwrap.dedent(
        f"""
        import numpy as np, polars as pl, pyarrow as pa
        from featurestore.store import FeatureStore
        schema = pa.schema([("item_id_1", pa.string(), False), ("item_id_2", pa.string(), False),
                            ("sim", pa.float32())])
        n = 1_000_000
        frame = pl.DataFrame({{"item_id_1": pl.int_range(n, eager=True).cast(pl.String),
                              "item_id_2": pl.int_range(n, eager=True).cast(pl.String),
                              "sim": np.random.default_rng(0).random(n)}})
        store = FeatureStore({root!r})
        print("writing", flush=True)
        while True:
            store.write("pair_features", frame, schema=schema,
                        partition={{"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    partition = store.partition_path(
        "pair_features", {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}
    )
    assert proc.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 60
    while not any(n.endswith(".tmp") for n in os.listdir(partition)):
        assert time.monotonic() < deadline, "writer never started a temporary file"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    names = os.listdir(partition)
    assert "part-00000.parquet" in names
    # Old rows (2) or, if a whole rewrite finished before the kill, all new rows: never a mix.
    rows = store.sql("select count(*) as n from pair_features")["n"][0]
    assert rows in (2, 1_000_000)
    # The leftover temporary file is invisible to readers and vacuum removes it.
    leftovers = [n for n in names if n.endswith(".tmp")]
    assert leftovers and all(n.startswith(".") for n in leftovers)
    removed = store.vacuum(keep_versions=1, dry_run=False)
    assert any(p.endswith(".tmp") for p in removed)
    assert not any(n.endswith(".tmp") for n in os.listdir(partition))
    assert store.sql("select count(*) as n from pair_features")["n"][0] == rows


def test_sql_reruns_a_query_that_overlapped_a_partition_switch(tmp_path, monkeypatch):
    store = FeatureStore(str(tmp_path / "s"))
    partition = {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}
    store.replace_partition("pair_features", [pairs_frame([1.0] * 3)], partition, PAIR_SCHEMA)
    store.refresh_catalog()
    links = store._partition_links()
    assert list(links) == [store.partition_path("pair_features", partition)]
    assert links[next(iter(links))].startswith(".snapshot=2024-01-01.g")
    # the generation changes between the first query's two looks, then stays
    looks = iter([{"p": "g1"}, {"p": "g2"}] + [{"p": "g2"}] * 10)
    calls = []
    monkeypatch.setattr(store, "_partition_links", lambda: calls.append(1) or next(looks))
    monkeypatch.setattr(time, "sleep", lambda s: None)
    assert store.sql("select count(*) as n from pair_features")["n"][0] == 3
    assert len(calls) == 4  # two attempts, each with a look before and after


def test_sql_fails_rather_than_return_a_possible_mix(tmp_path, monkeypatch):
    store = FeatureStore(str(tmp_path / "s"))
    partition = {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}
    store.replace_partition("pair_features", [pairs_frame([1.0] * 3)], partition, PAIR_SCHEMA)
    store.refresh_catalog()
    counter = iter(range(1000))
    monkeypatch.setattr(store, "_partition_links", lambda: {"p": next(counter)})
    monkeypatch.setattr(time, "sleep", lambda s: None)
    with pytest.raises(StoreDataError, match="replaced during each of 6 attempts"):
        store.sql("select count(*) from pair_features")


def test_replace_partition_shrinks_and_readers_never_see_a_mix(tmp_path):
    store = FeatureStore(str(tmp_path / "s"), gc_grace_seconds=3600)
    partition = {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}
    three = [pairs_frame([1.0] * 10, prefix=p) for p in "xyz"]  # 30 rows, sum 30
    one = [pairs_frame([5.0] * 4)]  # 4 rows, sum 20
    store.replace_partition("pair_features", three, partition, PAIR_SCHEMA)
    store.refresh_catalog()
    seen, errors, stop = set(), [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                a = store.sql("select count(*) as n, sum(sim) as s from pair_features")
                seen.add((a["n"][0], a["s"][0]))
                b = store.read("core").collect()
                seen.add((b.height, b["sim"].sum()))
            except Exception as exc:  # noqa: BLE001 - any error is a failure here
                errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            store.replace_partition(
                "pair_features", one if i % 2 == 0 else three, partition, PAIR_SCHEMA
            )
    finally:
        stop.set()
        thread.join()
    assert not errors, errors[:3]
    assert seen <= {(30, 30.0), (4, 20.0)}
    final = store.read("core").collect()
    assert final.height == 30
    directory = store.partition_path("pair_features", partition)
    assert sorted(os.listdir(directory)) == [f"part-{i:05d}.parquet" for i in range(3)]
    # Superseded generations are kept for the grace time, then vacuumed.
    store.gc_grace_seconds = 0
    removed = store.vacuum(dry_run=False)
    assert removed and all(".g" in os.path.basename(p) for p in removed)
    assert store.read("core").collect().height == 30


def test_new_version_keeps_old_queryable(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    pf(store, pairs_frame([1.0, 2.0]), "2024-01-01", version="v1")
    pf(store, pairs_frame([3.0, 4.0, 5.0]), "2024-01-01", version="v2")
    store.write(
        "pair_features",
        pairs_frame([7.0]).rename({"sim": "other"}),
        partition={"feature_set": "extra", "version": "1", "snapshot": "2024-01-01"},
        schema=pa.schema([*PAIR_SCHEMA][:2] + [pa.field("other", pa.float32())]),
    )
    views = store.refresh_catalog()
    assert {
        "pair_features__core__v1",
        "pair_features__core__v2",
        "pair_features__core__latest",
    } <= set(views)
    assert store.sql("select sum(sim) as s from pair_features__core__v1")["s"][0] == 3.0
    assert store.sql("select sum(sim) as s from pair_features__core__latest")["s"][0] == 12.0
    counts = store.sql(
        "select feature_set, version, count(*) as n from pair_features group by all order by 1"
    )
    assert counts.rows() == [("core", "v2", 3), ("extra", "1", 1)]
    assert store.read("core", version="v1").collect()["sim"].to_list() == [1.0, 2.0]
    assert store.read("core").collect()["sim"].to_list() == [3.0, 4.0, 5.0]


def test_version_order_is_natural(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    for version in ["v2", "v10", "v9"]:
        pf(store, pairs_frame([float(version[1:])]), "2024-01-01", version=version)
    assert store.resolve_version("pair_features", "core") == "v10"
    assert store.read("core").collect()["sim"].to_list() == [10.0]


@pytest.fixture()
def pit_store(tmp_path) -> FeatureStore:
    store = FeatureStore(str(tmp_path / "s"))
    for snapshot, v in [("2024-01-01", 1.0), ("2024-02-01", 2.0), ("2024-03-01", 3.0)]:
        pf(
            store,
            pl.DataFrame({"item_id_1": ["a", "b"], "item_id_2": ["c", "d"], "sim": [v, 10 * v]}),
            snapshot,
        )
        store.write(
            "item_features",
            pl.DataFrame({"item_id": ["a", "c"], "price_log": [v, -v]}),
            partition={"feature_set": "price", "version": "1", "snapshot": snapshot},
            schema=ITEM_SCHEMA,
        )
    # "b","d" disappears from the March snapshot: its last values are from February.
    pf(store, pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["c"], "sim": [3.0]}), "2024-03-01")
    return store


def test_training_frame_point_in_time_per_row(pit_store):
    keys = pl.DataFrame(
        {
            "item_id_1": ["b", "a", "a", "x", "b"],
            "item_id_2": ["d", "c", "c", "y", "d"],
            "label": [1, 0, 1, 0, 1],
            "as_of": [
                date(2024, 2, 15),
                date(2023, 12, 1),
                date(2024, 3, 5),
                date(2024, 3, 1),
                date(2024, 3, 9),
            ],
        }
    )
    out = pit_store.training_frame(keys, ["core", "price"])
    assert out.columns == [
        "item_id_1", "item_id_2", "label", "as_of", "sim", "core__snapshot",
        "price_log_1", "price__snapshot_1", "price_log_2", "price__snapshot_2",
    ]  # fmt: skip
    assert out["label"].to_list() == [1, 0, 1, 0, 1]  # key order and extra columns kept
    assert out["sim"].to_list() == [20.0, None, 3.0, None, 20.0]
    assert out["core__snapshot"].to_list() == [
        date(2024, 2, 1),
        None,
        date(2024, 3, 1),
        None,
        date(2024, 2, 1),
    ]
    assert out["price_log_1"].to_list() == [None, None, 3.0, None, None]
    assert out["price_log_2"].to_list() == [None, None, -3.0, None, None]


def test_training_frame_single_as_of_and_items(pit_store):
    keys = pl.DataFrame({"item_id_1": ["a", "b"], "item_id_2": ["c", "d"]})
    assert pit_store.training_frame(keys, ["core"], as_of="2024-01-31")["sim"].to_list() == [
        1.0,
        10.0,
    ]
    assert pit_store.training_frame(keys, ["core"], as_of="2023-01-01")["sim"].to_list() == [
        None,
        None,
    ]
    assert pit_store.training_frame(keys, ["core"])["sim"].to_list() == [3.0, 20.0]  # latest
    items = pl.DataFrame({"item_id": ["c", "zz", "a"]})
    out = pit_store.training_frame(items, ["price"], as_of=date(2024, 2, 1))
    assert out["price_log"].to_list() == [-2.0, None, 2.0]
    with pytest.raises(ValueError, match="per pair"):
        pit_store.training_frame(items, ["core"])
    with pytest.raises(KeyError, match="nope"):
        pit_store.training_frame(keys, ["nope"])


def test_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "absent")):
        FeatureStore(str(tmp_path / "absent"), create=False)


def test_corrupt_file_named_and_rest_intact(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    good = pf(store, pairs_frame([1.0]), "2024-01-01")
    bad = pf(store, pairs_frame([2.0]), "2024-01-02")
    store.write("pairs", pairs_frame([1.0]).drop("sim").with_columns(label=pl.lit(1)),
                partition={"snapshot": "2024-01-01"}, schema=PAIRS_SCHEMA)  # fmt: skip
    store.refresh_catalog()
    with open(bad.path, "r+b") as fh:
        fh.truncate(os.path.getsize(bad.path) // 2)
    with pytest.raises(StoreDataError, match="snapshot=2024-01-02/part-00000.parquet"):
        store.read("core")
    with pytest.raises(StoreDataError, match="snapshot=2024-01-02"):
        store.training_frame(pl.DataFrame({"item_id_1": ["a0"], "item_id_2": ["b0"]}), ["core"])
    problems = store.check()
    assert len(problems) == 1 and bad.path in problems[0]
    # Everything else still reads.
    assert store.read("core", snapshot="2024-01-01").collect()["sim"].to_list() == [1.0]
    assert store.sql("select count(*) as n from pairs")["n"][0] == 1
    assert pq.read_table(good.path).num_rows == 1


def test_schema_mismatch_with_registry_is_named(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    store.register_features(
        [FeatureSpec("sim", "float32", "title cosine", "core", "v1")], code_version="abc"
    )
    pf(store, pairs_frame([1.0]), "2024-01-01")
    wrong = pa.schema([*PAIR_SCHEMA][:2] + [pa.field("sim", pa.string())])
    store.write(
        "pair_features",
        pairs_frame([2.0]).with_columns(pl.col("sim").cast(pl.String)),
        partition={"feature_set": "core", "version": "v1", "snapshot": "2024-01-02"},
        schema=wrong,
    )
    with pytest.raises(StoreDataError, match=r"snapshot=2024-01-02.*column 'sim' has type string"):
        store.read("core")
    assert any("2024-01-02" in p for p in store.check())
    assert store.read("core", snapshot="2024-01-01").collect()["sim"].to_list() == [1.0]


def test_info_and_vacuum_versions(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    for version in ["v1", "v2", "v3"]:
        pf(store, pairs_frame([1.0, 2.0]), "2024-01-01", version=version)
    info = store.info()
    assert info.select("version", "rows", "files").rows() == [
        ("v1", 2, 1),
        ("v2", 2, 1),
        ("v3", 2, 1),
    ]
    assert (info["bytes"] > 0).all()
    planned = store.vacuum(keep_versions=2, dry_run=True)
    assert [os.path.basename(p) for p in planned] == ["version=v1"]
    assert store.info().height == 3  # dry run removed nothing
    store.vacuum(keep_versions=2, dry_run=False)
    assert store.info()["version"].to_list() == ["v2", "v3"]
    assert "pair_features__core__v1" not in set(
        store.sql("select view_name from duckdb_views()")["view_name"]
    )


def test_grace_time_counts_from_the_switch(tmp_path):
    """An old generation superseded just now is kept for the grace time, however old it is."""
    store = FeatureStore(str(tmp_path / "s"), gc_grace_seconds=600)
    partition = {"feature_set": "core", "version": "v1", "snapshot": "2024-01-01"}
    store.replace_partition("pair_features", [pairs_frame([1.0])], partition, PAIR_SCHEMA)
    link = store.partition_path("pair_features", partition)
    first = os.path.realpath(link)
    os.utime(first, (time.time() - 3600, time.time() - 3600))  # written an hour ago
    store.replace_partition("pair_features", [pairs_frame([2.0])], partition, PAIR_SCHEMA)
    assert os.path.isdir(first) and store.vacuum(dry_run=True) == []
    store.gc_grace_seconds = 0
    assert store.vacuum(dry_run=True) == [first]


def test_training_frame_hash_collisions_never_match_wrong_keys(pit_store, monkeypatch):
    """Every key hashed alike: the join still compares the keys, so results stay exact."""
    import featurestore.store as store_module

    keys = pl.DataFrame({"item_id_1": ["b", "a", "x"], "item_id_2": ["d", "c", "c"]})
    expected = pit_store.training_frame(keys, ["core", "price"], as_of="2024-02-15")
    monkeypatch.setattr(store_module, "_key_hash", lambda columns: pl.lit(7, dtype=pl.UInt64))
    out = pit_store.training_frame(keys, ["core", "price"], as_of="2024-02-15")
    assert out.equals(expected)
    assert out["sim"].to_list() == [20.0, 2.0, None]
    assert out["price_log_1"].to_list() == [None, 2.0, None]
    assert out["price_log_2"].to_list() == [None, -2.0, -2.0]


def test_training_frame_duplicate_key_in_a_snapshot_gives_one_row(tmp_path):
    store = FeatureStore(str(tmp_path / "s"))
    dup = pl.DataFrame({"item_id_1": ["a", "a"], "item_id_2": ["c", "c"], "sim": [1.0, 1.0]})
    pf(store, dup, "2024-01-01")
    pf(store, pairs_frame([5.0]), "2024-02-01")  # a0-b0 only: a-c comes from January
    keys = pl.DataFrame({"item_id_1": ["a", "a0"], "item_id_2": ["c", "b0"], "label": [1, 0]})
    out = store.training_frame(keys, ["core"])
    assert out["sim"].to_list() == [1.0, 5.0]
    assert out["core__snapshot"].to_list() == [date(2024, 1, 1), date(2024, 2, 1)]
    # Nothing at or before as_of: the feature columns are there, all null.
    early = store.training_frame(keys, ["core"], as_of="2023-06-01")
    assert early.columns == ["item_id_1", "item_id_2", "label", "sim", "core__snapshot"]
    assert early["sim"].null_count() == 2


def test_training_frame_empty_keys_gives_empty_frame_with_feature_columns(pit_store):
    # Labels filtered down to nothing (or a fresh label file with a header only) crashed with
    # "'NoneType' object has no attribute 'isoformat'" (the max of an empty as_of column).
    pairs = pl.DataFrame(schema={"item_id_1": pl.String, "item_id_2": pl.String, "label": pl.Int8})
    for as_of in (None, "2024-02-01"):
        out = pit_store.training_frame(pairs, ["core", "price"], as_of=as_of)
        assert out.height == 0
        assert out.columns == [
            "item_id_1", "item_id_2", "label", "sim", "core__snapshot",
            "price_log_1", "price__snapshot_1", "price_log_2", "price__snapshot_2",
        ]  # fmt: skip
        assert out.schema["sim"] == pl.Float32
    dated = pl.DataFrame(schema={"item_id": pl.String, "as_of": pl.Date})
    out = pit_store.training_frame(dated, ["price"])
    assert out.columns == ["item_id", "as_of", "price_log", "price__snapshot"]


def test_put_file_moves_into_place_and_local_copy_is_the_file(tmp_path):
    from featurestore import storage

    dest = tmp_path / "store" / "models" / "lm" / "char5.arpa"  # folders made as needed
    for text in ("old", "new"):
        src = tmp_path / f"{text}.arpa"
        src.write_text(text)
        storage.put_file(str(src), str(dest))
        assert not src.exists()
        assert dest.read_text() == text
    assert sorted(p.name for p in dest.parent.iterdir()) == ["char5.arpa"]  # no temp file left
    assert storage.local_copy(str(dest)) == str(dest)
    with pytest.raises(FileNotFoundError, match="missing.arpa"):
        storage.local_copy(str(tmp_path / "missing.arpa"))


def test_training_frame_as_of_as_text_from_a_csv(pit_store):
    # A label file read from CSV has as_of as text: polars' cast to Date refused it.
    keys = pl.DataFrame(
        {"item_id_1": ["b", "a"], "item_id_2": ["d", "c"], "as_of": ["2024-02-15", " 2023-12-01"]}
    )
    out = pit_store.training_frame(keys, ["core"])
    assert out["sim"].to_list() == [20.0, None]
    assert out["as_of"].to_list() == ["2024-02-15", " 2023-12-01"]  # the keys' own column kept
    bad = keys.with_columns(pl.Series("as_of", ["2024-02-15", "15.02.2024"]))
    with pytest.raises(ValueError, match=r"'as_of': row 1 holds '15.02.2024'"):
        pit_store.training_frame(bad, ["core"])
