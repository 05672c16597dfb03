"""Run every stage of one snapshot in order, in this process, recorded in the Dagster instance.

This is what ``cardfeatures run`` and ``cardfeatures demo`` call. It executes the same jobs the
sensors chain in a deployment (``pipelines.automation``): stage 1 for the snapshot, stage 2 for each
shard, stage 3 for the snapshot. Runs are recorded in ``$DAGSTER_HOME`` so the UI shows them.
"""

from __future__ import annotations

import sys
import time

import dagster as dg

from featurestore.sharding import shard_keys
from pipelines.automation import ITEM_JOB, SHARD_JOB, SOURCES_JOB


def run_snapshot(defs: dg.Definitions, snapshot: str, shards: int, *, echo=print) -> list[str]:
    """Materialise every asset for ``snapshot``; returns run ids; raises if a run fails."""
    instance = dg.DagsterInstance.get()
    plan = [(SOURCES_JOB, snapshot)]
    plan += [
        (SHARD_JOB, dg.MultiPartitionKey({"snapshot": snapshot, "shard": s}))
        for s in shard_keys(shards)
    ]
    plan.append((ITEM_JOB, snapshot))
    run_ids = []
    for step, (job_name, partition) in enumerate(plan, start=1):
        started = time.perf_counter()
        echo(f"[{step}/{len(plan)}] {job_name} {partition} ...")
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(
            instance=instance, partition_key=partition, raise_on_error=False
        )
        run_ids.append(result.run_id)
        if not result.success:
            failed = [e.message for e in result.all_events if e.is_failure]
            raise RuntimeError(
                f"{job_name} {partition} failed (run {result.run_id}): " + "; ".join(failed[:3])
            )
        echo(f"      done in {time.perf_counter() - started:.1f}s (run {result.run_id[:8]})")
    return run_ids


if __name__ == "__main__":  # pragma: no cover
    from pipelines.definitions import defs

    run_snapshot(defs, sys.argv[1], int(sys.argv[2]))
