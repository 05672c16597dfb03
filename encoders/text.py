"""Text encoder on sentence-transformers: any Hugging Face id or local folder.

The encoder tokenises a whole batch once, sorts by token length, pads each token-budget batch itself
(a vectorised numpy fill) and runs the model under ``inference_mode`` with autocast on CUDA. The
prefix (``passage: `` / ``query: `` for e5 models) is part of the text the engine hashes, so texts
with different prefixes never share a cache entry.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from encoders.base import Encoder, folder_fingerprint, l2_normalize, make_model_key
from encoders.errors import ModelLoadError, load_help

log = logging.getLogger(__name__)


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model behind the ``Encoder`` interface."""

    kind = "text"

    def __init__(
        self,
        model: str,
        *,
        revision: str | None = None,
        device: str = "auto",
        precision: str = "auto",
        token_budget: int = 16384,
        max_seq_length: int | None = None,
        prefix: str = "",
        output_dtype: str = "float16",
        preprocessing_version: str = "1",
        max_batch: int = 1024,
        local_files_only: bool = False,
    ) -> None:
        import torch  # noqa: F401  (imported here so `import encoders.text` stays light)

        from encoders.demo_models import DEMO_LABEL, is_demo_model
        from encoders.device import resolve_device, resolve_precision

        if output_dtype not in ("float16", "float32"):
            raise ValueError(f"output_dtype must be float16 or float32, got {output_dtype!r}")
        self.model_name = model
        self.device = resolve_device(device)
        self.autocast_dtype = resolve_precision(precision, self.device)
        self.token_budget = int(token_budget)
        self.max_batch = int(max_batch)
        self.prefix = prefix
        self.output_dtype = output_dtype
        self.oom_retries = 0
        self.model = _load_sentence_transformer(model, revision, str(self.device), local_files_only)
        if max_seq_length is not None:
            self.model.max_seq_length = int(max_seq_length)
        self.max_seq_length = int(self.model.max_seq_length or 512)
        self.tokenizer = self.model.tokenizer
        self.dim = int(self.model.get_embedding_dimension())
        self._needs_token_types = "token_type_ids" in getattr(
            self.tokenizer, "model_input_names", []
        )
        local = os.path.exists(model)
        self.is_demo = local and is_demo_model(model)
        if self.is_demo:
            log.warning("text model %s: %s", model, DEMO_LABEL)
        spec = {
            "backend": "sentence-transformers",
            "model": f"local:{folder_fingerprint(model)}" if local else model,
            "revision": revision,
            "prefix": prefix,
            "max_seq_length": self.max_seq_length,
            "preprocessing_version": preprocessing_version,
            "output_dtype": output_dtype,
        }
        name = os.path.basename(os.path.normpath(model)) if local else model
        self.model_key = make_model_key(name, spec)
        self.spec = spec

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The texts exactly as the model will see them (prefix added); these are hashed."""
        return [self.prefix + t for t in texts] if self.prefix else list(texts)

    def token_lengths(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Token ids (with special tokens, truncated) and their lengths, tokenised in one call."""
        ids = self.tokenizer(
            list(texts),
            add_special_tokens=True,
            truncation=True,
            max_length=self.max_seq_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]
        return ids, np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        """Vectors for ``batch`` (already prepared texts), in input order, L2-normalised float32."""
        from encoders.batching import OOMBackoff, token_budget_batches

        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids, lengths = self.token_lengths(batch)
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        backoff = OOMBackoff(self.device, on_retry=self._shrink_budget)
        for idx in token_budget_batches(lengths, self.token_budget, self.max_batch):
            out[idx] = backoff.run(idx, lambda i: self._forward(ids, lengths, i))
        self.oom_retries += backoff.retries
        return l2_normalize(out)

    def _shrink_budget(self, rows: int) -> None:
        self.token_budget = max(1, self.token_budget // 2)

    def _forward(self, ids: list[list[int]], lengths: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """One padded batch through the model; returns float32 (n, dim) on the host."""
        import torch

        from encoders.device import inference, to_device

        lens = lengths[idx]
        width = int(lens.max())
        mask = np.arange(width)[None, :] < lens[:, None]
        input_ids = np.full((len(idx), width), self.tokenizer.pad_token_id or 0, dtype=np.int64)
        input_ids[mask] = np.concatenate([ids[i] for i in idx])
        features: dict[str, Any] = {
            "input_ids": to_device(torch.from_numpy(input_ids), self.device),
            "attention_mask": to_device(torch.from_numpy(mask.astype(np.int64)), self.device),
        }
        if self._needs_token_types:
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        with inference(self.device, self.autocast_dtype):
            emb = self.model(features)["sentence_embedding"]
        return emb.float().cpu().numpy()


def _load_sentence_transformer(
    model: str, revision: str | None, device: str, local_files_only: bool = False
) -> Any:
    """Load or raise ModelLoadError with the fix; never a random-weight fallback."""
    looks_local = model.startswith((".", "/", "~")) or os.sep in model.strip("/").split("/", 2)[-1]
    if looks_local and not os.path.exists(model):
        raise ModelLoadError(f"{load_help(model, 'text')} (The path {model!r} does not exist.)")
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(
            model, revision=revision, device=device, local_files_only=local_files_only
        )
    except Exception as exc:
        raise ModelLoadError(
            f"{load_help(model, 'text')} Cause: {type(exc).__name__}: {exc}"
        ) from exc
