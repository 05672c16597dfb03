"""Image file checks and the parallel decode -> encode loop behind ``engine.embed_images``.

Decoding and preprocessing run in ``torch.utils.data.DataLoader`` workers so the model never waits on
the CPU; large JPEGs are decoded in draft mode (the decoder downsamples by 1/2..1/8 while decoding,
to no smaller than the model's input size), which is several times cheaper than a full decode.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
from PIL import Image, ImageOps, UnidentifiedImageError

from encoders.hashing import image_hash

log = logging.getLogger(__name__)

STATUSES = ("ok", "missing", "empty", "too_large", "not_image", "truncated", "corrupt")


def read_bytes(path: str) -> bytes:
    """The bytes of a local path or fsspec URL."""
    if "://" in path and not path.startswith("file://"):
        import fsspec

        with fsspec.open(path, "rb") as fh:
            return fh.read()
    with open(path.removeprefix("file://"), "rb") as fh:
        return fh.read()


def check_image(data: bytes, max_bytes: int, max_pixels: int) -> str:
    """Cheap checks on raw bytes: size and header only (no full decode)."""
    if len(data) == 0:
        return "empty"
    if len(data) > max_bytes:
        return "too_large"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
    except Image.DecompressionBombError:
        return "too_large"
    except UnidentifiedImageError:
        return "not_image"
    except Exception:  # noqa: BLE001 - a broken header is a flag on the item, not a crash
        return "corrupt"
    if width * height > max_pixels or width <= 0 or height <= 0:
        return "too_large"
    return "ok"


def _scan_one(path: str | None, max_bytes: int, max_pixels: int) -> tuple[str | None, str]:
    if path is None:
        return None, "missing"
    try:
        data = read_bytes(path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None, "missing"
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None, "missing"
    status = check_image(data, max_bytes, max_pixels)
    return (image_hash(data) if status == "ok" else None), status


def scan_files(
    paths: Sequence[str | None], max_bytes: int, max_pixels: int, threads: int = 4
) -> tuple[list[str | None], list[str]]:
    """Hash and header-check each path in a thread pool (I/O and hashing release the GIL)."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda p: _scan_one(p, max_bytes, max_pixels), paths, chunksize=64))
    return [h for h, _ in results], [s for _, s in results]


#: Part of the image encoders' model key: bump it when ``decode_image`` changes the pixels it gives,
#: so vectors cached from the old decoding are not mixed with new ones. 2: EXIF orientation applied,
#: 16-bit greys scaled to 8 bits (they were clipped to white), transparency on white (was black).
DECODE_VERSION = "2"

_EXIF_ORIENTATION = 0x0112


def decode_image(data: bytes, draft_size: int | None) -> Image.Image:
    """Decode to RGB, upright as a viewer shows it; JPEGs in draft mode at >= ``draft_size``.

    Phone photos are often stored sideways with an EXIF Orientation tag, so the tag is applied.
    16-bit greys (Pillow mode ``I;16*``) are scaled to 8 bits: ``convert`` would clip every value
    above 255, which turns the photo white. Transparent pixels (RGBA, palette with transparency)
    are laid on white, as the marketplace page shows a cut-out; ``convert`` would keep their stored
    colour, usually black.
    """
    img = Image.open(io.BytesIO(data))
    if draft_size and img.format == "JPEG":
        img.draft("RGB", (draft_size, draft_size))
    img.load()
    if img.getexif().get(_EXIF_ORIENTATION, 1) in range(2, 9):
        img = ImageOps.exif_transpose(img)
    if img.mode.startswith("I;16"):
        img = Image.fromarray((np.asarray(img).astype(np.uint32) // 257).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return img.convert("RGB")


class DecodeDataset:
    """Map-style dataset: index -> (index, preprocessed tensor or None, status)."""

    def __init__(
        self, paths: Sequence[str], preprocess: Callable[[Image.Image], Any], draft_size: int | None
    ):
        self.paths, self.preprocess, self.draft_size = list(paths), preprocess, draft_size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[int, Any, str]:
        try:
            data = read_bytes(self.paths[i])
            img = decode_image(data, self.draft_size)
            return i, self.preprocess(img), "ok"
        except OSError as exc:
            status = "truncated" if "truncated" in str(exc).lower() else "corrupt"
            return i, None, status
        except Exception:  # noqa: BLE001 - any decoder failure flags the item
            return i, None, "corrupt"


def collate(items: list[tuple[int, Any, str]]) -> tuple[np.ndarray, Any, list[tuple[int, str]]]:
    """Stack the decoded tensors; report the failures beside them."""
    import torch

    ok = [(i, t) for i, t, s in items if s == "ok"]
    failed = [(i, s) for i, _, s in items if s != "ok"]
    idx = np.array([i for i, _ in ok], dtype=np.int64)
    tensor = torch.stack([t for _, t in ok]) if ok else None
    return idx, tensor, failed


@contextlib.contextmanager
def _model_threads_beside(workers: int, device: Any) -> Iterator[None]:
    """On CPU, leave the decode workers their cores: the model gets ``cpus - workers`` threads.

    Otherwise torch's intra-op threads and the worker processes oversubscribe the CPU and both
    slow down (measured on 2 cores: 2 workers + 2 model threads was slower than no workers).
    """
    import torch

    if workers <= 0 or getattr(device, "type", "cpu") != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, (os.cpu_count() or 1) - workers)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def decode_and_encode(
    paths: Sequence[str],
    hashes: Sequence[str],
    encoder: Any,
    cache: Any,
    *,
    workers: int,
    batch_size: int,
    chunk_rows: int,
    on_encoded: Callable[[int], None],
    on_chunk: Callable[[int], None],
) -> dict[str, str]:
    """Decode ``paths`` in workers, encode, write a cache part every ``chunk_rows``.

    Returns ``{hash: status}`` for files that failed to decode. ``workers=0`` decodes in this process
    (the single-threaded baseline of the bench).
    """
    from torch.utils.data import DataLoader

    if not paths:
        return {}
    dataset = DecodeDataset(paths, encoder.preprocess, getattr(encoder, "image_size", None))
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=workers,
        collate_fn=collate,
        pin_memory=encoder.device.type == "cuda",
        prefetch_factor=4 if workers > 0 else None,
        persistent_workers=False,
    )
    failed: dict[str, str] = {}
    buf_idx: list[np.ndarray] = []
    buf_vec: list[np.ndarray] = []
    chunks = 0
    hash_arr = pa.array(list(hashes), pa.string())

    def flush() -> None:
        nonlocal chunks
        idx = np.concatenate(buf_idx)
        cache.add(hash_arr.take(pa.array(idx)), np.concatenate(buf_vec))
        buf_idx.clear()
        buf_vec.clear()
        chunks += 1
        on_chunk(chunks)

    pending = 0
    with _model_threads_beside(workers, encoder.device):
        for idx, tensor, bad in loader:
            for i, status in bad:
                failed[hashes[i]] = status
                log.warning("image %s: %s", paths[i], status)
            if tensor is None:
                continue
            buf_idx.append(idx)
            buf_vec.append(encoder.encode(tensor))
            pending += len(idx)
            on_encoded(len(idx))
            if pending >= chunk_rows:
                flush()
                pending = 0
    if buf_idx:
        flush()
    return failed
