"""``cardfeatures pair-features``: stream pair features from parquet into one parquet file.

Registered by featurestore/cli.py through ``add_command(subparsers)``; heavy imports happen inside
the handler only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "pair-features",
        help="compute pairwise features for a pairs table",
        description="Compute pairwise features (streamed in chunks) into one parquet file.",
    )
    p.add_argument("--items", required=True, help="items parquet (ITEMS_SCHEMA, + *_clean)")
    p.add_argument("--pairs", required=True, help="pairs parquet (item_id_1, item_id_2, label)")
    p.add_argument("--out", required=True, help="output parquet path")
    p.add_argument(
        "--feature-set",
        default="full",
        help="core, full (default) or exhaustive (full + partial_ratio / WRatio on descriptions); "
        "an unknown name is an error that lists the known ones",
    )
    p.add_argument("--chunk-rows", type=int, default=100_000)
    p.add_argument("--workers", type=int, default=2, help="rapidfuzz threads")
    p.add_argument(
        "--drop-unknown", action="store_true", help="drop pairs with unknown ids instead of failing"
    )
    p.set_defaults(func=run)


class _ReadError(Exception):
    """An input file that is missing or not parquet; the message names the file."""


def _read(path: str):
    """The parquet file at ``path`` as a polars frame; a ``_ReadError`` naming it if unreadable."""
    import polars as pl

    try:
        return pl.read_parquet(path)
    except FileNotFoundError:
        raise _ReadError(f"{path}: no such file") from None
    except (OSError, pl.exceptions.PolarsError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _ReadError(f"{path}: cannot read as parquet ({first})") from None


def run(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from featurestore.features import pair_features
    from featurestore.storage import (
        PARQUET_COMPRESSION,
        dictionary_columns,
        prepare_output,
        renamed_into_place,
    )

    problem = prepare_output(args.out)
    if problem:
        print(f"pair-features: --out {problem}", file=sys.stderr)
        return 2
    try:
        items = _read(args.items)
        pairs = _read(args.pairs)
    except _ReadError as exc:
        print(f"pair-features: {exc}", file=sys.stderr)
        return 2
    try:
        stream = pair_features(
            items,
            pairs,
            feature_set=args.feature_set,
            chunk_rows=args.chunk_rows,
            on_unknown="drop" if args.drop_unknown else "error",
            workers=args.workers,
        )
    except ValueError as exc:
        # pair_features prefixes its input errors with "items:" or "pairs:": name that file.
        where = {"items": args.items, "pairs": args.pairs}.get(str(exc).split(":", 1)[0])
        message = str(exc).replace("pass on_unknown='drop'", "pass --drop-unknown")
        print(f"pair-features: {where + ': ' if where else ''}{message}", file=sys.stderr)
        return 2
    # Written next to --out and renamed into place when complete: a crash or a bad chunk leaves
    # any earlier --out as it was, never a half-written file.
    t0 = time.perf_counter()
    done = 0
    with (
        renamed_into_place(os.path.abspath(args.out)) as tmp,
        pq.ParquetWriter(
            tmp,
            stream.schema,
            compression=PARQUET_COMPRESSION,
            use_dictionary=dictionary_columns(stream.schema),
        ) as writer,
    ):
        for table in stream:
            writer.write_table(table)
            done += table.num_rows
            rate = done / max(time.perf_counter() - t0, 1e-9)
            print(
                f"pair-features: {done}/{stream.stats.rows_out} pairs ({rate:,.0f}/s)",
                file=sys.stderr,
            )
    print(f"pair-features: wrote {args.out}; stats {stream.stats.as_dict()}", file=sys.stderr)
    return 0
