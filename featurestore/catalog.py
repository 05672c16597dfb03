"""The DuckDB catalog (``<root>/catalog.duckdb``): views over the parquet plus two metadata tables.

The catalog never holds the only copy of anything the pipeline needs to recompute: the views are
derived from what is on disk (``build_view_sql``), the feature registry is mirrored as small parquet
files under ``<root>/_registry/`` and the run log under ``<root>/_runs/``, so ``rebuild`` recreates
the whole catalog from the parquet alone.

Locking: DuckDB lets one process hold a database file read-write, or many processes hold it
read-only. Writers therefore open the file only for the brief catalog update, readers open it
read-only, and both retry with exponential back-off when the file is locked (``connect``). A process
that died holding the file releases its OS lock with it, so a retry then succeeds.

For an object-store root the catalog file cannot be opened in place: writers download it to a
local cache file, update it there and upload it back with one PUT. Two writers updating it at the
same moment: the last upload wins, so a registry or run-log row of the other can be missing from
the DuckDB tables (never from the parquet mirrors; ``FeatureStore.rebuild_catalog`` restores it).
Object stores have no symlinks, so their views name the current generation's files explicitly
(``scan_sql``); readers therefore get a private copy of the catalog with the views re-derived from
the store as it is at that moment, and never depend on views a writer uploaded earlier.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from featurestore import storage

CATALOG_FILE = "catalog.duckdb"
REGISTRY_DIR = "_registry"
RUNS_DIR = "_runs"

#: Partition keys of the known tables, outermost first, and their SQL types.
TABLE_PARTITIONS: dict[str, tuple[str, ...]] = {
    "items": ("snapshot",),
    "pairs": ("snapshot",),
    "clean_items": ("snapshot",),
    "item_images": ("snapshot",),
    "source_embeddings": ("space", "snapshot"),
    "text_embeddings": ("model",),
    "image_embeddings": ("model",),
    "item_features": ("feature_set", "version", "snapshot"),
    "pair_features": ("feature_set", "version", "snapshot"),
}
HIVE_TYPES = {
    "snapshot": "DATE",
    "feature_set": "VARCHAR",
    "version": "VARCHAR",
    "model": "VARCHAR",
    "space": "VARCHAR",
}
#: Tables partitioned by feature set and version: they get per-version and "latest" views.
FEATURE_TABLES = ("item_features", "pair_features")
#: Tables whose partitions are per embedding model (fixed-size vectors of differing sizes).
EMBEDDING_TABLES = ("text_embeddings", "image_embeddings")
#: Top-level directories that are not tables.
NON_TABLE_DIRS = ("models", "landing", "dagster_home", REGISTRY_DIR, RUNS_DIR)

#: Arrow schema of the registry mirror files and of the ``feature_registry`` table.
REGISTRY_SCHEMA = pa.schema(
    [
        pa.field("feature", pa.string(), nullable=False),
        pa.field("feature_set", pa.string(), nullable=False),
        pa.field("version", pa.string(), nullable=False),
        pa.field("dtype", pa.string(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("code_version", pa.string()),
        pa.field("model_key", pa.string()),
        pa.field("created", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
#: Arrow schema of the run-log mirror files and of the ``runs`` table.
RUNS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("asset", pa.string(), nullable=False),
        pa.field("partition", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("seconds", pa.float64()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("checksums", pa.string()),  # JSON: {"<file path>": "<sha256>", ...}
        pa.field("started", pa.timestamp("us", tz="UTC")),
        pa.field("finished", pa.timestamp("us", tz="UTC")),
    ]
)

_DDL = """
CREATE TABLE IF NOT EXISTS feature_registry (
    feature VARCHAR NOT NULL, feature_set VARCHAR NOT NULL, version VARCHAR NOT NULL,
    dtype VARCHAR NOT NULL, description VARCHAR, code_version VARCHAR, model_key VARCHAR,
    created TIMESTAMPTZ NOT NULL, PRIMARY KEY (feature_set, version, feature));
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR NOT NULL, asset VARCHAR NOT NULL, "partition" VARCHAR, "rows" BIGINT,
    seconds DOUBLE, status VARCHAR NOT NULL, checksums VARCHAR, started TIMESTAMPTZ,
    finished TIMESTAMPTZ);
"""

# One in-process lock per catalog path: DuckDB refuses a read-only and a read-write connection to
# the same file inside one process, so in-process users take turns.
_PROCESS_LOCKS: dict[str, threading.RLock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


class CatalogLockedError(RuntimeError):
    """The catalog file stayed locked by another process for longer than the retry budget."""


class CatalogError(RuntimeError):
    """The catalog file exists but cannot be opened (corrupt, wrong format)."""


@dataclass(frozen=True)
class TableLayout:
    """A table found on disk: its name and its Hive partition keys, outermost first."""

    name: str
    keys: tuple[str, ...]


def _process_lock(path: str) -> threading.RLock:
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(path, threading.RLock())


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


@contextlib.contextmanager
def connect(
    path: str, *, read_only: bool, timeout: float = 30.0, initial_wait: float = 0.05
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the local catalog file ``path``, retrying with back-off while another process locks it.

    Raises ``CatalogLockedError`` (naming the file and DuckDB's description of the holder) when the
    lock is still held after ``timeout`` seconds, and ``CatalogError`` for a file DuckDB cannot read.
    The connection is closed on exit, so writers hold the file only for the ``with`` block.
    """
    lock = _process_lock(os.path.abspath(path))
    with lock:
        deadline = time.monotonic() + timeout
        wait = initial_wait
        while True:
            try:
                con = duckdb.connect(path, read_only=read_only)
                break
            except duckdb.IOException as exc:
                if not _is_lock_error(exc):
                    raise CatalogError(f"cannot open catalog {path}: {exc}") from exc
                if time.monotonic() + wait > deadline:
                    raise CatalogLockedError(
                        f"catalog {path} is still locked after {timeout:.0f}s of retries: {exc}"
                    ) from exc
                time.sleep(wait)
                wait = min(wait * 2, 1.0)
            except duckdb.Error as exc:
                raise CatalogError(
                    f"cannot open catalog {path} (corrupt or not a DuckDB file? it can be rebuilt "
                    f"from the parquet with `FeatureStore.rebuild_catalog`): {exc}"
                ) from exc
        try:
            yield con
        finally:
            con.close()


class Catalog:
    """The catalog of one store root: where the DuckDB file lives and how to update it."""

    def __init__(self, root: str, *, lock_timeout: float = 30.0) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        self.local = storage.is_local(root)
        if self.local:
            self.path = os.path.join(storage.local_path(root), CATALOG_FILE)
        else:
            cache = os.path.join(tempfile.gettempdir(), "cardfeatures-catalogs")
            os.makedirs(cache, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9]+", "_", root).strip("_")
            self.path = os.path.join(cache, f"{safe}.duckdb")
        self.remote_path = storage.join(root, CATALOG_FILE)

    # -- connections ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the catalog (object store: a private copy, views re-derived)."""
        if not self.local:
            with tempfile.TemporaryDirectory(prefix="cardfeatures-catalog-") as tmp:
                path = os.path.join(tmp, CATALOG_FILE)
                fs, fs_path = storage.filesystem(self.remote_path)
                if fs.exists(fs_path):
                    fs.get(fs_path, path)
                con = duckdb.connect(path)
                try:
                    self._prepare(con)
                    con.execute(_DDL)
                    _replace_views(con, build_view_sql(self.root, discover_tables(self.root)))
                    yield con
                finally:
                    con.close()
            return
        if not os.path.exists(self.path):
            self.ensure()
        with connect(self.path, read_only=True, timeout=self.lock_timeout) as con:
            self._prepare(con)
            yield con

    @contextlib.contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for one brief update; object-store catalogs are uploaded after."""
        if not self.local:
            self._download()
        with connect(self.path, read_only=False, timeout=self.lock_timeout) as con:
            self._prepare(con)
            con.execute(_DDL)
            yield con
            con.execute("CHECKPOINT")
        if not self.local:
            self._upload()

    def _prepare(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let the connection read object-store paths through fsspec (no httpfs download here)."""
        if not self.local:
            fs, _ = storage.filesystem(self.root)
            with contextlib.suppress(duckdb.Error):
                con.register_filesystem(fs)

    def _download(self) -> None:
        fs, fs_path = storage.filesystem(self.remote_path)
        if fs.exists(fs_path):
            tmp = f"{self.path}.{os.getpid()}.download"
            fs.get(fs_path, tmp)
            os.replace(tmp, self.path)

    def _upload(self) -> None:
        fs, fs_path = storage.filesystem(self.remote_path)
        fs.put(self.path, fs_path)

    def ensure(self) -> None:
        """Create the catalog file with its metadata tables if it does not exist yet."""
        with self.writer():
            pass

    # -- metadata tables -----------------------------------------------------------------------

    def upsert_registry(self, rows: pa.Table) -> None:
        """Insert or replace feature registry rows (keyed by feature set, version and feature)."""
        with self.writer() as con:
            con.register("new_rows", rows)
            con.execute(
                "INSERT OR REPLACE INTO feature_registry SELECT feature, feature_set, version, "
                "dtype, description, code_version, model_key, created FROM new_rows"
            )
            con.unregister("new_rows")

    def append_runs(self, rows: pa.Table) -> None:
        with self.writer() as con:
            con.register("new_rows", rows)
            con.execute(
                'INSERT INTO runs SELECT run_id, asset, "partition", "rows", seconds, status, '
                "checksums, started, finished FROM new_rows"
            )
            con.unregister("new_rows")

    # -- views ---------------------------------------------------------------------------------

    def refresh_views(self, layouts: list[TableLayout]) -> list[str]:
        """Drop every view and re-create them from ``layouts``; returns the view names."""
        statements = build_view_sql(self.root, layouts)
        with self.writer() as con:
            _replace_views(con, statements, where=self.root)
        return list(statements)


def _replace_views(
    con: duckdb.DuckDBPyConnection, statements: dict[str, str], where: str = ""
) -> None:
    """Drop every view of ``con``'s database and create ``statements`` (name -> SELECT)."""
    existing = [
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal "
            "AND database_name = current_database()"
        ).fetchall()
    ]
    for name in existing:
        con.execute(f"DROP VIEW IF EXISTS {quote(name)}")
    for name, sql in statements.items():
        try:
            con.execute(f"CREATE VIEW {quote(name)} AS {sql}")
        except duckdb.Error as exc:
            raise CatalogError(f"cannot create view {name!r} over {where}: {exc}") from exc


# -- view SQL ----------------------------------------------------------------------------------


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_name(*parts: str) -> str:
    """``pair_features__core__v1`` from parts, with anything outside [A-Za-z0-9_] made ``_``."""
    return "__".join(re.sub(r"[^A-Za-z0-9_]+", "_", p) for p in parts)


def scan_sql(
    root: str,
    table: str,
    fixed: dict[str, str],
    keys: tuple[str, ...],
    files: list[str] | None = None,
) -> str:
    """``read_parquet`` over a table's files, the partitions in ``fixed`` pinned, others globbed.

    Local roots: every path component is spelled ``key=value`` or ``key=*``, so generation
    directories and temporary files (names starting with ``.``) never match, and the partition
    symlinks make the glob see one generation per partition. Object stores have no symlinks and a
    glob would also match superseded parts, so there the view names ``files`` (the table's current
    files from ``storage.list_parquet_files``) that match ``fixed``.
    """
    types = ", ".join(f"{literal(k)}: {HIVE_TYPES.get(k, 'VARCHAR')}" for k in keys)
    hive = f", hive_partitioning = true, hive_types = {{{types}}}" if keys else ""
    if storage.is_local(root):
        parts = [f"{k}={fixed[k]}" if k in fixed else f"{k}=*" for k in keys]
        source = literal(storage.join(table_root(root, table), *parts, "*.parquet"))
    else:
        if files is None:
            files = storage.list_parquet_files(table_root(root, table))
        wanted = {f"{k}={v}" for k, v in fixed.items()}
        chosen = [f for f in files if wanted <= set(f.split("/"))]
        source = "[" + ", ".join(literal(f) for f in chosen) + "]"
    return f"SELECT * FROM read_parquet({source}{hive}, union_by_name = true)"


def table_root(root: str, table: str) -> str:
    """Absolute location of a table (absolute so the views work from any working directory)."""
    if storage.is_local(root):
        return os.path.join(os.path.abspath(storage.local_path(root)), table)
    return storage.join(root, table)


def version_sort_key(version: str) -> tuple:
    """Natural order: v2 < v10, 1.9 < 1.10; text parts compare as text."""
    return tuple(
        (0, int(tok), "") if tok.isdigit() else (1, 0, tok)
        for tok in re.findall(r"\d+|\D+", version)
    )


def build_view_sql(root: str, layouts: list[TableLayout]) -> dict[str, str]:
    """View name -> SELECT for every table on disk, plus per-version and latest feature views."""
    fs, _ = storage.filesystem(root)
    views: dict[str, str] = {}
    local = storage.is_local(root)
    for layout in layouts:
        table, keys = layout.name, layout.keys
        files = None if local else storage.list_parquet_files(table_root(root, table))
        if table in FEATURE_TABLES and keys[:2] == ("feature_set", "version"):
            latest = []
            for feature_set, versions in list_feature_versions(root, table).items():
                for version in versions:
                    views[view_name(table, feature_set, version)] = scan_sql(
                        root, table, {"feature_set": feature_set, "version": version}, keys, files
                    )
                newest = view_name(table, feature_set, versions[-1])
                views[view_name(table, feature_set, "latest")] = f"SELECT * FROM {quote(newest)}"
                latest.append(newest)
            if latest:
                views[table] = " UNION ALL BY NAME ".join(
                    f"SELECT * FROM {quote(v)}" for v in latest
                )
        elif table in EMBEDDING_TABLES and keys[:1] == ("model",):
            per_model = []
            for model in list_partition_values(storage.join(table_root(root, table)), "model"):
                model_dir = storage.join(table_root(root, table), f"model={model}")
                if not storage.list_parquet_files(model_dir):  # e.g. a first write that failed
                    continue
                name = view_name(table, model)
                views[name] = scan_sql(root, table, {"model": model}, keys, files)
                per_model.append(name)
            if per_model:
                # Models differ in vector size: the combined view shows vectors as plain lists.
                views[table] = " UNION ALL BY NAME ".join(
                    f"SELECT * REPLACE (CAST(embedding AS FLOAT[]) AS embedding) FROM {quote(v)}"
                    for v in per_model
                )
        else:
            views[table] = scan_sql(root, table, {}, keys, files)
    del fs
    return views


def list_partition_values(directory: str, key: str) -> list[str]:
    """Values ``v`` of the ``key=v`` entries directly under ``directory`` (sorted naturally)."""
    fs, fs_path = storage.filesystem(directory)
    if not fs.exists(fs_path):
        return []
    values = []
    for entry in fs.ls(fs_path, detail=False):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        if name.startswith(f"{key}="):
            values.append(name.split("=", 1)[1])
    return sorted(values, key=version_sort_key)


def list_feature_versions(root: str, table: str) -> dict[str, list[str]]:
    """Feature set -> its versions on disk (oldest first) that hold at least one parquet file."""
    out: dict[str, list[str]] = {}
    base = table_root(root, table)
    for feature_set in list_partition_values(base, "feature_set"):
        fs_dir = storage.join(base, f"feature_set={feature_set}")
        versions = [
            v
            for v in list_partition_values(fs_dir, "version")
            if storage.list_parquet_files(storage.join(fs_dir, f"version={v}"))
        ]
        if versions:
            out[feature_set] = versions
    return out


def discover_tables(root: str) -> list[TableLayout]:
    """Tables under ``root`` that hold parquet files, with their partition keys.

    Known tables use ``TABLE_PARTITIONS``; any other directory's keys are read off its first
    ``key=value`` path, so tables added later get a plain view without code changes here.
    """
    fs, fs_path = storage.filesystem(root)
    layouts = []
    if not fs.exists(fs_path):
        return layouts
    for entry in sorted(fs.ls(fs_path, detail=False)):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        if name.startswith((".", "_")) or name in NON_TABLE_DIRS or not fs.isdir(entry):
            continue
        directory = table_root(root, name)
        files = storage.list_parquet_files(directory)
        if not files:
            continue
        if name in TABLE_PARTITIONS:
            keys = TABLE_PARTITIONS[name]
        else:
            relative = files[0][len(directory) :].strip("/").split("/")[:-1]
            keys = tuple(p.split("=", 1)[0] for p in relative if "=" in p)
        layouts.append(TableLayout(name, keys))
    return layouts


def now_utc() -> datetime:
    return datetime.now(UTC)


def checksums_json(files: dict[str, str]) -> str:
    return json.dumps(files, sort_keys=True)
