"""Run every stage of one snapshot in order, recorded in the Dagster instance.

This is what ``cardfeatures run`` and ``cardfeatures demo`` call. It executes the same jobs the
sensors chain in a deployment (``pipelines.automation``): stage 1 for the snapshot, stage 2 for each
shard, stage 3 for the snapshot. Runs are recorded in ``$DAGSTER_HOME`` so the UI shows them.

``executor="in_process"`` runs each job's steps one after another in this process;
``executor="multiprocess"`` runs each job through Dagster's multiprocess executor (independent steps
in parallel child processes), rebuilding the definitions from the environment in each child.
"""

from __future__ import annotations

import os
import time

import dagster as dg

from featurestore.sharding import shard_keys
from pipelines.automation import ITEM_JOB, SHARD_JOB, SOURCES_JOB
from pipelines.settings import Settings


def _job(name: str) -> dg.JobDefinition:
    from pipelines.definitions import build_definitions

    return build_definitions().resolve_job_def(name)


# Module-level job factories, so Dagster can rebuild a job in a child process.
def sources_job() -> dg.JobDefinition:
    return _job(SOURCES_JOB)


def shard_job() -> dg.JobDefinition:
    return _job(SHARD_JOB)


def item_job() -> dg.JobDefinition:
    return _job(ITEM_JOB)


_FACTORIES = {SOURCES_JOB: sources_job, SHARD_JOB: shard_job, ITEM_JOB: item_job}


def plan(snapshot: str, shards: int) -> list[tuple[str, str | dg.MultiPartitionKey]]:
    """The runs that materialise a snapshot, in dependency order."""
    steps: list[tuple[str, str | dg.MultiPartitionKey]] = [(SOURCES_JOB, snapshot)]
    steps += [
        (SHARD_JOB, dg.MultiPartitionKey({"snapshot": snapshot, "shard": s}))
        for s in shard_keys(shards)
    ]
    steps.append((ITEM_JOB, snapshot))
    return steps


def failure_messages(events) -> list[str]:
    """One line per failed step, naming the step and the error that stopped it.

    Dagster's own failure message says only 'Execution of step "x" failed.'; the error the user
    needs (e.g. a missing landing folder) is the innermost cause of the step's error.
    """
    lines = []
    for event in events:
        if not event.is_failure:
            continue
        error = getattr(event.event_specific_data, "error", None)
        if not event.is_step_failure or error is None:
            continue
        while error.cause is not None:
            error = error.cause
        # The message may go on after a colon (a failed check's name): keep it, on one line.
        text = " ".join(line.strip() for line in error.message.splitlines() if line.strip())
        lines.append(f"step {event.step_key}: {text or error.cls_name or 'error'}")
    return lines or [e.message for e in events if e.is_failure]


def run_snapshot(
    defs: dg.Definitions,
    snapshot: str,
    shards: int,
    *,
    echo=print,
    executor: str = "in_process",
    settings: Settings | None = None,
) -> list[str]:
    """Materialise every asset for ``snapshot``; returns run ids; raises if a run fails."""
    instance = dg.DagsterInstance.get()
    if executor == "multiprocess":
        if settings is None:
            raise ValueError("the multiprocess executor needs the settings to pass to children")
        os.environ.update(settings.to_env())
    steps = plan(snapshot, shards)
    run_ids = []
    for number, (job_name, partition) in enumerate(steps, start=1):
        started = time.perf_counter()
        echo(f"[{number}/{len(steps)}] {job_name} {partition} ...")
        if executor == "multiprocess":
            with dg.execute_job(
                dg.reconstructable(_FACTORIES[job_name]),
                instance=instance,
                tags=defs.resolve_job_def(job_name).partitions_def.get_tags_for_partition_key(
                    partition
                ),
                raise_on_error=False,
            ) as result:
                success, run_id = result.success, result.run_id
                failures = failure_messages(result.all_events)
        else:
            result = defs.resolve_job_def(job_name).execute_in_process(
                instance=instance, partition_key=partition, raise_on_error=False
            )
            success, run_id = result.success, result.run_id
            failures = failure_messages(result.all_events)
        run_ids.append(run_id)
        if not success:
            raise RuntimeError(
                f"{job_name} {partition} failed (run {run_id}): " + "; ".join(failures[:3])
            )
        echo(f"      done in {time.perf_counter() - started:.1f}s (run {run_id[:8]})")
    return run_ids
