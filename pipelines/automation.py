"""Jobs, the nightly schedule and the sensors that chain a snapshot's stages.

A snapshot runs in three stages because Dagster runs one partitions definition per run:

1. ``snapshot_sources`` (daily partition): sources, homoglyph LM, clean items.
2. ``shard_features`` (snapshot x shard): text and image embeddings and pair features, one run per
   shard; shards are independent, so they run in parallel (several runs at once on one machine, or
   on many machines through the Kubernetes / Celery run launchers and executors).
3. ``snapshot_item_features`` (daily): per-item features once every shard is done.

Sensors chain the stages: ``landing_sensor`` starts stage 1 when raw parquet lands;
``shards_after_sources`` starts stage 2 for every shard when stage 1 succeeds; ``item_features_after_shards``
starts stage 3 when the last shard of a snapshot succeeds. The ``nightly_reembed`` schedule reruns
stage 2 (embeddings through the cache, so only new or changed content is encoded) for the latest
snapshot, and the same sensor then refreshes stage 3.

In the UI, "Materialize all" over the asset graph for one snapshot needs none of this: it launches
a Dagster asset backfill, and the daemon follows the partition mappings to make the same runs
(stage 1, every shard of stage 2, stage 3), each once its upstream partitions are materialised.
"""

import os
from datetime import datetime

import dagster as dg

from featurestore.sharding import shard_keys
from pipelines.settings import Settings

SOURCES_JOB = "snapshot_sources"
SHARD_JOB = "shard_features"
ITEM_JOB = "snapshot_item_features"
NIGHTLY_JOB = "nightly_reembed"
READY_MARKER = "_READY"
#: Tag of the shard runs one sensor tick or schedule tick started together (one stage-2 batch).
REASON_TAG = "cardfeatures/reason"


def build_jobs() -> list:
    return [
        dg.define_asset_job(
            SOURCES_JOB,
            selection=dg.AssetSelection.groups("sources", "clean"),
            description="Stage 1 of a snapshot: read sources, train the homoglyph LM, clean text.",
        ),
        dg.define_asset_job(
            SHARD_JOB,
            selection=dg.AssetSelection.assets(
                "text_embeddings", "image_embeddings", "pair_features"
            ),
            description="Stage 2, one run per (snapshot, shard): embeddings and pair features.",
        ),
        dg.define_asset_job(
            NIGHTLY_JOB,
            selection=dg.AssetSelection.assets(
                "text_embeddings", "image_embeddings", "pair_features"
            ),
            description="Nightly re-embedding: embeds only content the cache has not seen for the "
            "configured models, then recomputes the shard's pair features.",
        ),
        dg.define_asset_job(
            ITEM_JOB,
            selection=dg.AssetSelection.assets("item_features"),
            description="Stage 3 of a snapshot: per-item features once all shards are done.",
        ),
    ]


def shard_run_requests(snapshot: str, shards: int, reason: str) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            run_key=f"{reason}:{snapshot}:{shard}",
            partition_key=dg.MultiPartitionKey({"snapshot": snapshot, "shard": shard}),
            tags={"cardfeatures/snapshot": snapshot, REASON_TAG: reason},
        )
        for shard in shard_keys(shards)
    ]


def landed_snapshots(landing: str) -> list[str]:
    """Snapshot folders in the landing area that are complete (hold the ``_READY`` marker)."""
    if not os.path.isdir(landing):
        return []
    found = []
    for name in sorted(os.listdir(landing)):
        folder = os.path.join(landing, name)
        try:
            datetime.strptime(name, "%Y-%m-%d")
        except ValueError:
            continue
        if os.path.isfile(os.path.join(folder, READY_MARKER)):
            found.append(name)
    return found


def build_automation(settings: Settings, snapshot_partitions, jobs: dict):
    @dg.schedule(
        job_name=NIGHTLY_JOB,
        cron_schedule="0 2 * * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="02:00 every night: re-embed the latest snapshot through the cache, all shards.",
    )
    def nightly_reembed_schedule(context: dg.ScheduleEvaluationContext):
        keys = snapshot_partitions.get_partition_keys(current_time=context.scheduled_execution_time)
        if not keys:
            return dg.SkipReason("no snapshot partition exists yet")
        stamp = context.scheduled_execution_time.strftime("%Y-%m-%dT%H%M")
        return [
            dg.RunRequest(
                run_key=f"nightly:{stamp}:{r.partition_key}",
                partition_key=r.partition_key,
                tags=r.tags,
            )
            for r in shard_run_requests(keys[-1], settings.shards, f"nightly:{stamp}")
        ]

    @dg.sensor(
        job_name=SOURCES_JOB,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=f"Watches {settings.landing} for snapshot folders YYYY-MM-DD holding a "
        f"{READY_MARKER} marker and starts stage 1 for each new one.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext):
        valid = set(snapshot_partitions.get_partition_keys())
        requests = []
        for snapshot in landed_snapshots(settings.landing):
            if snapshot not in valid:
                context.log.warning(f"landing folder {snapshot} is outside the partition range")
                continue
            marker = os.path.join(settings.landing, snapshot, READY_MARKER)
            # The marker's mtime is part of the key: re-landing a snapshot runs it again.
            run_key = f"landing:{snapshot}:{int(os.path.getmtime(marker))}"
            requests.append(dg.RunRequest(run_key=run_key, partition_key=snapshot))
        if not requests:
            return dg.SkipReason(f"no ready snapshot folders in {settings.landing}")
        return requests

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[jobs[SOURCES_JOB]],
        request_jobs=[jobs[SHARD_JOB]],
        default_status=dg.DefaultSensorStatus.STOPPED,
        name="shards_after_sources",
        description="When stage 1 of a snapshot succeeds, start stage 2 for every shard.",
    )
    def shards_after_sources(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        if not run.tags.get("dagster/partition"):
            return dg.SkipReason("stage-1 run without a partition")
        snapshot = run.tags["dagster/partition"]
        return [
            dg.RunRequest(
                run_key=r.run_key, partition_key=r.partition_key, tags=r.tags, job_name=SHARD_JOB
            )
            for r in shard_run_requests(snapshot, settings.shards, f"after:{run.run_id}")
        ]

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[jobs[SHARD_JOB], jobs[NIGHTLY_JOB]],
        request_jobs=[jobs[ITEM_JOB]],
        default_status=dg.DefaultSensorStatus.STOPPED,
        name="item_features_after_shards",
        description="When the last shard of a snapshot succeeds, start stage 3 for the snapshot.",
    )
    def item_features_after_shards(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        snapshot = run.tags.get("dagster/partition/snapshot")
        if not snapshot:
            return dg.SkipReason("shard run without a snapshot tag")
        reason = run.tags.get(REASON_TAG)
        if reason:  # a batch started by a sensor or the schedule: all of its shards
            done = batch_shards_succeeded(context.instance, snapshot, settings.shards, reason)
        else:  # a shard run launched by hand
            done = shards_succeeded(context.instance, snapshot, settings.shards)
        if len(done) < settings.shards:
            return dg.SkipReason(f"{snapshot}: {len(done)}/{settings.shards} shards done")
        return dg.RunRequest(
            run_key=f"items:{snapshot}:{run.run_id}", partition_key=snapshot, job_name=ITEM_JOB
        )

    return [nightly_reembed_schedule], [
        landing_sensor,
        shards_after_sources,
        item_features_after_shards,
    ]


def shards_succeeded(instance: dg.DagsterInstance, snapshot: str, shards: int) -> set[str]:
    """Shards of ``snapshot`` for which pair_features has been materialised."""
    done = set()
    for shard in shard_keys(shards):
        key = dg.MultiPartitionKey({"snapshot": snapshot, "shard": shard})
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("pair_features"), asset_partitions=[key]),
            limit=1,
        ).records
        if records:
            done.add(shard)
    return done


def batch_shards_succeeded(
    instance: dg.DagsterInstance, snapshot: str, shards: int, reason: str
) -> set[str]:
    """Shards of ``snapshot`` with a successful run in the batch tagged ``reason``.

    Materialisations alone cannot tell a rerun's batch from the one before: after a re-landing
    (or a nightly re-embed) every shard already has one, so the first shard to finish would
    start stage 3 while the others are still writing.
    """
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.SUCCESS],
            tags={REASON_TAG: reason, "dagster/partition/snapshot": snapshot},
        )
    )
    wanted = set(shard_keys(shards))
    return {r.tags.get("dagster/partition/shard") for r in runs} & wanted
