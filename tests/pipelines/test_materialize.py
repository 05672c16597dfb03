"""Every asset group materialises on tiny data; blocking checks stop downstream work; shards agree."""

from dataclasses import replace

import dagster as dg
import polars as pl
import pytest

from featurestore.store import FeatureStore
from pipelines.automation import SOURCES_JOB
from pipelines.definitions import build_definitions
from pipelines.runner import run_snapshot
from tests.pipelines.conftest import SNAPSHOT, land_demo


def test_snapshot_materialises_every_group(pipeline_env, tmp_path):
    land_demo(tmp_path / "landing")
    defs = build_definitions(pipeline_env)
    run_snapshot(defs, SNAPSHOT, pipeline_env.shards, echo=lambda *_: None)

    store = FeatureStore(pipeline_env.store)
    pairs = pl.read_parquet(tmp_path / "landing" / SNAPSHOT / "pairs.parquet")
    items = pl.read_parquet(tmp_path / "landing" / SNAPSHOT / "items.parquet")
    assert store.sql("select count(*) as n from pair_features")["n"][0] == len(pairs)
    assert store.sql("select count(*) as n from item_features")["n"][0] == len(items)
    clean = store.read("clean_items", snapshot=SNAPSHOT).collect()
    assert clean["title_clean"].null_count() <= items["title"].null_count()
    features = store.read("pair_features", snapshot=SNAPSHOT).collect()
    assert features.select(pl.struct("item_id_1", "item_id_2").n_unique()).item() == len(pairs)
    cosine_columns = [c for c in features.columns if c.startswith("emb_") and c.endswith("_cos")]
    assert cosine_columns, "text/image cosine features missing"

    instance = dg.DagsterInstance.get()
    for asset in ("items", "clean_items", "text_embeddings", "pair_features", "item_features"):
        assert instance.get_latest_materialization_event(dg.AssetKey(asset)) is not None
    event = instance.get_latest_materialization_event(dg.AssetKey("text_embeddings"))
    metadata = event.asset_materialization.metadata
    assert "cache_hit_rate" in metadata and "model_key" in metadata


def test_rerun_hits_the_embedding_cache(pipeline_env, tmp_path):
    land_demo(tmp_path / "landing")
    defs = build_definitions(replace(pipeline_env, shards=1))
    run_snapshot(defs, SNAPSHOT, 1, echo=lambda *_: None)
    run_snapshot(defs, SNAPSHOT, 1, echo=lambda *_: None)
    instance = dg.DagsterInstance.get()
    event = instance.get_latest_materialization_event(dg.AssetKey("text_embeddings"))
    metadata = event.asset_materialization.metadata
    assert metadata["encoded"].value == 0
    assert metadata["cache_hit_rate"].value == pytest.approx(1.0)


def test_failing_blocking_check_stops_downstream(pipeline_env, tmp_path):
    land_demo(tmp_path / "landing")
    defs = build_definitions(pipeline_env)
    # Demand more distinct words than the tiny snapshot has: the LM's blocking check fails.
    config = {"resources": {"pipeline": {"config": {"min_lm_words": 10**9}}}}
    result = defs.resolve_job_def(SOURCES_JOB).execute_in_process(
        instance=dg.DagsterInstance.get(),
        partition_key=SNAPSHOT,
        run_config=config,
        raise_on_error=False,
    )
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["lm_has_enough_words"] is False
    materialized = {
        e.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert {"items", "pairs", "homoglyph_lm"} <= materialized
    assert "clean_items" not in materialized


@pytest.mark.slow
def test_sharded_backfill_equals_unsharded_run(pipeline_env, tmp_path):
    """Three shard partitions run with the multiprocess executor give the same features as one."""
    land_demo(tmp_path / "landing", items=60)
    frames = {}
    for shards in (1, 3):
        settings = replace(pipeline_env, shards=shards, store=str(tmp_path / f"store{shards}"))
        run_snapshot(
            build_definitions(settings),
            SNAPSHOT,
            shards,
            echo=lambda *_: None,
            executor="multiprocess",
            settings=settings,
        )
        frames[shards] = (
            FeatureStore(settings.store)
            .read("pair_features", snapshot=SNAPSHOT)
            .collect()
            .drop("snapshot")
            .sort("item_id_1", "item_id_2")
        )
    assert frames[1].columns == frames[3].columns
    assert len(frames[1]) == len(frames[3]) > 0
    from polars.testing import assert_frame_equal

    assert_frame_equal(frames[1], frames[3], check_exact=False, rel_tol=1e-6, abs_tol=1e-6)
