"""Hash sharding of a snapshot, so heavy work can run as independent (snapshot, shard) partitions.

A shard is self-contained: pair shard ``s`` holds the pairs whose key hashes to ``s``, and the item
set of shard ``s`` is every item those pairs name plus every item whose own id hashes to ``s``. An
item named by pairs in several shards is in several item sets; the content-addressed embedding cache
makes the repeated work a cache hit. Every item belongs to exactly one shard by its own id
(``home_shard``), which is where per-item outputs are written, so they are never duplicated.

The hash is BLAKE2b of the UTF-8 id, stable across processes, machines and library versions (unlike
Python's ``hash`` or a dataframe library's internal hash).
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl


def shard_keys(shards: int) -> list[str]:
    """The partition keys of ``shards`` shards: "00", "01", ..."""
    if shards < 1:
        raise ValueError(f"shard count must be >= 1, got {shards}")
    return [f"{i:02d}" for i in range(shards)]


def stable_shard(keys: pl.Series, shards: int) -> pl.Series:
    """Shard number in ``[0, shards)`` for each string key (a loop over distinct keys only)."""
    distinct = keys.unique()
    values = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(k.encode("utf-8"), digest_size=8).digest(), "little")
            % shards
            for k in distinct.to_list()
        ),
        dtype=np.int32,
        count=len(distinct),
    )
    lookup = pl.DataFrame({"key": distinct, "shard": values})
    return keys.to_frame("key").join(lookup, on="key", how="left", maintain_order="left")["shard"]


def pair_shard(pairs: pl.DataFrame, shards: int) -> pl.Series:
    """Shard of each pair, from both of its ids (order matters: (a, b) and (b, a) may differ)."""
    key = pairs["item_id_1"] + "\x1f" + pairs["item_id_2"]
    return stable_shard(key, shards)


def shard_pairs(pairs: pl.DataFrame, shard: int, shards: int) -> pl.DataFrame:
    """The pairs that belong to ``shard``."""
    if shards == 1:
        return pairs
    return pairs.filter(pair_shard(pairs, shards) == shard)


def shard_items(items: pl.DataFrame, pairs: pl.DataFrame, shard: int, shards: int) -> pl.DataFrame:
    """Items shard ``shard`` needs: those its pairs name, plus those whose home shard it is."""
    if shards == 1:
        return items
    own = stable_shard(items["item_id"], shards) == shard
    mine = shard_pairs(pairs, shard, shards)
    named = pl.concat([mine["item_id_1"], mine["item_id_2"]]).unique()
    return items.filter(own | items["item_id"].is_in(named.implode()))


def home_items(items: pl.DataFrame, shard: int, shards: int) -> pl.DataFrame:
    """Items whose own id hashes to ``shard`` (each item is home to exactly one shard)."""
    if shards == 1:
        return items
    return items.filter(stable_shard(items["item_id"], shards) == shard)
