"""The one wiring point: every asset, check, job, schedule, sensor and resource of cardfeatures.

Load it with ``dagster dev -m pipelines.definitions`` (the UI) or
``dagster asset materialize -m pipelines.definitions --select ... --partition ...``.
Settings come from environment variables (``pipelines.settings``).
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets import clean, embeddings, features, sources
from pipelines.automation import build_automation, build_jobs
from pipelines.partitions import shard_partitions, snapshot_partitions
from pipelines.resources import default_resources, embedding_code_versions
from pipelines.settings import Settings


def build_definitions(
    settings: Settings | None = None, executor: dg.ExecutorDefinition | None = None
) -> dg.Definitions:
    """All definitions; ``executor`` swaps the multiprocess executor (Celery, Kubernetes)."""
    settings = settings or Settings.from_env()
    daily = snapshot_partitions(settings)
    sharded = shard_partitions(settings)
    resources = default_resources(settings)
    text_version, image_version = embedding_code_versions(resources)
    assets = [
        *sources.build(daily),
        *clean.build(daily),
        *embeddings.build(sharded, text_version, image_version),
        *features.build(daily, sharded),
    ]
    jobs = build_jobs()
    schedules, sensors = build_automation(settings, daily, {job.name: job for job in jobs})
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=resources,
        executor=executor or dg.multiprocess_executor,
    )


defs = build_definitions()
