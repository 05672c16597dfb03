"""Partitions: daily snapshots for everything, snapshot x hash-shard for the heavy assets."""

from __future__ import annotations

import dagster as dg

from featurestore.sharding import shard_keys
from pipelines.settings import Settings


def snapshot_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    # end_offset=1: today's snapshot is a valid partition as soon as its raw data lands.
    return dg.DailyPartitionsDefinition(
        start_date=settings.start_date, timezone=settings.timezone, end_offset=1
    )


def shard_partitions(settings: Settings) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {
            "snapshot": snapshot_partitions(settings),
            "shard": dg.StaticPartitionsDefinition(shard_keys(settings.shards)),
        }
    )


def snapshot_of(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> str:
    """The snapshot date of the partition being run (daily or snapshot x shard)."""
    key = context.partition_key
    if isinstance(key, dg.MultiPartitionKey):
        return key.keys_by_dimension["snapshot"]
    return key


def shard_of(context: dg.AssetExecutionContext) -> tuple[int, int]:
    """(shard, shard count) of a snapshot x shard partition."""
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey), "not a sharded partition"
    shard_def = context.assets_def.partitions_def.get_partitions_def_for_dimension("shard")
    return int(key.keys_by_dimension["shard"]), len(shard_def.get_partition_keys())
