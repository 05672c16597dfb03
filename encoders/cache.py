"""The content-addressed embedding cache of one model: ``<root>/{text,image}_embeddings/model=<key>/``.

Each ``add`` writes one part file (``part-<time>-<uuid>.parquet``) atomically through
``featurestore.storage.write_parquet_atomic``; nothing is ever rewritten, so a crash loses at most the
chunk being written and a rerun sees every complete part. The index (hash -> file, row) holds only
the hash columns in memory; vectors are read from the part files when asked for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from encoders.errors import CacheMissError
from featurestore.schemas import image_embedding_schema, text_embedding_schema
from featurestore.storage import (
    WrittenFile,
    filesystem,
    is_local,
    join,
    list_parquet_files,
    write_parquet_atomic,
)

HASH_COLUMN = {"text": "content_hash", "image": "image_hash"}


def cache_dir(root: str, kind: str, model_key: str) -> str:
    """Folder of one model's cache under the store root."""
    return join(root, f"{kind}_embeddings", f"model={model_key}")


def canonical_path(path: str) -> str:
    """``path`` in the form ``list_parquet_files`` returns, so the same file is never indexed twice."""
    _, fs_path = filesystem(path)
    return fs_path if is_local(path) else f"{path.split('://', 1)[0]}://{fs_path}"


def read_parquet(path: str, columns: list[str]) -> pa.Table:
    """Read ``columns`` of one parquet file that may live on any fsspec filesystem."""
    fs, fs_path = filesystem(path)
    return pq.read_table(fs_path, columns=columns, filesystem=fs)


def read_schema(path: str) -> pa.Schema:
    """The Arrow schema of one parquet file, from its footer (no column data is read)."""
    fs, fs_path = filesystem(path)
    return pq.read_schema(fs_path, filesystem=fs)


def vectors_of(column: pa.ChunkedArray | pa.Array, dim: int) -> np.ndarray:
    """A fixed-size-list embedding column as a float32 (n, dim) matrix."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    values = column.flatten().to_numpy(zero_copy_only=False)
    return values.reshape(-1, dim).astype(np.float32, copy=False)


class EmbeddingCache:
    """Append-only vectors keyed by content hash, for one (kind, model_key)."""

    def __init__(
        self,
        root: str,
        kind: Literal["text", "image"],
        model_key: str,
        dim: int,
        dtype: str = "float16",
    ) -> None:
        if kind not in HASH_COLUMN:
            raise ValueError(f"kind must be 'text' or 'image', got {kind!r}")
        if not model_key or "/" in model_key or "=" in model_key or model_key.startswith("."):
            raise ValueError(f"model_key {model_key!r} is not safe as a path segment")
        self.root, self.kind, self.model_key, self.dim = root, kind, model_key, int(dim)
        arrow_dtype = pa.float16() if dtype == "float16" else pa.float32()
        make = text_embedding_schema if kind == "text" else image_embedding_schema
        self.schema = make(self.dim, arrow_dtype)
        self.hash_column = HASH_COLUMN[kind]
        self.dir = cache_dir(root, kind, model_key)
        self._files: list[str] = []
        self._hash_chunks: list[pa.Array] = []
        self._file_chunks: list[np.ndarray] = []
        self._row_chunks: list[np.ndarray] = []
        self._index: tuple[pa.Array, np.ndarray, np.ndarray] | None = None
        self._loaded = False

    # -- index -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Index part files written since the last look (by this or another process)."""
        self._loaded = True
        known = set(self._files)
        for path in list_parquet_files(self.dir):
            if path in known:
                continue
            # Only the hash column is read; the vectors stay on disk until ``get`` asks for them.
            fs, fs_path = filesystem(path)
            try:
                with pq.ParquetFile(fs_path, filesystem=fs) as parquet:
                    emb_type = parquet.schema_arrow.field("embedding").type
                    hashes = parquet.read(columns=[self.hash_column]).column(0)
            except pa.ArrowInvalid as exc:  # Arrow's own message names no file
                raise ValueError(
                    f"{path}: unreadable embedding cache part ({exc}). Parts written here are "
                    "complete; this one was damaged or cut off elsewhere (a copy?). Remove it "
                    "and rerun: its vectors are encoded again."
                ) from exc
            if getattr(emb_type, "list_size", None) != self.dim:
                raise ValueError(
                    f"{path}: embedding column is {emb_type}, expected {self.dim}-dim vectors "
                    f"for model_key {self.model_key!r}"
                )
            self._append_index(path, hashes.combine_chunks())

    def _append_index(self, path: str, hashes: pa.Array) -> None:
        file_id = len(self._files)
        self._files.append(path)
        self._hash_chunks.append(hashes.cast(pa.string()))
        self._file_chunks.append(np.full(len(hashes), file_id, dtype=np.int32))
        self._row_chunks.append(np.arange(len(hashes), dtype=np.int64))
        self._index = None

    def _get_index(self) -> tuple[pa.Array, np.ndarray, np.ndarray]:
        if not self._loaded:
            self.refresh()
        if self._index is None:
            if self._hash_chunks:
                hashes = pa.concat_arrays(self._hash_chunks)
                self._index = (
                    hashes,
                    np.concatenate(self._file_chunks),
                    np.concatenate(self._row_chunks),
                )
            else:
                self._index = (
                    pa.array([], pa.string()),
                    np.zeros(0, np.int32),
                    np.zeros(0, np.int64),
                )
        return self._index

    def __len__(self) -> int:
        return len(self._get_index()[0])

    @property
    def files(self) -> list[str]:
        """Part files indexed so far."""
        self._get_index()
        return list(self._files)

    # -- queries ---------------------------------------------------------------------------------
    def _positions(self, hashes: pa.Array | Sequence[str | None]) -> np.ndarray:
        """Index position of each hash, -1 where absent (or null)."""
        arr = (
            hashes
            if isinstance(hashes, pa.Array | pa.ChunkedArray)
            else pa.array(list(hashes), pa.string())
        )
        index_hashes = self._get_index()[0]
        pos = pc.index_in(arr, value_set=index_hashes)
        return pos.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def lookup(self, hashes: pa.Array | Sequence[str | None]) -> np.ndarray:
        """Boolean mask: which hashes the cache holds (null -> False)."""
        return self._positions(hashes) >= 0

    def get(
        self, hashes: pa.Array | Sequence[str | None], *, missing: Literal["raise", "nan"] = "raise"
    ) -> np.ndarray:
        """float32 (n, dim) vectors in the order asked; absent hashes raise or give NaN rows."""
        pos = self._positions(hashes)
        out = np.full((len(pos), self.dim), np.nan, dtype=np.float32)
        found = pos >= 0
        if missing == "raise" and not found.all():
            arr = (
                hashes if isinstance(hashes, pa.Array | pa.ChunkedArray) else pa.array(list(hashes))
            )
            first = int(np.flatnonzero(~found)[0])
            raise CacheMissError(
                f"{(~found).sum()} of {len(pos)} hashes are not in {self.dir} "
                f"(first: row {first}, hash {arr[first].as_py()!r})"
            )
        _, file_of, row_of = self._get_index()
        where = np.flatnonzero(found)
        files, rows = file_of[pos[where]], row_of[pos[where]]
        for file_id in np.unique(files):
            sel = files == file_id
            column = read_parquet(self._files[file_id], ["embedding"]).column("embedding")
            out[where[sel]] = vectors_of(column, self.dim)[rows[sel]]
        return out

    # -- writes ----------------------------------------------------------------------------------
    def add(self, hashes: pa.Array | Sequence[str], vectors: np.ndarray) -> WrittenFile | None:
        """Write the vectors of hashes not yet cached as one new part file; None if all were."""
        arr = hashes if isinstance(hashes, pa.Array) else pa.array(list(hashes), pa.string())
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(arr), self.dim):
            raise ValueError(f"vectors shape {vectors.shape} != ({len(arr)}, {self.dim})")
        if arr.null_count:
            raise ValueError(f"{arr.null_count} null hashes given to EmbeddingCache.add")
        # Keep the first occurrence of each hash that the cache does not hold yet.
        _, first = np.unique(arr.to_numpy(zero_copy_only=False), return_index=True)
        keep = np.sort(first)
        keep = keep[~self.lookup(arr.take(pa.array(keep)))]
        if len(keep) == 0:
            return None
        value_type = self.schema.field("embedding").type.value_type
        flat = pa.array(vectors[keep].reshape(-1), type=pa.float32()).cast(value_type)
        table = pa.Table.from_arrays(
            [arr.take(pa.array(keep)), pa.FixedSizeListArray.from_arrays(flat, self.dim)],
            names=[self.hash_column, "embedding"],
        )
        name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"
        written = write_parquet_atomic(join(self.dir, name), table, schema=self.schema)
        self._append_index(
            canonical_path(written.path), table.column(self.hash_column).combine_chunks()
        )
        return written
