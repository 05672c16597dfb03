"""Pipeline subcommands of the ``cardfeatures`` CLI: ``demo`` and ``run``."""

from __future__ import annotations

import argparse
import os
import sys
import time

DEMO_SNAPSHOT = "2026-11-01"


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="Generate the demo dataset and materialise every asset into a local store.",
        description="Builds the tiny random-weight demo models, generates the demo dataset into "
        "the store's landing folder, and runs every stage of the pipeline for one snapshot.",
    )
    demo.add_argument("--store", default=os.environ.get("CARDFEATURES_STORE", "demo_store"))
    demo.add_argument("--items", type=int, default=None, help="Demo cards (default: generator's).")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument(
        "--shards", type=_positive_int, default=None, help="default: $CARDFEATURES_SHARDS or 2"
    )
    demo.add_argument("--snapshot", default=DEMO_SNAPSHOT)
    demo.set_defaults(handler=_demo)

    run = subparsers.add_parser(
        "run",
        help="Materialise every asset for one snapshot already in the landing folder.",
        description="Runs stage 1 (sources, clean), stage 2 (each shard: embeddings, pair "
        "features) and stage 3 (item features) for SNAPSHOT with the settings from the "
        "environment (see pipelines/settings.py).",
    )
    run.add_argument("--snapshot", required=True, help="YYYY-MM-DD")
    run.set_defaults(handler=_run)


def _positive_int(text: str) -> int:
    """argparse type: an int >= 1 (checked before the demo builds models and data)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _env_shards() -> int | None:
    """CARDFEATURES_SHARDS (default 2), or None after a one-line error if it is no int >= 1."""
    text = os.environ.get("CARDFEATURES_SHARDS", "2")
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError as exc:
        print(f"error: CARDFEATURES_SHARDS={text!r}: {exc}", file=sys.stderr)
        return None


def _configure(store: str, shards: int) -> str:
    """Point the settings at ``store`` and the Dagster instance at ``<store>/dagster_home``.

    An object-store root (``s3://...``) is kept as it is; the Dagster instance then lives in
    ``./dagster_home`` (it needs a local folder) unless ``DAGSTER_HOME`` is set.
    """
    remote = "://" in store
    root = store if remote else os.path.abspath(store)
    os.environ["CARDFEATURES_STORE"] = root
    os.environ["CARDFEATURES_SHARDS"] = str(shards)
    local_home = os.path.abspath("dagster_home") if remote else os.path.join(root, "dagster_home")
    home = os.environ.setdefault("DAGSTER_HOME", local_home)
    os.makedirs(home, exist_ok=True)
    return root


def _demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    shards = args.shards if args.shards is not None else _env_shards()
    if shards is None:
        return 2
    root = _configure(args.store, shards)
    from cardfeatures_data.demo import generate

    from encoders.demo_models import build_demo_clip_model, build_demo_text_model
    from pipelines.automation import READY_MARKER

    models = os.path.join(root, "models")
    print(f"demo models (tiny, RANDOM WEIGHTS, demo only) -> {models}")
    build_demo_text_model(os.path.join(models, "demo-text-encoder"))
    build_demo_clip_model(os.path.join(models, "demo-clip"))

    landing = os.path.join(root, "landing", args.snapshot)
    print(f"demo dataset -> {landing}")
    options = {} if args.items is None else {"items": args.items}
    generate(landing, seed=args.seed, snapshot=args.snapshot, **options)
    open(os.path.join(landing, READY_MARKER), "w").close()

    code = _run_snapshot(args.snapshot, shards)
    if code:
        return code
    print(f"\nDemo finished in {time.perf_counter() - started:.0f}s. Query the features:")
    print(f'  cardfeatures sql --store {root} "select count(*) from pair_features"')
    print(f'  duckdb -readonly {root}/catalog.duckdb "select * from pair_features limit 5"')
    print(
        f"  DAGSTER_HOME={os.environ['DAGSTER_HOME']} CARDFEATURES_STORE={root} "
        "dagster dev -m pipelines.definitions"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    shards = _env_shards()
    if shards is None:
        return 2
    root = _configure(os.environ.get("CARDFEATURES_STORE", "demo_store"), shards)
    print(f"store: {root}")
    return _run_snapshot(args.snapshot, shards)


def _run_snapshot(snapshot: str, shards: int) -> int:
    """Run every stage; a bad snapshot or a failed run is one line on stderr and a non-zero code."""
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.runner import run_snapshot
    from pipelines.settings import Settings

    try:
        run_snapshot(build_definitions(), snapshot, shards)
    except ValueError as exc:  # settings from the environment (Settings.from_env) are bad
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except dg.DagsterUnknownPartitionError:
        start = Settings.from_env().start_date
        print(
            f"error: snapshot {snapshot!r} is not a daily partition (YYYY-MM-DD from "
            f"CARDFEATURES_START_DATE={start} to tomorrow)",
            file=sys.stderr,
        )
        return 2
    except RuntimeError as exc:  # a run failed; the message names the step and its error
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
