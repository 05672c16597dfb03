"""``cardfeatures`` subcommands of the feature store: ``sql``, ``features``, ``store``.

Heavy imports (polars, duckdb) happen inside the handlers so ``cardfeatures --help`` stays fast.
The store root comes from ``--store``, else the ``CARDFEATURES_STORE`` environment variable, else
``./demo_store``.
"""

from __future__ import annotations

import argparse
import os
import sys

DEFAULT_STORE = "./demo_store"

# What FeatureStore raises for a --store that does not exist or is a file: a one-line error.
_NO_STORE = (FileNotFoundError, NotADirectoryError)


def default_store() -> str:
    return os.environ.get("CARDFEATURES_STORE", DEFAULT_STORE)


def _add_store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        help=f"store root: local path or s3://bucket/prefix (default: $CARDFEATURES_STORE or "
        f"{DEFAULT_STORE})",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sql``, ``features`` and ``store`` (and helper P's ``pair-features``)."""
    sql = subparsers.add_parser(
        "sql", help="run a read-only SQL query against the store's DuckDB catalog"
    )
    sql.add_argument("query", help='e.g. "select count(*) from pair_features"')
    _add_store_arg(sql)
    sql.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    sql.add_argument("--out", default=None, help="write the result to this file (else stdout)")
    sql.add_argument("--max-rows", type=int, default=100, help="rows shown by --format table")
    sql.set_defaults(handler=_sql)

    features = subparsers.add_parser("features", help="inspect the feature registry")
    fsub = features.add_subparsers(dest="features_command", required=True, metavar="ACTION")
    flist = fsub.add_parser("list", help="list registered features")
    flist.add_argument("--feature-set", default=None)
    _add_store_arg(flist)
    flist.set_defaults(handler=_features_list)

    store = subparsers.add_parser("store", help="store maintenance: info, vacuum, refresh, rebuild")
    ssub = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    info = ssub.add_parser("info", help="tables, partitions, rows, sizes, versions")
    _add_store_arg(info)
    info.add_argument("--partitions", action="store_true", help="one line per partition")
    info.set_defaults(handler=_store_info)
    vacuum = ssub.add_parser(
        "vacuum", help="delete old feature versions and leftovers of crashed writes"
    )
    _add_store_arg(vacuum)
    vacuum.add_argument("--keep", type=int, default=2, help="versions to keep per feature set")
    vacuum.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    vacuum.set_defaults(handler=_store_vacuum)
    refresh = ssub.add_parser("refresh", help="re-create the catalog views from the parquet")
    _add_store_arg(refresh)
    refresh.set_defaults(handler=_store_refresh)
    rebuild = ssub.add_parser(
        "rebuild-catalog", help="rebuild catalog.duckdb from the parquet alone"
    )
    _add_store_arg(rebuild)
    rebuild.set_defaults(handler=_store_rebuild)
    check = ssub.add_parser("check", help="read every footer and compare with the registry")
    _add_store_arg(check)
    check.set_defaults(handler=_store_check)

    _add_pair_features(subparsers)


def _add_pair_features(subparsers: argparse._SubParsersAction) -> None:
    """Helper P's ``pair-features`` command; a clear error if that module is not there yet."""
    import importlib

    try:
        features_cli = importlib.import_module("featurestore.features.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("featurestore.features.cli", "featurestore.features"):
            raise
        reason = f"pair-features is unavailable: {exc}"
        missing = subparsers.add_parser(
            "pair-features", help="(unavailable: featurestore.features.cli is missing)"
        )
        missing.set_defaults(handler=lambda args: _fail(reason))
        return
    features_cli.add_command(subparsers)
    # That module names its handler ``func``; the entry point (pipelines/cli.py) calls ``handler``.
    subparsers.choices["pair-features"].set_defaults(handler=features_cli.run)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _open(args: argparse.Namespace):
    from featurestore.store import FeatureStore

    return FeatureStore(args.store or default_store(), create=False)


def _sql(args: argparse.Namespace) -> int:
    import duckdb
    import polars as pl

    from featurestore.storage import prepare_output
    from featurestore.store import ReadOnlyQueryError

    try:
        frame = _open(args).sql(args.query)
    except (ReadOnlyQueryError, *_NO_STORE, ValueError, duckdb.Error) as exc:
        return _fail(str(exc))
    if args.format == "parquet" and not args.out:
        return _fail("--format parquet needs --out FILE")
    problem = args.out and prepare_output(args.out)
    if problem:
        return _fail(f"--out {problem}")
    if args.format == "parquet":
        frame.write_parquet(args.out, compression="zstd")
    elif args.format == "csv":
        text = _flatten(frame).write_csv()
        _emit(text, args.out)
    elif args.format == "json":
        _emit(frame.write_json(), args.out)
    else:
        with pl.Config(
            tbl_rows=args.max_rows, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200
        ):
            text = str(frame.head(args.max_rows))
        if frame.height > args.max_rows:
            text += f"\n({frame.height} rows, first {args.max_rows} shown; use --max-rows)"
        _emit(text + "\n", args.out)
    return 0


def _flatten(frame):
    """CSV cannot hold lists or structs: render such columns as JSON text."""
    import polars as pl

    nested = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List | pl.Array | pl.Struct)
    ]
    if not nested:
        return frame
    # A one-field struct {"v": value} encodes the value as JSON (vectorised); strip the wrapper.
    as_json = {
        name: pl.struct(pl.col(name).alias("v"))
        .struct.json_encode()
        .str.slice(5)
        .str.strip_suffix("}")
        for name in nested
    }
    return frame.with_columns(
        pl.when(pl.col(name).is_null()).then(None).otherwise(text).alias(name)
        for name, text in as_json.items()
    )


def _emit(text: str, out: str | None) -> None:
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _features_list(args: argparse.Namespace) -> int:
    import polars as pl

    try:
        frame = _open(args).registry(args.feature_set)
    except _NO_STORE as exc:
        return _fail(str(exc))
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
        print(frame.drop("created") if frame.height else "no features registered")
    return 0


def _store_info(args: argparse.Namespace) -> int:
    import polars as pl

    try:
        store = _open(args)
    except _NO_STORE as exc:
        return _fail(str(exc))
    frame = store.info()
    if not args.partitions and frame.height:
        frame = (
            frame.group_by("table", "feature_set", "version", maintain_order=True)
            .agg(
                pl.len().alias("partitions"),
                pl.col("files").sum(),
                pl.col("rows").sum(),
                pl.col("bytes").sum(),
            )
            .sort("table", "feature_set", "version")
        )
    print(f"store {store.root}")
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(frame)
    return 0


def _store_vacuum(args: argparse.Namespace) -> int:
    try:
        store = _open(args)
    except _NO_STORE as exc:
        return _fail(str(exc))
    try:
        paths = store.vacuum(keep_versions=args.keep, dry_run=args.dry_run)
    except ValueError as exc:  # --keep < 1
        return _fail(f"--keep {args.keep}: {exc}")
    verb = "would remove" if args.dry_run else "removed"
    for path in paths:
        print(f"{verb} {path}")
    print(f"{verb} {len(paths)} path(s)")
    return 0


def _store_refresh(args: argparse.Namespace) -> int:
    try:
        views = _open(args).refresh_catalog()
    except _NO_STORE as exc:
        return _fail(str(exc))
    print(f"{len(views)} views: {', '.join(views)}")
    return 0


def _store_rebuild(args: argparse.Namespace) -> int:
    from featurestore.store import FeatureStore

    try:
        store = FeatureStore.rebuild_catalog(args.store or default_store())
    except _NO_STORE as exc:
        return _fail(str(exc))
    print(f"rebuilt {store.catalog.path}")
    return 0


def _store_check(args: argparse.Namespace) -> int:
    try:
        problems = _open(args).check()
    except _NO_STORE as exc:
        return _fail(str(exc))
    for problem in problems:
        print(problem)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0
