"""The embedding engine: hash, deduplicate, look up the cache, encode only misses, write in chunks.

``embed_texts`` and ``embed_images`` return content hashes aligned with their input (the join key to
the cache) plus run statistics; the vectors themselves live in the cache and ``load_vectors`` reads
them back in any order. Every ``chunk_rows`` newly encoded vectors become one part file, renamed into
place when complete: a crash loses at most one chunk, and a rerun only encodes what is still missing,
so the cache never holds a hash twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from encoders.base import Encoder
from encoders.cache import EmbeddingCache
from encoders.hashing import as_string_array, blake2b_hex, blank_to_null
from encoders.progress import EmbedStats, Progress

log = logging.getLogger(__name__)


@dataclass
class EmbedResult:
    """Hashes aligned with the input texts (null for null/empty/blank) and the run statistics."""

    hashes: pa.Array
    stats: EmbedStats


@dataclass
class ImageEmbedResult:
    """Hashes (null where the image failed), per-row status and run statistics."""

    hashes: pa.Array
    status: pa.Array
    stats: EmbedStats


def cache_for(encoder: Encoder, root: str) -> EmbeddingCache:
    """The cache of ``encoder``'s model key under ``root``."""
    return EmbeddingCache(
        root,
        encoder.kind,
        encoder.model_key,
        encoder.dim,
        getattr(encoder, "output_dtype", "float16"),
    )


def prepare_texts(
    texts: Sequence[str | None] | pa.Array | pa.ChunkedArray, prefix: str
) -> pa.Array:
    """Texts as the encoder sees them: null for null, empty or blank, ``prefix`` before the rest."""
    arr = blank_to_null(as_string_array(texts))
    if prefix:
        arr = pc.binary_join_element_wise(pa.scalar(prefix), arr, "")
    return arr


def embed_texts(
    texts: Sequence[str | None] | pa.Array | pa.ChunkedArray,
    encoder: Encoder,
    root: str,
    *,
    chunk_rows: int = 50_000,
    progress: bool = True,
    after_chunk: Callable[[int], None] | None = None,
) -> EmbedResult:
    """Make sure every distinct non-empty text has a vector in ``root``'s cache for this model.

    ``after_chunk(n_chunks_written)`` is called after each part file is in place (tests use it to
    simulate a crash mid-run).
    """
    start = time.perf_counter()
    prepared = prepare_texts(texts, getattr(encoder, "prefix", ""))
    encoded_dict = prepared.dictionary_encode()
    distinct_texts = encoded_dict.dictionary
    distinct_hashes = pa.array(
        [blake2b_hex(t.encode("utf-8")) for t in distinct_texts.to_pylist()], type=pa.string()
    )
    hashes = pc.take(distinct_hashes, encoded_dict.indices)

    cache = cache_for(encoder, root)
    hit = cache.lookup(distinct_hashes)
    miss = np.flatnonzero(~hit)
    stats = EmbedStats(
        kind="text",
        model_key=encoder.model_key,
        rows=len(prepared),
        null_rows=prepared.null_count,
        distinct=len(distinct_hashes),
        cache_hits=int(hit.sum()),
    )
    bar = Progress(
        f"embed text {encoder.model_key}", len(miss), stats.cache_hits, stats.distinct, progress
    )
    oom_before = getattr(encoder, "oom_retries", 0)
    for begin in range(0, len(miss), chunk_rows):
        idx = pa.array(miss[begin : begin + chunk_rows])
        vectors = encoder.encode(distinct_texts.take(idx).to_pylist())
        cache.add(distinct_hashes.take(idx), vectors)
        stats.encoded += len(idx)
        stats.chunks_written += 1
        bar.update(len(idx))
        if after_chunk is not None:
            after_chunk(stats.chunks_written)
    stats.oom_retries = getattr(encoder, "oom_retries", 0) - oom_before
    stats.seconds = time.perf_counter() - start
    log.info("embed_texts %s", stats.as_metadata())
    return EmbedResult(hashes=hashes, stats=stats)


def load_vectors(
    root: str,
    kind: str,
    model_key: str,
    hashes: pa.Array | Sequence[str | None],
    *,
    dim: int | None = None,
) -> np.ndarray:
    """float32 vectors aligned with ``hashes`` (NaN rows for null or uncached hashes).

    With ``dim`` (the encoder's) a model that has no cache folder yet is no error: every row is
    NaN. That is the first run over a source without photos, or whose photos all failed, where
    nothing was encoded. Without ``dim`` the width cannot be known, so that raises
    FileNotFoundError.
    """
    from encoders.cache import cache_dir, list_parquet_files, read_schema

    files = list_parquet_files(cache_dir(root, kind, model_key))
    if not files:
        if dim is not None:
            return np.full((len(hashes), int(dim)), np.nan, dtype=np.float32)
        raise FileNotFoundError(f"no embedding cache at {cache_dir(root, kind, model_key)}")
    if dim is None:
        dim = read_schema(files[0]).field("embedding").type.list_size  # footer only, no vectors
    return EmbeddingCache(root, kind, model_key, dim).get(hashes, missing="nan")


def embed_images(
    paths: Sequence[str | None] | pa.Array | pa.ChunkedArray,
    encoder: Any,
    root: str,
    *,
    workers: int = 2,
    batch_size: int | None = None,
    chunk_rows: int = 10_000,
    max_bytes: int = 50 << 20,
    max_pixels: int = 89_478_485,
    progress: bool = True,
    after_chunk: Callable[[int], None] | None = None,
) -> ImageEmbedResult:
    """Hash every photo, encode the ones the cache lacks; bad files are flagged, never fatal.

    Pass 1 (threads) reads each distinct path once, hashes the bytes and checks the header
    ("missing", "empty", "too_large" incl. decompression bombs, "not_image"). Pass 2 decodes only
    cache misses in DataLoader workers (JPEG draft mode) and flags "truncated" / "corrupt" files.
    """
    from encoders.images import decode_and_encode, scan_files

    start = time.perf_counter()
    arr = as_string_array(paths)
    by_path = arr.dictionary_encode()
    distinct_paths = by_path.dictionary.to_pylist()
    path_hash, path_status = scan_files(
        distinct_paths, max_bytes, max_pixels, threads=max(4, 2 * workers)
    )

    ok_hashes = sorted({h for h, s in zip(path_hash, path_status, strict=True) if s == "ok"})
    cache = cache_for(encoder, root)
    hit = cache.lookup(ok_hashes) if ok_hashes else np.zeros(0, bool)
    to_encode = [h for h, cached in zip(ok_hashes, hit, strict=True) if not cached]
    first_path = {}
    for p, h, s in zip(distinct_paths, path_hash, path_status, strict=True):
        if s == "ok" and h not in first_path:
            first_path[h] = p
    stats = EmbedStats(
        kind="image",
        model_key=encoder.model_key,
        rows=len(arr),
        null_rows=arr.null_count,
        distinct=len(ok_hashes),
        cache_hits=int(hit.sum()),
    )
    bar = Progress(
        f"embed image {encoder.model_key}",
        len(to_encode),
        stats.cache_hits,
        stats.distinct,
        progress,
    )
    oom_before = getattr(encoder, "oom_retries", 0)
    failed = decode_and_encode(
        [first_path[h] for h in to_encode],
        to_encode,
        encoder,
        cache,
        workers=workers,
        batch_size=batch_size or getattr(encoder, "batch_size", 64),
        chunk_rows=chunk_rows,
        on_encoded=bar.update,
        on_chunk=lambda n: _chunk_written(stats, n, after_chunk),
    )
    stats.encoded = len(to_encode) - len(failed)
    stats.oom_retries = getattr(encoder, "oom_retries", 0) - oom_before

    # Statuses found while decoding apply to every path with those bytes.
    final_status = [
        failed.get(h, s) if s == "ok" else s for h, s in zip(path_hash, path_status, strict=True)
    ]
    final_hash = [h if s == "ok" else None for h, s in zip(path_hash, final_status, strict=True)]
    hashes = pc.take(pa.array(final_hash, pa.string()), by_path.indices)
    status = pc.take(pa.array(final_status, pa.string()), by_path.indices).fill_null("missing")
    counts = pc.value_counts(status).to_pylist()
    stats.status_counts = {c["values"]: int(c["counts"]) for c in counts}
    stats.seconds = time.perf_counter() - start
    log.info("embed_images %s", stats.as_metadata())
    return ImageEmbedResult(hashes=hashes, status=status, stats=stats)


def _chunk_written(stats: EmbedStats, n: int, after_chunk: Callable[[int], None] | None) -> None:
    stats.chunks_written = n
    if after_chunk is not None:
        after_chunk(n)
