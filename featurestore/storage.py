"""File-system primitives for the store: one root that is a local path or an fsspec URL.

Every parquet file is written so that a reader never sees half of it: on a local disk it is written
under a temporary name ending in ``.tmp`` (which no ``*.parquet`` glob matches) and renamed into place
with ``os.replace``; on an object store a single PUT is already atomic, so the object is written
directly under its final name.

Object stores have no rename and no symlink, so a whole partition is switched with a pointer: the
new parts go under a hidden generation prefix inside the partition (``snapshot=.../.g<time>-<id>/``)
and then one small object, ``snapshot=.../_generation``, is PUT naming that prefix. A listing
(``list_parquet_files``) reads the pointer first and lists the generation it names afterwards, so it
sees one complete generation; parts directly in a partition that has a pointer are superseded and
skipped. See ``FeatureStore.replace_partition``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

PARQUET_COMPRESSION = "zstd"
#: Object-store partitions replaced as a whole: this object names the current generation prefix.
GENERATION_POINTER = "_generation"
GENERATION_RE = re.compile(r"^\.g\d+-[0-9a-f]{8}$")
ROW_GROUP_ROWS = 128 * 1024


@dataclass(frozen=True)
class WrittenFile:
    """What a write produced: where, how many rows and bytes, and a checksum of the file bytes."""

    path: str
    rows: int
    bytes: int
    sha256: str


def is_local(path: str) -> bool:
    """True when ``path`` is a plain local path (no ``scheme://``) or a ``file://`` URL."""
    return "://" not in path or path.startswith("file://")


def local_path(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


def filesystem(path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem for ``path`` and the path in that filesystem's own form."""
    fs, fs_path = fsspec.core.url_to_fs(path)
    return fs, fs_path


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns to dictionary-encode in Parquet: all but list (vector) columns.

    Embedding vectors rarely repeat a value: the writer fills a dictionary page, gives up and
    writes them plainly anyway. Measured on 2,100 float16 embeddings of 312: 85 -> 43 ms to write,
    66 -> 17 ms to read back, 1.32 -> 1.25 MB. Scalar float columns keep it: on 100,000 rows of
    the full pair-feature set, many of them with few distinct values, leaving it out wrote in 0.42
    s instead of 0.65 but made the file 11% larger.
    """
    vector = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list)
    return [f.name for f in schema if not any(test(f.type) for test in vector)]


def join(root: str, *parts: str) -> str:
    """Join path components under a root that may be a URL (always with ``/``)."""
    out = root.rstrip("/")
    for part in parts:
        out = f"{out}/{part.strip('/')}"
    return out


@contextlib.contextmanager
def renamed_into_place(final: str) -> Iterator[str]:
    """A hidden temporary path beside the local file ``final`` (no ``*.parquet`` glob matches
    it): renamed onto ``final`` when the block succeeds, removed when it fails."""
    tmp = f"{os.path.dirname(final)}/.{os.path.basename(final)}.{uuid.uuid4().hex}.tmp"
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def prepare_output(path: str) -> str | None:
    """Make the folder of the local output file ``path``; say in one line why it cannot be one
    (a folder, or a path under a file), else None. Checked before the work, not at its end."""
    if not is_local(path):
        return None  # an object store has no folders to make
    path = local_path(path)
    if os.path.isdir(path):
        return f"{path} is a folder; give a file path"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    except OSError as exc:  # a part of the path is a file
        return f"{path}: cannot make its folder ({exc})"
    return None


def write_parquet_atomic(
    path: str,
    table: pa.Table,
    *,
    schema: pa.Schema | None = None,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> WrittenFile:
    """Write ``table`` to ``path`` (local or URL) so that readers see the old file or the new one.

    ``schema``, when given, is enforced: the table is cast to it, and a column that cannot be cast
    raises ``ValueError`` naming the column and the target path.
    """
    if schema is not None:
        table = cast_to_schema(table, schema, where=path)
    fs, fs_path = filesystem(path)
    parent = fs_path.rsplit("/", 1)[0]
    fs.makedirs(parent, exist_ok=True)
    options = {
        "compression": PARQUET_COMPRESSION,
        "row_group_size": row_group_rows,
        "use_dictionary": dictionary_columns(table.schema),
    }
    if is_local(path):
        with renamed_into_place(local_path(fs_path)) as tmp:
            pq.write_table(table, tmp, **options)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            size, digest = _size_and_digest_local(tmp)
    else:
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, **options)
        data = sink.getvalue().to_pybytes()
        with fs.open(fs_path, "wb") as fh:
            fh.write(data)
        size, digest = len(data), hashlib.sha256(data).hexdigest()
    return WrittenFile(path=path, rows=table.num_rows, bytes=size, sha256=digest)


def put_file(local: str, dest: str) -> None:
    """Move the finished local file ``local`` to ``dest`` (local path or URL), atomically.

    For files that are not parquet but belong in the store (the homoglyph LM's ARPA file): on a
    local disk the file is moved beside ``dest`` under a hidden temporary name and renamed into
    place, so a reader sees the old file or the new one; on an object store it is one upload.
    """
    fs, fs_path = filesystem(dest)
    fs.makedirs(fs_path.rsplit("/", 1)[0], exist_ok=True)
    if is_local(dest):
        with renamed_into_place(local_path(fs_path)) as tmp:
            shutil.move(local, tmp)
    else:
        fs.put_file(local, fs_path)


def local_copy(path: str) -> str:
    """A local path holding the file at ``path``: ``path`` itself on a local disk; for a URL a
    copy downloaded once into the temp folder, keyed by the URL and the object's checksum, so a
    file replaced in the store is fetched again. For readers that need a local file (KenLM)."""
    fs, fs_path = filesystem(path)
    if is_local(path):
        if not fs.exists(fs_path):
            raise FileNotFoundError(f"{path} does not exist")
        return local_path(fs_path)
    if not fs.exists(fs_path):
        raise FileNotFoundError(f"{path} does not exist")
    key = hashlib.blake2b(f"{path}|{fs.checksum(fs_path)}".encode(), digest_size=10).hexdigest()
    folder = os.path.join(tempfile.gettempdir(), "cardfeatures-remote", key)
    target = os.path.join(folder, os.path.basename(fs_path))
    if not os.path.exists(target):
        os.makedirs(folder, exist_ok=True)
        with renamed_into_place(target) as tmp:
            fs.get_file(fs_path, tmp)
    return target


def cast_to_schema(table: pa.Table, schema: pa.Schema, *, where: str) -> pa.Table:
    """Select and cast ``table``'s columns to ``schema``; errors name the column and ``where``."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{where}: missing columns {missing} (expected {schema.names})")
    columns = []
    for field in schema:
        column = table.column(field.name)
        try:
            columns.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValueError(
                f"{where}: column {field.name!r} of type {column.type} cannot be cast to "
                f"{field.type}: {exc}"
            ) from exc
        if not field.nullable and columns[-1].null_count:
            raise ValueError(
                f"{where}: column {field.name!r} has {columns[-1].null_count} null values "
                "but the schema does not allow nulls"
            )
    return pa.Table.from_arrays(columns, schema=schema)


def list_parquet_files(directory: str) -> list[str]:
    """Complete parquet files under ``directory`` (recursive, sorted).

    Anything whose name starts with ``.`` is skipped: temporary files and the store's generation
    directories (see ``FeatureStore.replace_partition``). Symlinked partition directories are
    followed on local disks.
    """
    if is_local(directory):
        base = local_path(directory)
        if not os.path.isdir(base):
            return []
        found = []
        for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            found.extend(
                os.path.join(dirpath, f)
                for f in filenames
                if f.endswith(".parquet") and not f.startswith(".")
            )
        return sorted(found)
    fs, fs_path = filesystem(directory)
    fs.invalidate_cache()  # s3fs caches listings; a reader must see the objects as they are now
    if not fs.exists(fs_path):
        return []
    protocol = directory.split("://", 1)[0]
    objects = fs.find(fs_path)
    current = read_pointers(fs, [p for p in objects if p.rsplit("/", 1)[-1] == GENERATION_POINTER])
    files = [
        p
        for p in objects
        if p.endswith(".parquet")
        and not any(c.startswith(".") for c in p.split("/"))
        and p.rsplit("/", 1)[0] not in current  # superseded by a generation
    ]
    for partition, generation in current.items():
        # Listed after the pointer was read: the generation it names is complete by then.
        prefix = f"{partition}/{generation}"
        files += [
            p
            for p in fs.find(prefix)
            if p.endswith(".parquet") and not p.rsplit("/", 1)[-1].startswith(".")
        ]
    return [f"{protocol}://{p}" for p in sorted(files)]


def read_pointers(fs: fsspec.AbstractFileSystem, pointers: list[str]) -> dict[str, str]:
    """Partition path -> current generation name, from ``_generation`` pointer objects.

    A pointer deleted meanwhile (its partition vacuumed) is left out; one that does not hold a
    generation name raises ``ValueError`` naming it.
    """
    if not pointers:
        return {}
    out = {}
    for path, data in fs.cat(pointers, on_error="omit").items():
        generation = data.decode("utf-8", "replace").strip()
        if not GENERATION_RE.match(generation):
            raise ValueError(
                f"{path}: generation pointer holds {generation[:60]!r}, expected a name like "
                "'.g<nanoseconds>-<8 hex digits>'"
            )
        out[path.rsplit("/", 1)[0]] = generation
    return out


def current_generation(partition: str) -> str | None:
    """The generation an object-store partition's pointer names (None: no pointer)."""
    fs, fs_path = filesystem(partition)
    pointer = f"{fs_path.rstrip('/')}/{GENERATION_POINTER}"
    fs.invalidate_cache()
    if not fs.exists(pointer):
        return None
    return read_pointers(fs, [pointer]).get(fs_path.rstrip("/"))


def new_generation_name() -> str:
    return f".g{time.time_ns()}-{uuid.uuid4().hex[:8]}"


def put_pointer(partition: str, generation: str) -> None:
    """Switch an object-store partition to ``generation`` with one PUT (atomic on S3)."""
    if not GENERATION_RE.match(generation):
        raise ValueError(f"not a generation name: {generation!r}")
    fs, fs_path = filesystem(partition)
    fs.pipe_file(f"{fs_path.rstrip('/')}/{GENERATION_POINTER}", generation.encode())


def _size_and_digest_local(path: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return os.path.getsize(path), digest.hexdigest()
