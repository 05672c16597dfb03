"""The feature store: Hive-partitioned parquet under one root plus the DuckDB catalog.

Layout (docs/architecture.md "Storage layout")::

    <root>/<table>/<k1>=<v1>/.../<kn>=<vn>/<part>.parquet

Atomicity on a local disk. Every partition directory the store creates is a *symlink* to a hidden
generation directory beside it (``.snapshot=2024-01-01.g<time>-<id>``):

* ``write`` replaces one part file inside the partition: written as ``.<part>.<id>.tmp`` and renamed
  over the old file (``storage.write_parquet_atomic``), so a reader opens the old file or the new one.
* ``replace_partition`` writes all new parts into a fresh generation directory, then atomically
  repoints the partition symlink (a new symlink renamed over the old one). The number of parts may
  shrink: a reader that resolves the link once (``read``) lists either the old generation or the
  new one, never a mix; the catalog views glob through the link, so ``sql`` checks the links did
  not move during the query and re-runs it if they did. Old generations
  are kept for ``gc_grace_seconds`` (so a query that already listed their files can still open
  them) and removed by later replaces and by ``vacuum``.
* A crash leaves at most a hidden ``.tmp`` file or an unreferenced hidden generation directory:
  every glob the store and its views use spells path components as ``key=value`` / ``key=*`` and
  ``*.parquet``, so hidden names never match. ``vacuum`` removes the leftovers.

On an object store (no rename, no symlink) each PUT is atomic, so ``write`` is atomic per part
file. ``replace_partition`` writes the new parts under a hidden generation prefix inside the
partition (``snapshot=.../.g<time>-<id>/part-*.parquet``) and then PUTs one small pointer object,
``snapshot=.../_generation``, naming it; listings read the pointer before listing the generation,
so a reader sees the whole old or the whole new partition (``storage.list_parquet_files``). The
catalog views over an object store name the current files explicitly, and ``sql`` re-derives them
for every query. Superseded generations are kept for ``gc_grace_seconds`` after the switch.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable
from datetime import date, datetime

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from featurestore import catalog as cat
from featurestore import storage
from featurestore.registry import FeatureSpec
from featurestore.storage import WrittenFile

#: Statement types ``sql`` runs; everything else (DROP, INSERT, COPY, ATTACH, SET, ...) is refused.
READ_ONLY_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
_SNAPSHOT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEY_COLUMNS = {"item_id", "item_id_1", "item_id_2"}
_TRANSIENT = re.compile(r"No such file|TProtocolException|Invalid data|magic bytes|IO Error")
# Arrow type names that mean the same column type (polars writes text as large_string).
_DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "halffloat": "float16",
    "large_string": "string",
    "large_utf8": "string",
    "utf8": "string",
}
# pyarrow spells a vector column "fixed_size_list<element: float not null>[64]"; the registry
# spells its type "fixed_size_list<float32>" (no field name, nullability or size).
_LIST_TYPE = re.compile(r"(fixed_size_list|large_list|list)<\w+: (.+?)(?: not null)?>(?:\[\d+\])?")


def _canonical_dtype(name: str) -> str:
    """``name`` (an Arrow type string or a registry dtype) in the registry's spelling."""
    match = _LIST_TYPE.fullmatch(name)
    if match:
        kind = "list" if match[1] == "large_list" else match[1]
        return f"{kind}<{_canonical_dtype(match[2])}>"
    return _DTYPE_ALIASES.get(name, name)


class ReadOnlyQueryError(PermissionError):
    """``FeatureStore.sql`` was given a statement that could modify the store."""


class StoreDataError(ValueError):
    """A parquet file in the store is unreadable or does not match the registry."""


class FeatureStore:
    """One store root (a local path or an fsspec URL such as ``s3://bucket/prefix``)."""

    def __init__(
        self,
        root: str,
        *,
        create: bool = True,
        lock_timeout: float = 30.0,
        gc_grace_seconds: float = 300.0,
    ) -> None:
        root = str(root)
        if storage.is_local(root):
            root = os.path.abspath(storage.local_path(root))
        else:
            root = root.rstrip("/")
        self.root = root
        self.gc_grace_seconds = gc_grace_seconds
        fs, fs_path = storage.filesystem(root)
        if not fs.exists(fs_path):
            if not create:
                raise FileNotFoundError(
                    f"feature store root {root} does not exist (pass create=True to make one)"
                )
            fs.makedirs(fs_path, exist_ok=True)
        elif storage.is_local(root) and not os.path.isdir(root):
            raise NotADirectoryError(f"feature store root {root} is not a directory")
        self.catalog = cat.Catalog(root, lock_timeout=lock_timeout)

    def __repr__(self) -> str:
        return f"FeatureStore({self.root!r})"

    @property
    def is_local(self) -> bool:
        return storage.is_local(self.root)

    # -- paths ---------------------------------------------------------------------------------

    def partition_path(self, table: str, partition: dict[str, str]) -> str:
        """``<root>/<table>/k=v/...`` with the keys in the table's canonical order."""
        keys = cat.TABLE_PARTITIONS.get(table, tuple(partition))
        if set(keys) != set(partition):
            raise ValueError(
                f"table {table!r} is partitioned by {list(keys)}, got partition {partition}"
            )
        if not re.fullmatch(r"[A-Za-z0-9_]+", table):
            raise ValueError(f"table name {table!r} must match [A-Za-z0-9_]+")
        parts = []
        for key in keys:
            value = str(partition[key])
            if not value or any(c in value for c in "/\\=") or value.startswith("."):
                raise ValueError(f"partition value {key}={value!r} is not a valid directory name")
            if key == "snapshot" and not _SNAPSHOT_RE.match(value):
                raise ValueError(f"snapshot {value!r} must be YYYY-MM-DD")
            parts.append(f"{key}={value}")
        return storage.join(cat.table_root(self.root, table), *parts)

    # -- writes --------------------------------------------------------------------------------

    def write(
        self,
        table: str,
        data: pa.Table | pl.DataFrame,
        *,
        partition: dict[str, str],
        schema: pa.Schema,
        part: str = "part-00000",
        run_id: str | None = None,
    ) -> WrittenFile:
        """Atomically write (or replace) one part file of a partition, cast to ``schema``.

        With ``run_id`` the write is also recorded in the run log (asset = table).
        """
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", part) or part.startswith("."):
            raise ValueError(f"part name {part!r} must match [A-Za-z0-9_.-]+ and not start with .")
        started = cat.now_utc()
        t0 = time.perf_counter()
        directory = self.partition_path(table, partition)
        self._ensure_partition_dir(directory)
        if not self.is_local:  # a partition switched by replace_partition: its current generation
            generation = storage.current_generation(directory)
            directory = storage.join(directory, generation) if generation else directory
        written = storage.write_parquet_atomic(
            storage.join(directory, f"{part}.parquet"), _to_arrow(data), schema=schema
        )
        if run_id is not None:
            self.log_run(
                run_id=run_id,
                asset=table,
                partition=_partition_label(partition),
                rows=written.rows,
                seconds=time.perf_counter() - t0,
                status="success",
                checksums={written.path: written.sha256},
                started=started,
            )
        return written

    def replace_partition(
        self,
        table: str,
        parts: Iterable[pa.Table | pl.DataFrame],
        partition: dict[str, str],
        schema: pa.Schema,
        *,
        run_id: str | None = None,
    ) -> list[WrittenFile]:
        """Replace a whole partition with ``parts`` (named part-00000, part-00001, ...).

        The parts go to a new hidden generation and readers are switched to it in one step: on a
        local disk by renaming a new partition symlink over the old one, on an object store by one
        PUT of the partition's ``_generation`` pointer. Readers see the complete old or the complete
        new partition; a write that fails leaves the old one current.
        """
        started = cat.now_utc()
        t0 = time.perf_counter()
        directory = self.partition_path(table, partition)
        written: list[WrittenFile] = []
        if self.is_local:
            parent, leaf = os.path.split(directory)
            os.makedirs(parent, exist_ok=True)
            generation = os.path.join(parent, _generation_name(leaf))
            os.makedirs(generation)
            try:
                for i, data in enumerate(parts):
                    written.append(
                        storage.write_parquet_atomic(
                            os.path.join(generation, f"part-{i:05d}.parquet"),
                            _to_arrow(data),
                            schema=schema,
                        )
                    )
            except BaseException:
                shutil.rmtree(generation, ignore_errors=True)
                raise
            _fsync_dir(generation)
            _point_symlink(directory, os.path.basename(generation))
            written = [
                WrittenFile(
                    path=os.path.join(directory, os.path.basename(w.path)),
                    rows=w.rows,
                    bytes=w.bytes,
                    sha256=w.sha256,
                )
                for w in written
            ]
            self._collect_generations(parent, leaf)
        else:
            generation = storage.new_generation_name()
            fs, fs_dir = storage.filesystem(directory)
            try:
                for i, data in enumerate(parts):
                    written.append(
                        storage.write_parquet_atomic(
                            storage.join(directory, generation, f"part-{i:05d}.parquet"),
                            _to_arrow(data),
                            schema=schema,
                        )
                    )
            except BaseException:
                with contextlib.suppress(Exception):
                    fs.rm(f"{fs_dir}/{generation}", recursive=True)
                raise
            storage.put_pointer(directory, generation)
            self._collect_remote(directory, delete=True)
        if run_id is not None:
            self.log_run(
                run_id=run_id,
                asset=table,
                partition=_partition_label(partition),
                rows=sum(w.rows for w in written),
                seconds=time.perf_counter() - t0,
                status="success",
                checksums={w.path: w.sha256 for w in written},
                started=started,
            )
        return written

    def _ensure_partition_dir(self, directory: str) -> None:
        """Create the partition as a symlink to a fresh generation directory (local roots)."""
        if not self.is_local:
            return
        if os.path.isdir(directory):
            return
        parent, leaf = os.path.split(directory)
        os.makedirs(parent, exist_ok=True)
        generation = _generation_name(leaf)
        os.makedirs(os.path.join(parent, generation))
        try:
            os.symlink(generation, directory)
        except FileExistsError:  # another writer created the partition first: use theirs
            shutil.rmtree(os.path.join(parent, generation), ignore_errors=True)

    def _collect_generations(self, parent: str, leaf: str, grace: float | None = None) -> list[str]:
        """Delete generation directories of ``leaf`` that are not current and older than grace."""
        grace = self.gc_grace_seconds if grace is None else grace
        current = os.path.join(parent, leaf)
        target = os.readlink(current) if os.path.islink(current) else None
        # Every other generation was superseded at the latest when the link was last switched.
        switched = os.lstat(current).st_mtime if target else 0.0
        removed = []
        now = time.time()
        if now - switched < grace:
            return removed
        for name in os.listdir(parent):
            if not name.startswith(f".{leaf}.g") or name == target:
                continue
            path = os.path.join(parent, name)
            with contextlib.suppress(FileNotFoundError):
                if now - os.lstat(path).st_mtime >= grace:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
        return removed

    def _collect_remote(self, partition: str, *, delete: bool) -> list[str]:
        """Superseded generations and parts of one object-store partition, past the grace time.

        Everything but the current generation was superseded at the latest when the pointer was
        last PUT, so nothing goes before ``gc_grace_seconds`` after that (a reader may still be
        reading it); a generation whose objects are younger than that may still be being written.
        Returns the paths (deleted with ``delete``).
        """
        fs, fs_dir = storage.filesystem(partition)
        fs_dir = fs_dir.rstrip("/")
        fs.invalidate_cache()
        pointer = f"{fs_dir}/{storage.GENERATION_POINTER}"
        if not fs.exists(pointer):
            return []
        current = storage.read_pointers(fs, [pointer]).get(fs_dir)
        now = time.time()
        if now - _modified(fs, pointer) < self.gc_grace_seconds:
            return []
        protocol = partition.split("://", 1)[0]
        stale = []
        for entry in fs.ls(fs_dir, detail=False):
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name == current or name == storage.GENERATION_POINTER:
                continue
            if storage.GENERATION_RE.match(name):
                objects = fs.find(entry)
            elif name.endswith(".parquet"):
                objects = [entry]
            else:
                continue
            if all(now - _modified(fs, o) >= self.gc_grace_seconds for o in objects):
                stale.append(entry)
        if delete:
            for entry in stale:
                fs.rm(entry, recursive=True)
        return [f"{protocol}://{e}" for e in stale]

    # -- catalog -------------------------------------------------------------------------------

    def register_features(self, specs: list[FeatureSpec], code_version: str) -> None:
        """Record feature metadata in the registry (catalog table + parquet mirror per version)."""
        if not specs:
            return
        created = cat.now_utc()
        rows = pa.Table.from_pylist(
            [
                {
                    "feature": s.name,
                    "feature_set": s.feature_set,
                    "version": s.version,
                    "dtype": s.dtype,
                    "description": s.description,
                    "code_version": code_version,
                    "model_key": s.model_key,
                    "created": created,
                }
                for s in specs
            ],
            schema=cat.REGISTRY_SCHEMA,
        )
        groups = pl.from_arrow(rows).partition_by(["feature_set", "version"], as_dict=True)
        for (feature_set, version), group in groups.items():
            path = storage.join(
                self.root,
                cat.REGISTRY_DIR,
                f"feature_set={feature_set}",
                f"version={version}",
                "features.parquet",
            )
            fresh = storage.cast_to_schema(group.to_arrow(), cat.REGISTRY_SCHEMA, where=path)
            old = self._read_mirror(path)
            if old is not None:
                keep = old.filter(pc.invert(pc.is_in(old["feature"], value_set=fresh["feature"])))
                fresh = pa.concat_tables([keep.cast(cat.REGISTRY_SCHEMA), fresh])
            storage.write_parquet_atomic(path, fresh, schema=cat.REGISTRY_SCHEMA)
        self.catalog.upsert_registry(rows)

    def log_run(
        self,
        *,
        run_id: str,
        asset: str,
        partition: str | None,
        rows: int | None,
        seconds: float | None,
        status: str,
        checksums: dict[str, str] | None = None,
        started: datetime | None = None,
        finished: datetime | None = None,
    ) -> None:
        """Append one row to the run log (catalog table + a small parquet mirror file)."""
        record = pa.Table.from_pylist(
            [
                {
                    "run_id": run_id,
                    "asset": asset,
                    "partition": partition,
                    "rows": rows,
                    "seconds": seconds,
                    "status": status,
                    "checksums": cat.checksums_json(checksums or {}),
                    "started": started,
                    "finished": finished or cat.now_utc(),
                }
            ],
            schema=cat.RUNS_SCHEMA,
        )
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{run_id}-{asset}")
        path = storage.join(self.root, cat.RUNS_DIR, f"{safe}-{uuid.uuid4().hex[:12]}.parquet")
        storage.write_parquet_atomic(path, record, schema=cat.RUNS_SCHEMA)
        self.catalog.append_runs(record)

    def refresh_catalog(self) -> list[str]:
        """Re-create every view from what is on disk; returns the view names."""
        return self.catalog.refresh_views(cat.discover_tables(self.root))

    @classmethod
    def rebuild_catalog(cls, root: str) -> FeatureStore:
        """Rebuild ``catalog.duckdb`` from the parquet alone (views, registry, run log).

        An existing catalog file (e.g. corrupt) is moved aside as ``catalog.duckdb.broken-<time>``.
        """
        store = cls(root, create=False)
        if store.is_local:
            for suffix in ("", ".wal"):
                path = store.catalog.path + suffix
                if os.path.exists(path):
                    os.replace(path, f"{path}.broken-{int(time.time())}")
        else:
            fs, fs_path = storage.filesystem(store.catalog.remote_path)
            if fs.exists(fs_path):
                fs.rm(fs_path)
            with contextlib.suppress(FileNotFoundError):
                os.remove(store.catalog.path)
        registry = _read_all(storage.join(store.root, cat.REGISTRY_DIR), cat.REGISTRY_SCHEMA)
        runs = _read_all(storage.join(store.root, cat.RUNS_DIR), cat.RUNS_SCHEMA)
        store.catalog.ensure()
        if registry.num_rows:
            store.catalog.upsert_registry(registry)
        if runs.num_rows:
            store.catalog.append_runs(runs)
        store.refresh_catalog()
        return store

    def _read_mirror(self, path: str) -> pa.Table | None:
        fs, fs_path = storage.filesystem(path)
        if not fs.exists(fs_path):
            return None
        with fs.open(fs_path, "rb") as fh:
            return pq.read_table(fh)

    def registry(self, feature_set: str | None = None) -> pl.DataFrame:
        """Registered features (from the parquet mirror, so no catalog lock is needed)."""
        frame = pl.from_arrow(
            _read_all(storage.join(self.root, cat.REGISTRY_DIR), cat.REGISTRY_SCHEMA)
        )
        if feature_set is not None:
            frame = frame.filter(pl.col("feature_set") == feature_set)
        return frame.sort(["feature_set", "version", "feature"])

    # -- SQL -----------------------------------------------------------------------------------

    def sql(self, query: str) -> pl.DataFrame:
        """Run a read-only query against the catalog views; anything that modifies is refused.

        On a local disk the views glob through the partition symlinks, so a query that overlaps a
        ``replace_partition`` could list one generation's files and open another's (a missing
        file, or a silent mix of both). The symlink targets are read before and after the query;
        if any partition switched meanwhile, or a file vanished, the query runs again (backoff
        0.05 .. 0.8 s, ~1.5 s in all), and after the last attempt it fails rather than return a
        result that may mix generations.
        """
        statements = check_read_only(query)
        attempts = 6
        for attempt in range(attempts):
            links = self._partition_links()
            with self.catalog.reader() as con:
                try:
                    for statement in statements[:-1]:
                        con.execute(statement)
                    result = pl.from_arrow(con.sql(statements[-1]).to_arrow_table())
                except duckdb.Error as exc:
                    if attempt + 1 < attempts and _TRANSIENT.search(str(exc)):
                        time.sleep(0.05 * 2**attempt)
                        continue
                    raise _explain_error(exc, self.root) from exc
            if self._partition_links() == links:
                return result
            time.sleep(0.05 * 2**attempt)
        raise StoreDataError(
            f"reading {self.root}: partitions were replaced during each of {attempts} attempts "
            "of the query; run it again when the writes are done"
        )

    def _partition_links(self) -> dict[str, str] | None:
        """Partition symlink -> generation it points to, for every partition of a local store
        (None on an object store, whose views name their files explicitly)."""
        if not self.is_local:
            return None
        links = {}
        # symlinked dirs are listed, not entered; below the table level only key=value dirs
        for directory, subdirs, _ in os.walk(self.root):
            top = directory == self.root
            subdirs[:] = [d for d in subdirs if not d.startswith(".") and (top or "=" in d)]
            for d in subdirs:
                path = os.path.join(directory, d)
                if os.path.islink(path):
                    links[path] = os.readlink(path)
        return links

    # -- reads ---------------------------------------------------------------------------------

    def feature_table_of(self, feature_set: str) -> str:
        """``pair_features`` or ``item_features``: where ``feature_set`` is stored."""
        for table in cat.FEATURE_TABLES:
            if feature_set in cat.list_feature_versions(self.root, table):
                return table
        raise KeyError(f"feature set {feature_set!r} not found under {self.root}")

    def resolve_version(self, table: str, feature_set: str, version: str = "latest") -> str:
        versions = cat.list_feature_versions(self.root, table).get(feature_set, [])
        if not versions:
            raise KeyError(f"feature set {feature_set!r} has no data in {table} under {self.root}")
        if version == "latest":
            return versions[-1]
        if version not in versions:
            raise KeyError(
                f"feature set {feature_set!r} has no version {version!r} (found {versions})"
            )
        return version

    def files(
        self, table: str, fixed: dict[str, str] | None = None, *, snapshot_max: str | None = None
    ) -> list[str]:
        """Part files of ``table`` with some partitions pinned, optionally snapshots <= a date."""
        keys = cat.TABLE_PARTITIONS.get(table) or self._keys_of(table)
        fixed = fixed or {}
        base = cat.table_root(self.root, table)
        files = storage.list_parquet_files(base)
        out = []
        for path in files:
            values = _hive_values(path[len(base) :])
            if any(values.get(k) != str(v) for k, v in fixed.items()):
                continue
            if snapshot_max is not None and values.get("snapshot", "") > snapshot_max:
                continue
            if set(values) != set(keys):
                continue
            out.append(path)
        return out

    def _keys_of(self, table: str) -> tuple[str, ...]:
        for layout in cat.discover_tables(self.root):
            if layout.name == table:
                return layout.keys
        raise KeyError(f"no table {table!r} under {self.root}")

    def read(
        self,
        name: str,
        *,
        version: str = "latest",
        snapshot: str | date | None = None,
        columns: list[str] | None = None,
        feature_set: str | None = None,
    ) -> pl.LazyFrame:
        """A lazy frame over a table or a feature set (``name`` = table or feature set name).

        Feature tables read one version per feature set (``version``; "latest" by default); with
        neither ``feature_set`` nor a feature-set ``name`` every feature set's version is stacked.
        ``snapshot`` pins one snapshot partition.
        """
        if name not in cat.TABLE_PARTITIONS and not self._is_table(name):
            feature_set, name = name, self.feature_table_of(name)
        fixed: dict[str, str] = {}
        if snapshot is not None:
            fixed["snapshot"] = _date_text(snapshot)
        if name in cat.FEATURE_TABLES:
            sets = (
                [feature_set] if feature_set else list(cat.list_feature_versions(self.root, name))
            )
            files = []
            for fset in sets:
                resolved = self.resolve_version(name, fset, version)
                found = self.files(name, {**fixed, "feature_set": fset, "version": resolved})
                self.validate_files(found, fset, resolved)
                files += found
        else:
            files = self.files(name, fixed)
        if not files:
            raise FileNotFoundError(
                f"no parquet files for {name} {fixed or ''} under {self.root}".replace("  ", " ")
            )
        return self._scan(files, name, columns)

    def _is_table(self, name: str) -> bool:
        return any(layout.name == name for layout in cat.discover_tables(self.root))

    def pinned_partitions(
        self, table: str, files: list[str]
    ) -> list[tuple[dict[str, str], list[str]]]:
        """Group ``files`` by partition and pin each partition to its current generation.

        A partition symlink may be switched by ``replace_partition`` at any time; resolving it once
        and listing the generation directory gives a consistent set of files that stays readable
        for ``gc_grace_seconds`` even if the partition moves on meanwhile. Returns
        (partition values, files) pairs; object-store paths are returned as they are.
        """
        base = cat.table_root(self.root, table)
        groups: dict[str, list[str]] = {}
        for path in files:
            groups.setdefault(path.rsplit("/", 1)[0], []).append(path)
        out = []
        for directory, members in groups.items():
            values = _hive_values(directory[len(base) :] + "/x")
            if self.is_local:
                real = os.path.realpath(directory)
                members = storage.list_parquet_files(real) or members
            out.append((values, members))
        return out

    def _scan(self, files: list[str], table: str, columns: list[str] | None) -> pl.LazyFrame:
        keys = cat.TABLE_PARTITIONS.get(table) or self._keys_of(table)
        hive_schema = {k: pl.Date if cat.HIVE_TYPES.get(k) == "DATE" else pl.String for k in keys}
        frames = []
        for values, members in self.pinned_partitions(table, files):
            if self.is_local:
                frame = pl.scan_parquet(members, missing_columns="insert", extra_columns="ignore")
            else:
                tables = []
                for path in members:
                    fs, fs_path = storage.filesystem(path)
                    with fs.open(fs_path, "rb") as fh:
                        tables.append(pl.from_arrow(pq.read_table(fh)))
                frame = pl.concat(tables, how="diagonal_relaxed").lazy()
            frames.append(
                frame.with_columns(
                    pl.lit(_typed(values[k], dtype), dtype=dtype).alias(k)
                    for k, dtype in hive_schema.items()
                )
            )
        frame = pl.concat(frames, how="diagonal_relaxed")
        return frame.select(columns) if columns else frame

    def validate_files(self, files: list[str], feature_set: str, version: str) -> None:
        """Check every file's footer is readable and its columns match the registry.

        Raises ``StoreDataError`` naming the file (and the column) on the first problem. Reads
        footers only, so it is cheap next to the data.
        """
        registry = self.registry(feature_set).filter(pl.col("version") == version)
        expected = {r["feature"]: _canonical_dtype(r["dtype"]) for r in registry.to_dicts()}
        for path in files:
            try:
                schema = self._read_schema(path)
            except FileNotFoundError:
                continue  # replaced by a concurrent replace_partition; readers pin generations
            except (pa.ArrowException, OSError) as exc:
                raise StoreDataError(f"{path}: unreadable parquet file ({exc})") from exc
            for feature, dtype in expected.items():
                if feature not in schema.names:
                    raise StoreDataError(
                        f"{path}: column {feature!r} registered for {feature_set}/{version} is "
                        f"missing (file has {schema.names})"
                    )
                actual = str(schema.field(feature).type)
                if _canonical_dtype(actual) != dtype:
                    raise StoreDataError(
                        f"{path}: column {feature!r} has type {actual} but the registry says "
                        f"{dtype} for {feature_set}/{version}"
                    )

    def training_frame(
        self,
        keys: pl.DataFrame,
        feature_sets: list[str],
        as_of: str | date | None = None,
        *,
        version: str = "latest",
    ) -> pl.DataFrame:
        """Join features onto the user's keys, point in time: the latest snapshot <= ``as_of``.

        ``keys`` holds pairs (``item_id_1``, ``item_id_2``) or items (``item_id``), plus any other
        columns (labels), which are kept. ``as_of`` is one date for every row; if it is None and
        ``keys`` has an ``as_of`` date column, each row uses its own; if both are None the latest
        snapshot wins. An item-level feature set joined onto pairs gives two columns per feature,
        ``<name>_1`` and ``<name>_2``. Each feature set also adds ``<feature_set>__snapshot``, the
        snapshot the row's values came from (null when the key has no features at that time).
        Rows keep the order of ``keys``; keys without features get nulls, never zeros.

        How (measured in bench/store.py): the snapshot partitions at or before the newest
        ``as_of`` are visited newest first, and each visit joins only the key rows that are still
        without a match (and whose ``as_of`` admits that snapshot) to that snapshot's rows. A key
        row therefore takes the newest admissible snapshot that holds it, and older partitions are
        not read at all once every key row has its match. Each join runs on a 64-bit hash of the
        key columns and then compares the keys themselves, so a hash collision costs one string
        comparison and never a wrong match (one integer column joins much faster than two string
        columns in polars).
        """
        pair_keys = {"item_id_1", "item_id_2"} <= set(keys.columns)
        if not pair_keys and "item_id" not in keys.columns:
            raise ValueError(
                f"keys need columns item_id_1 and item_id_2 (pairs) or item_id (items); got "
                f"{keys.columns}"
            )
        frame = keys.with_row_index("__row")
        if as_of is not None:
            frame = frame.with_columns(
                pl.lit(date.fromisoformat(_date_text(as_of))).alias("__as_of")
            )
        elif "as_of" in keys.columns:
            frame = frame.with_columns(_as_of_dates(keys["as_of"]).alias("__as_of"))
        else:
            frame = frame.with_columns(pl.lit(date.max).alias("__as_of"))
        if frame["__as_of"].null_count():
            raise ValueError("keys column 'as_of' has null values: give every row a date")
        newest = frame["__as_of"].max()  # None when keys is empty: no partition is read
        snapshot_max = None if newest is None or newest == date.max else newest.isoformat()

        out = frame
        taken = set(keys.columns)
        for feature_set in feature_sets:
            table = self.feature_table_of(feature_set)
            resolved = self.resolve_version(table, feature_set, version)
            fixed = {"feature_set": feature_set, "version": resolved}
            files = self.files(table, fixed, snapshot_max=snapshot_max)
            # Nothing at or before as_of: one file still gives the feature columns (all null).
            schema_files = files or self.files(table, fixed)[:1]
            self.validate_files(schema_files, feature_set, resolved)
            table_keys = ["item_id_1", "item_id_2"] if table == "pair_features" else ["item_id"]
            if table == "pair_features" and not pair_keys:
                raise ValueError(f"feature set {feature_set!r} is per pair but keys are items")
            dtypes = self._feature_dtypes(schema_files, exclude={*table_keys, *fixed, "snapshot"})
            partitions = sorted(
                (
                    (date.fromisoformat(values["snapshot"]), members)
                    for values, members in self.pinned_partitions(table, files)
                ),
                key=lambda p: p[0],
                reverse=True,
            )
            sides = [("", table_keys)]
            if table == "item_features" and pair_keys:
                sides = [("_1", ["item_id_1"]), ("_2", ["item_id_2"])]
            cache: dict[date, pl.DataFrame] = {}
            for suffix, key_cols in sides:
                names = {}
                for col in dtypes:
                    name = f"{col}{suffix}"
                    names[col] = name if name not in taken else f"{name}__{feature_set}"
                    taken.add(names[col])
                names["snapshot"] = f"{feature_set}__snapshot{suffix}"
                probe = frame.select(
                    "__row", "__as_of", *[pl.col(c).cast(pl.String) for c in key_cols]
                )
                try:
                    key_map = dict(zip(key_cols, table_keys, strict=True))
                    matched = self._newest_matches(
                        probe, partitions, key_map, dtypes, cache if len(sides) > 1 else None
                    )
                except pl.exceptions.PolarsError as exc:
                    raise StoreDataError(
                        f"training frame over {self.root} ({feature_set}/{resolved}) failed: {exc}"
                    ) from exc
                out = out.join(matched.rename(names), on="__row", how="left", maintain_order="left")
        return out.drop("__row", "__as_of")

    def _read_schema(self, path: str) -> pa.Schema:
        """The Arrow schema in a part file's footer (local path or object-store URL)."""
        if self.is_local:
            return pq.read_schema(path)
        fs, fs_path = storage.filesystem(path)
        with fs.open(fs_path, "rb") as fh:
            return pq.read_schema(fh)

    def _feature_dtypes(self, files: list[str], exclude: set[str]) -> dict[str, pl.DataType]:
        """Feature column -> polars dtype, from the footers of ``files`` (union, first seen wins)."""
        dtypes: dict[str, pl.DataType] = {}
        for path in files:
            schema = self._read_schema(path)
            for name, dtype in pl.from_arrow(schema.empty_table()).schema.items():
                if name not in exclude:
                    dtypes.setdefault(name, dtype)
        return dtypes

    def _newest_matches(
        self,
        probe: pl.DataFrame,
        partitions: list[tuple[date, list[str]]],
        key_map: dict[str, str],
        dtypes: dict[str, pl.DataType],
        cache: dict[date, pl.DataFrame] | None,
    ) -> pl.DataFrame:
        """``__row``, the feature columns and ``snapshot`` of each probe row's newest admissible match.

        ``probe`` has ``__row``, ``__as_of`` and the key columns (``key_map``: probe column ->
        column in the files); ``partitions`` are (snapshot, files), newest first. Rows without a
        match are absent from the result.
        """
        hashed = [f"__k{i}" for i in range(len(key_map))]
        pending = probe.with_columns(_key_hash(list(key_map)).alias("__h"))
        pieces = []
        for snapshot, members in partitions:
            if pending.is_empty():
                break
            candidates = pending.filter(pl.col("__as_of") >= snapshot)
            if candidates.is_empty():
                continue
            data = cache.get(snapshot) if cache is not None else None
            if data is None:
                data = self._read_partition(members, [*key_map.values(), *dtypes])
                data = data.rename(dict(zip(key_map.values(), hashed, strict=True)))
                data = data.with_columns(pl.col(hashed).cast(pl.String))
                data = data.with_columns(_key_hash(hashed).alias("__h"))
                if cache is not None:
                    cache[snapshot] = data
            found = (
                candidates.join(data, on="__h", how="inner")
                .filter(
                    pl.all_horizontal(
                        pl.col(p) == pl.col(h) for p, h in zip(key_map, hashed, strict=True)
                    )
                )
                .select("__row", *[c for c in dtypes if c in data.columns])
            )
            if found["__row"].n_unique() < found.height:  # a key twice in one snapshot
                found = found.unique("__row", keep="first", maintain_order=True)
            pieces.append(found.with_columns(pl.lit(snapshot, dtype=pl.Date).alias("snapshot")))
            pending = pending.join(found.select("__row"), on="__row", how="anti")
        empty = pl.DataFrame(schema={"__row": pl.UInt32, **dtypes, "snapshot": pl.Date})
        return pl.concat([empty, *pieces], how="diagonal_relaxed")

    def _read_partition(self, members: list[str], columns: list[str]) -> pl.DataFrame:
        """The ``columns`` of one partition's files that they hold (a file may lack a feature)."""
        if self.is_local:
            scan = pl.scan_parquet(members, missing_columns="insert", extra_columns="ignore")
            present = set(scan.collect_schema().names())
            return scan.select([c for c in columns if c in present]).collect()
        tables = []
        for path in members:
            fs, fs_path = storage.filesystem(path)
            with fs.open(fs_path, "rb") as fh:
                table = pq.read_table(fh)
            tables.append(
                pl.from_arrow(table.select([c for c in columns if c in table.column_names]))
            )
        return pl.concat(tables, how="diagonal_relaxed")

    # -- maintenance ---------------------------------------------------------------------------

    def info(self) -> pl.DataFrame:
        """One row per partition: table, feature_set, version, partition, files, rows, bytes.

        Rows come from the parquet footers, so this reads no data pages.
        """
        records = []
        for layout in cat.discover_tables(self.root):
            base = cat.table_root(self.root, layout.name)
            by_partition: dict[str, list[str]] = {}
            for path in storage.list_parquet_files(base):
                parts = path[len(base) :].strip("/").split("/")[:-1]  # without generation prefixes
                label = "/".join(p for p in parts if not p.startswith("."))
                by_partition.setdefault(label, []).append(path)
            for partition, files in sorted(by_partition.items()):
                values = _hive_values(partition + "/x")
                rows = size = 0
                for path in files:
                    meta, nbytes = self._footer(path)
                    rows += meta.num_rows if meta is not None else 0
                    size += nbytes
                records.append(
                    {
                        "table": layout.name,
                        "feature_set": values.get("feature_set"),
                        "version": values.get("version"),
                        "partition": partition,
                        "files": len(files),
                        "rows": rows,
                        "bytes": size,
                    }
                )
        schema = {
            "table": pl.String,
            "feature_set": pl.String,
            "version": pl.String,
            "partition": pl.String,
            "files": pl.Int64,
            "rows": pl.Int64,
            "bytes": pl.Int64,
        }
        return pl.DataFrame(records, schema=schema)

    def _footer(self, path: str) -> tuple[pq.FileMetaData | None, int]:
        """Footer metadata (None if unreadable) and size in bytes of one parquet file."""
        fs, fs_path = storage.filesystem(path)
        size = fs.size(fs_path)
        try:
            with fs.open(fs_path, "rb") as fh:
                return pq.ParquetFile(fh).metadata, size
        except (pa.ArrowException, OSError):
            return None, size

    def check(self) -> list[str]:
        """Every problem found: unreadable files and feature files that disagree with the registry.

        Each message names the file (and column). Nothing is modified.
        """
        problems = []
        for layout in cat.discover_tables(self.root):
            base = cat.table_root(self.root, layout.name)
            for path in storage.list_parquet_files(base):
                if self._footer(path)[0] is None:
                    problems.append(f"{path}: unreadable parquet file (corrupt or truncated)")
            if layout.name in cat.FEATURE_TABLES:
                for feature_set, versions in cat.list_feature_versions(
                    self.root, layout.name
                ).items():
                    for version in versions:
                        for path in self.files(
                            layout.name, {"feature_set": feature_set, "version": version}
                        ):
                            try:
                                self.validate_files([path], feature_set, version)
                            except StoreDataError as exc:
                                if "unreadable" not in str(exc):
                                    problems.append(str(exc))
        return problems

    def vacuum(self, keep_versions: int = 2, dry_run: bool = True) -> list[str]:
        """Remove old feature versions and the leftovers of crashed or superseded writes.

        Keeps the newest ``keep_versions`` versions of every feature set; removes hidden ``.tmp``
        files and unreferenced generation directories older than ``gc_grace_seconds``. Returns the
        paths removed (or, with ``dry_run``, that would be). Refreshes the catalog afterwards.
        """
        if keep_versions < 1:
            raise ValueError("keep_versions must be >= 1 (the latest version is never removed)")
        doomed: list[str] = []
        for table in cat.FEATURE_TABLES:
            base = cat.table_root(self.root, table)
            for feature_set, versions in cat.list_feature_versions(self.root, table).items():
                for version in versions[:-keep_versions]:
                    doomed.append(
                        storage.join(base, f"feature_set={feature_set}", f"version={version}")
                    )
        if self.is_local:
            doomed += self._stale_leftovers()
        else:
            fs, fs_root = storage.filesystem(self.root)
            fs.invalidate_cache()
            protocol = self.root.split("://", 1)[0]
            for pointer in fs.find(fs_root):
                if pointer.rsplit("/", 1)[-1] == storage.GENERATION_POINTER:
                    partition = f"{protocol}://{pointer.rsplit('/', 1)[0]}"
                    if not any(partition.startswith(f"{d}/") for d in doomed):
                        doomed += self._collect_remote(partition, delete=False)
        if not dry_run:
            fs, _ = storage.filesystem(self.root)
            for path in doomed:
                if self.is_local:
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    elif os.path.lexists(path):
                        os.remove(path)
                else:
                    fs.rm(storage.filesystem(path)[1], recursive=True)
            self.refresh_catalog()
        return doomed

    def _stale_leftovers(self) -> list[str]:
        """Hidden temp files and unreferenced generation directories older than the grace time."""
        stale = []
        now = time.time()
        for dirpath, dirnames, filenames in os.walk(self.root):
            referenced = {
                os.readlink(os.path.join(dirpath, d))
                for d in dirnames
                if os.path.islink(os.path.join(dirpath, d))
            }
            for name in list(dirnames) + filenames:
                path = os.path.join(dirpath, name)
                if not name.startswith(".") or name in referenced:
                    continue
                generation = re.fullmatch(r"\.(.+)\.g\d+-[0-9a-f]{8}", name)
                if not (name.endswith(".tmp") or generation):
                    continue
                ages = [now - os.lstat(path).st_mtime]
                link = os.path.join(dirpath, generation.group(1)) if generation else None
                if link and os.path.islink(link):  # superseded when the link was last switched
                    ages.append(now - os.lstat(link).st_mtime)
                if min(ages) >= self.gc_grace_seconds:
                    stale.append(path)
            dirnames[:] = [d for d in dirnames if not d.startswith(".") or d in referenced]
        return sorted(stale)


# -- helpers -----------------------------------------------------------------------------------


def check_read_only(query: str) -> list[str]:
    """The statements of ``query``; ``ReadOnlyQueryError`` unless every one of them only reads."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ValueError(f"cannot parse SQL: {exc}") from exc
    if not statements:
        raise ValueError("empty SQL query")
    for statement in statements:
        kind = statement.type
        text = statement.query.strip()
        if kind == duckdb.StatementType.EXPLAIN:
            inner = re.sub(r"^\s*explain\s+(analy[sz]e\s+)?", "", text, flags=re.IGNORECASE)
            if inner and inner != text:
                check_read_only(inner)
                continue
        if kind not in READ_ONLY_STATEMENTS:
            raise ReadOnlyQueryError(
                f"refused: the store's SQL entry point is read-only and this is a "
                f"{kind.name} statement: {text[:80]!r}. Use the FeatureStore API or the pipeline "
                "to change data."
            )
    return [s.query for s in statements]


def _explain_error(exc: duckdb.Error, root: str) -> Exception:
    text = str(exc)
    if "Catalog Error" in text and "does not exist" in text:
        return ValueError(f"{text}\n(views of {root}: run `cardfeatures store refresh`?)")
    if "parquet" in text.lower() or "No files found" in text:
        return StoreDataError(f"reading {root}: {text}")
    return exc


def _to_arrow(data: pa.Table | pl.DataFrame) -> pa.Table:
    if isinstance(data, pl.DataFrame):
        return data.to_arrow()
    if isinstance(data, pa.Table):
        return data
    raise TypeError(f"expected a pyarrow Table or polars DataFrame, got {type(data).__name__}")


def _modified(fs, path: str) -> float:
    """Last-modified time of an object-store object as a POSIX timestamp."""
    return fs.modified(path).timestamp()


def _generation_name(leaf: str) -> str:
    return f".{leaf}.g{time.time_ns()}-{uuid.uuid4().hex[:8]}"


def _point_symlink(link: str, target: str) -> None:
    """Make ``link`` a symlink to ``target`` atomically (rename a new symlink over it)."""
    parent = os.path.dirname(link)
    tmp = os.path.join(parent, f".{os.path.basename(link)}.link-{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, tmp)
    try:
        if os.path.isdir(link) and not os.path.islink(link):
            # A plain directory (written by another tool) cannot be renamed over: move it aside to
            # a generation name first. Only this first conversion has a brief gap.
            os.replace(link, os.path.join(parent, _generation_name(os.path.basename(link))))
        os.replace(tmp, link)
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)
    _fsync_dir(parent)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _key_hash(columns: list[str]) -> pl.Expr:
    """A 64-bit hash of string key columns (per-column seeds, so (a, b) and (b, a) differ)."""
    expr = pl.col(columns[0]).hash(1)
    for i, column in enumerate(columns[1:], start=2):
        expr = expr ^ pl.col(column).hash(i)
    return expr


def _hive_values(relative: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in relative.strip("/").split("/")[:-1] if "=" in p)


def _partition_label(partition: dict[str, str]) -> str:
    return "/".join(f"{k}={v}" for k, v in partition.items())


def _date_text(value: str | date) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not _SNAPSHOT_RE.match(str(value)):
        raise ValueError(f"date {value!r} must be YYYY-MM-DD")
    return str(value)


def _typed(value: str, dtype: pl.DataType) -> str | date:
    return date.fromisoformat(value) if dtype == pl.Date else value


def _read_all(directory: str, schema: pa.Schema) -> pa.Table:
    """All parquet files under ``directory`` concatenated and cast to ``schema`` (empty if none)."""
    tables = []
    for path in storage.list_parquet_files(directory):
        fs, fs_path = storage.filesystem(path)
        with fs.open(fs_path, "rb") as fh:
            tables.append(storage.cast_to_schema(pq.read_table(fh), schema, where=path))
    return pa.concat_tables(tables) if tables else schema.empty_table()


def _as_of_dates(column: pl.Series) -> pl.Series:
    """The keys' ``as_of`` column as dates: a date, a datetime (its day), or ISO text such as
    ``2024-02-01`` (a label file read from CSV); text that is no date is an error naming a row."""
    if column.dtype != pl.String:
        return column.cast(pl.Date)
    dates = column.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    bad = (column.is_not_null() & dates.is_null()).arg_true()
    if len(bad):
        row = int(bad[0])
        raise ValueError(
            f"keys column 'as_of': row {row} holds {column[row]!r}, not a date (YYYY-MM-DD)"
        )
    return dates
