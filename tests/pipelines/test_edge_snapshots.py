"""Snapshots real data produces at the edges: a rerun of a snapshot with another shard count."""

from dataclasses import replace

import dagster as dg
import polars as pl
import pyarrow as pa
import pytest

from featurestore.store import FeatureStore
from pipelines.assets.embeddings import write_shard_part
from pipelines.automation import SHARD_JOB
from pipelines.definitions import build_definitions
from pipelines.runner import run_snapshot
from tests.pipelines.conftest import SNAPSHOT, land_demo


@pytest.mark.slow
def test_rerun_with_fewer_shards_replaces_the_old_shard_parts(pipeline_env, tmp_path):
    # The deployment went from 2 shards to 1 and the snapshot was run again: the 2-shard part
    # files stayed beside the new one and every pair had two feature rows.
    folder = land_demo(tmp_path / "landing", items=30)
    pairs = pl.read_parquet(folder / "pairs.parquet")
    run_snapshot(build_definitions(pipeline_env), SNAPSHOT, 2, echo=lambda *_: None)
    one = build_definitions(replace(pipeline_env, shards=1))
    result = one.resolve_job_def(SHARD_JOB).execute_in_process(
        instance=dg.DagsterInstance.get(),
        partition_key=dg.MultiPartitionKey({"snapshot": SNAPSHOT, "shard": "00"}),
    )
    assert result.success
    store = FeatureStore(pipeline_env.store)
    for table in ("pair_features", "item_text_index", "item_images"):
        names = {p.rsplit("/", 1)[-1] for p in store.files(table)}
        assert names == {"part-shard-000-of-001.parquet"}, table
    assert store.sql("select count(*) as n from pair_features")["n"][0] == len(pairs)


def test_write_shard_part_drops_parts_of_another_shard_count(tmp_path):
    schema = pa.schema([pa.field("item_id", pa.string(), nullable=False)])
    store = FeatureStore(str(tmp_path / "s"))
    part = {"snapshot": SNAPSHOT}
    for shard in range(3):
        frame = pl.DataFrame({"item_id": [f"old{shard}"]})
        write_shard_part(
            store, "item_images", frame, partition=part, shard=shard, shards=3, schema=schema
        )
    store.write("item_images", pl.DataFrame({"item_id": ["x"]}), partition=part, schema=schema)
    for shard in range(2):
        frame = pl.DataFrame({"item_id": [f"new{shard}"]})
        write_shard_part(
            store, "item_images", frame, partition=part, shard=shard, shards=2, schema=schema
        )
    ids = sorted(store.read("item_images").collect()["item_id"].to_list())
    assert ids == ["new0", "new1", "x"]  # a part not named by shard is left alone


def _land_canonical(folder, spaces: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    from featurestore.schemas import ITEMS_SCHEMA

    items = pl.DataFrame({"item_id": ["a", "b"], "title": ["Кружка", "Чашка"]})
    missing = [f for f in ITEMS_SCHEMA if f.name not in items.columns]
    items = pl.concat(
        [items, pl.from_arrow(pa.schema(missing).empty_table()).clear(2)], how="horizontal"
    )
    items.write_parquet(folder / "items.parquet")
    pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"], "label": [1]}).write_parquet(
        folder / "pairs.parquet"
    )
    embeddings = folder / "source_embeddings.parquet"
    if spaces:
        pl.DataFrame(
            {
                "item_id": [i for _ in spaces for i in ("a", "b")],
                "space": [s for s in spaces for _ in ("a", "b")],
                "photo_index": [0] * 2 * len(spaces),
                "embedding": [[1.0, 0.0], [0.6, 0.8]] * len(spaces),
            }
        ).write_parquet(embeddings)
    elif embeddings.exists():
        embeddings.unlink()


def test_rerun_of_sources_drops_embedding_spaces_the_source_no_longer_ships(tmp_path):
    # The snapshot was landed with name and picture vectors, then landed again without the
    # picture file (or without any vectors): the old picture partition stayed, and the pair
    # features of the rerun silently used vectors the source no longer has.
    from pipelines.assets import sources
    from pipelines.partitions import snapshot_partitions
    from pipelines.resources import PipelineConfigResource, SourceResource, StoreResource
    from pipelines.settings import Settings

    landing, root = tmp_path / "landing", str(tmp_path / "store")
    (asset,) = sources.build(snapshot_partitions(Settings.from_env()))
    resources = {
        "source": SourceResource(landing=str(landing), format="canonical"),
        "store": StoreResource(root=root),
        "pipeline": PipelineConfigResource(),
    }
    store = FeatureStore(root)
    for spaces in (["name", "pic"], ["name"], []):
        _land_canonical(landing / SNAPSHOT, spaces)
        result = dg.materialize([asset], resources=resources, partition_key=SNAPSHOT)
        assert result.success
        found = {
            p.split("space=", 1)[1].split("/", 1)[0]
            for p in store.files("source_embeddings", {"snapshot": SNAPSHOT})
        }
        assert found == set(spaces)


def test_first_snapshot_without_photos_materialises(pipeline_env, tmp_path):
    # A source without photos (or whose photo column is empty): nothing is encoded, so the image
    # cache folder does not exist yet when the image asset reads its vectors back for the check.
    folder = land_demo(tmp_path / "landing", items=12)
    items = pl.read_parquet(folder / "items.parquet")
    items.with_columns(
        pl.lit(None, dtype=items.schema["image_paths"]).alias("image_paths")
    ).write_parquet(folder / "items.parquet")
    run_snapshot(
        build_definitions(pipeline_env), SNAPSHOT, pipeline_env.shards, echo=lambda *_: None
    )
    store = FeatureStore(pipeline_env.store)
    assert store.sql("select count(*) as n from item_features")["n"][0] == 12


def test_duplicate_pair_rows_do_not_fail_the_row_count_check(pipeline_env, tmp_path):
    # Real pair files repeat a pair now and then. The features keep one row per distinct pair, so
    # the blocking check "one feature row per input pair" compared against the raw row count
    # failed and blocked the snapshot.
    folder = land_demo(tmp_path / "landing", items=12)
    pairs = pl.read_parquet(folder / "pairs.parquet")
    pl.concat([pairs, pairs.head(2)]).write_parquet(folder / "pairs.parquet")
    run_snapshot(
        build_definitions(pipeline_env), SNAPSHOT, pipeline_env.shards, echo=lambda *_: None
    )
    store = FeatureStore(pipeline_env.store)
    assert store.sql("select count(*) as n from pair_features")["n"][0] == len(pairs)


@pytest.mark.slow
def test_row_count_check_with_unknown_pairs_dropped(pipeline_env, tmp_path, monkeypatch):
    # drop_unknown_pairs: the blocking check counts the distinct pairs that name known items (it
    # used to pass whatever the row count was in this mode); the run succeeds only if it passes.
    import pipelines.definitions as definitions
    from pipelines.resources import PipelineConfigResource, default_resources

    def resources(settings):
        out = default_resources(settings)
        out["pipeline"] = PipelineConfigResource(drop_unknown_pairs=True)
        return out

    monkeypatch.setattr(definitions, "default_resources", resources)
    folder = land_demo(tmp_path / "landing", items=12)
    pairs = pl.read_parquet(folder / "pairs.parquet")
    unknown = pairs.head(1).with_columns(pl.lit("no-such-item").alias("item_id_2"))
    pl.concat([pairs, pairs.head(2), unknown]).write_parquet(folder / "pairs.parquet")
    run_snapshot(
        build_definitions(pipeline_env), SNAPSHOT, pipeline_env.shards, echo=lambda *_: None
    )
    store = FeatureStore(pipeline_env.store)
    assert store.sql("select count(*) as n from pair_features")["n"][0] == len(pairs)
