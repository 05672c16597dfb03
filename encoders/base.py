"""The one small interface every encoder implements, and how model keys are made.

A ``model_key`` names everything that changes the vectors: the model id (or a fingerprint of a local
folder), its revision, the preprocessing version, prefix, sequence length and output dtype. It is a
readable slug plus a short hash of the full description, so it is safe as a path segment
(``model=<model_key>``) and any change makes a new key (and so a new cache folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Literal

import numpy as np

Kind = Literal["text", "image"]

_SLUG_RE = re.compile(r"[^A-Za-z0-9._-]+")


def make_model_key(name: str, spec: dict[str, Any]) -> str:
    """``<slug of name>-<12 hex of the spec>``: path-safe and changed by any change in ``spec``."""
    full = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.blake2b(full.encode("utf-8"), digest_size=6).hexdigest()
    slug = _SLUG_RE.sub("_", name.replace("hf-hub:", "").strip("/")).strip("._-")[-48:] or "model"
    return f"{slug}-{digest}"


def folder_fingerprint(path: str | os.PathLike[str], full_hash_below: int = 8 << 20) -> str:
    """A fingerprint of a local model folder or file: small files by content, large by size.

    So a model key made from a local path changes when the weights or config there change, and does
    not depend on where the folder lives.
    """
    p = Path(path)
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    h = hashlib.blake2b(digest_size=8)
    for f in files:
        rel = f.relative_to(p).as_posix() if p.is_dir() else f.name
        size = f.stat().st_size
        h.update(f"{rel}\0{size}\0".encode())
        if size <= full_hash_below:
            h.update(f.read_bytes())
        else:
            with open(f, "rb") as fh:  # head and tail of a large weights file
                h.update(fh.read(1 << 20))
                fh.seek(-(1 << 20), os.SEEK_END)
                h.update(fh.read(1 << 20))
    return h.hexdigest()


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32. A zero row stays zero (it has no direction)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class Encoder(ABC):
    """Batch encoder: ``encode(batch)`` returns L2-normalised float32 vectors of shape (n, dim)."""

    model_key: str
    dim: int
    kind: Kind
    #: Arrow value type the cache stores ("float16" by default, "float32" on request).
    output_dtype: str = "float16"
    #: CUDA out-of-memory retries (batch halved) since the encoder was made.
    oom_retries: int = 0

    @abstractmethod
    def encode(self, batch: Any) -> np.ndarray:
        """Encode one batch of inputs in order; rows are L2-normalised float32."""

    def describe(self) -> dict[str, Any]:
        """What the encoder is, for logs and run metadata."""
        return {"model_key": self.model_key, "dim": self.dim, "kind": self.kind}
