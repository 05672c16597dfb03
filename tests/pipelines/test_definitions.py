"""Definitions load cleanly; the schedule and the sensors evaluate as documented."""

import warnings
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.automation import (
    ITEM_JOB,
    NIGHTLY_JOB,
    SHARD_JOB,
    SOURCES_JOB,
    landed_snapshots,
)
from pipelines.definitions import build_definitions
from tests.pipelines.conftest import land_demo


def test_definitions_load_without_warnings(pipeline_env):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        defs = build_definitions(pipeline_env)
        dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {
        "items",
        "pairs",
        "source_embeddings",
        "homoglyph_lm",
        "clean_items",
        "text_embeddings",
        "image_embeddings",
        "pair_features",
        "item_features",
    }
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key} has no description"
        assert graph.get(key).code_version, f"{key} has no code_version"
    for name in (SOURCES_JOB, SHARD_JOB, NIGHTLY_JOB, ITEM_JOB):
        assert defs.resolve_job_def(name) is not None
    assert defs.resolve_asset_graph().get(dg.AssetKey("text_embeddings")).pools == {"gpu"}


def test_embedding_code_version_follows_model(pipeline_env, monkeypatch):
    from dataclasses import replace

    before = build_definitions(pipeline_env).resolve_asset_graph()
    after = build_definitions(replace(pipeline_env, text_model="intfloat/multilingual-e5-base"))
    key = dg.AssetKey("text_embeddings")
    assert before.get(key).code_version != after.resolve_asset_graph().get(key).code_version
    image = dg.AssetKey("image_embeddings")
    assert before.get(image).code_version == after.resolve_asset_graph().get(image).code_version


def test_nightly_schedule_requests_every_shard_of_latest_snapshot(pipeline_env):
    defs = build_definitions(pipeline_env)
    schedule = defs.resolve_schedule_def("nightly_reembed_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Moscow"
    when = datetime(2026, 11, 5, 2, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    with dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests
    keys = sorted(
        (r.partition_key.keys_by_dimension["snapshot"], r.partition_key.keys_by_dimension["shard"])
        for r in requests
    )
    # end_offset=1: the partition of the current day (2026-11-05) already exists.
    assert keys == [("2026-11-05", "00"), ("2026-11-05", "01")]
    assert all(r.run_key.startswith("nightly:") for r in requests)


def test_landing_sensor_requests_ready_snapshots_only(pipeline_env, tmp_path):
    defs = build_definitions(pipeline_env)
    sensor = defs.resolve_sensor_def("landing_sensor")
    landing = tmp_path / "landing"
    with dg.build_sensor_context(repository_def=defs.get_repository_def()) as context:
        assert sensor.evaluate_tick(context).skip_message
    land_demo(landing, "2026-11-02", items=12)
    (landing / "2026-11-03").mkdir()  # not ready yet: no marker
    (landing / "notes").mkdir()  # not a snapshot folder
    assert landed_snapshots(str(landing)) == ["2026-11-02"]
    with dg.build_sensor_context(repository_def=defs.get_repository_def()) as context:
        result = sensor.evaluate_tick(context)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-02"]


def test_image_code_version_follows_the_decoding(monkeypatch):
    """A change to how photos are decoded marks the image asset changed in the UI."""
    import encoders.images
    from pipelines.resources import default_resources, embedding_code_versions

    resources = default_resources()
    text_before, image_before = embedding_code_versions(resources)
    monkeypatch.setattr(encoders.images, "DECODE_VERSION", "999")
    text_after, image_after = embedding_code_versions(resources)
    assert text_after == text_before
    assert image_after != image_before
