"""The sensor that starts stage 3 waits for every shard of the same stage-2 batch."""

import os
import uuid

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from tests.pipelines.conftest import SNAPSHOT


def _shard_run(instance, shard: str, reason: str) -> dg.DagsterRun:
    run = dg.DagsterRun(
        job_name="shard_features",
        run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.SUCCESS,
        tags={
            "cardfeatures/snapshot": SNAPSHOT,
            "cardfeatures/reason": reason,
            "dagster/partition/snapshot": SNAPSHOT,
            "dagster/partition/shard": shard,
        },
    )
    instance.add_run(run)
    key = dg.MultiPartitionKey({"snapshot": SNAPSHOT, "shard": shard})
    instance.report_runless_asset_event(dg.AssetMaterialization("pair_features", partition=key))
    return run


def _evaluate(defs, instance, run):
    sensor = defs.resolve_sensor_def("item_features_after_shards")
    event = dg.DagsterEvent(event_type_value="PIPELINE_SUCCESS", job_name=run.job_name)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_event=event, dagster_instance=instance, dagster_run=run
    )
    return sensor(context)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    from pipelines.settings import Settings

    monkeypatch.setenv("CARDFEATURES_SHARDS", "2")
    monkeypatch.setenv("CARDFEATURES_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("CARDFEATURES_LANDING", str(tmp_path / "landing"))
    return Settings.from_env()


def test_stage_3_waits_for_every_shard_of_a_rerun(settings):
    # The snapshot was landed again: stage 1 ran, then stage 2's shard 00 finished first. Shard
    # 01 had a materialisation from the earlier landing, so stage 3 started while shard 01 was
    # still computing and read a mix of the old and the new shard outputs.
    defs = build_definitions(settings)
    instance = dg.DagsterInstance.ephemeral()
    for shard in ("00", "01"):
        _shard_run(instance, shard, "after:first-landing")
    rerun = _shard_run(instance, "00", "after:second-landing")
    assert isinstance(_evaluate(defs, instance, rerun), dg.SkipReason)
    last = _shard_run(instance, "01", "after:second-landing")
    request = _evaluate(defs, instance, last)
    assert isinstance(request, dg.RunRequest) and request.partition_key == SNAPSHOT


def test_cardfeatures_run_keeps_an_object_store_root(tmp_path, monkeypatch):
    # CARDFEATURES_STORE=s3://bucket/prefix became the local path <cwd>/s3:/bucket/prefix, and
    # the run wrote the whole store to local disk under a folder named "s3:".
    from pipelines.commands import _configure

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("CARDFEATURES_STORE", "x")
    monkeypatch.setenv("CARDFEATURES_SHARDS", "2")
    assert _configure("s3://bucket/prefix", 2) == "s3://bucket/prefix"
    assert os.environ["CARDFEATURES_STORE"] == "s3://bucket/prefix"
    assert os.environ["DAGSTER_HOME"] == str(tmp_path / "dagster_home")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dagster_home"]
    monkeypatch.delenv("DAGSTER_HOME")
    assert _configure("local_store", 2) == str(tmp_path / "local_store")
    assert os.environ["DAGSTER_HOME"] == str(tmp_path / "local_store" / "dagster_home")
