"""Text encoder on sentence-transformers: any Hugging Face id or local folder.

The encoder tokenises a whole batch once, sorts by token length, pads each token-budget batch itself
(a vectorised numpy fill) and runs the model under ``inference_mode`` with autocast on CUDA. On a
CPU the batches run in ``cpu_workers`` threads with one torch thread each (default: as many workers
as torch has threads): a 2-thread torch op on small tensors spends much of its time in the
fork/join between threads, and it stalls whenever another process takes one of the cores, while two
single-threaded batches at a time keep both cores busy. The prefix (``passage: `` / ``query: `` for
e5 models) is part of the text the engine hashes, so texts with different prefixes never share a
cache entry.

The weights load lazily, on the first ``encode`` (or ``load()``): the model key and dimension are
read from the model's small config files (``encoders.st_config``), so a nightly rerun whose texts
are all cached never loads the model. When those files cannot be read cheaply (a hub id that is not
in the local Hugging Face cache, an unusual module stack) the model loads in ``__init__`` as before.
A missing folder or a model that cannot be found raises ``ModelLoadError`` in ``__init__``; weights
that exist but cannot be loaded raise it at the first ``encode``.
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
        lazy: bool = True,
        cpu_workers: int | None = None,
        fast_tokens: bool = True,
    ) -> None:
        import torch  # noqa: F401  (imported here so `import encoders.text` stays light)

        from encoders.demo_models import DEMO_LABEL, is_demo_model
        from encoders.device import resolve_device, resolve_precision
        from encoders.st_config import read_model_shape

        if output_dtype not in ("float16", "float32"):
            raise ValueError(f"output_dtype must be float16 or float32, got {output_dtype!r}")
        self.model_name = model
        self.revision = revision
        self.local_files_only = local_files_only
        self.device = resolve_device(device)
        self.autocast_dtype = resolve_precision(precision, self.device)
        self.token_budget = int(token_budget)
        self.max_batch = int(max_batch)
        self.cpu_workers = cpu_workers
        #: Tokenise BERT-shaped tokenizers with ``encoders.wordpiece`` (False: always the tokenizer).
        self.fast_tokens = fast_tokens
        self.prefix = prefix
        self.output_dtype = output_dtype
        self.oom_retries = 0
        #: How many times this encoder loaded the weights (0 until the first encode when lazy).
        self.loads = 0
        self._model: Any = None
        self._max_seq_length_arg = max_seq_length
        shape = read_model_shape(model, revision, local_files_only) if lazy else None
        if shape is None:
            self._load()  # eager: the model itself says its sequence length and dimension
        else:
            self.max_seq_length = int(max_seq_length or shape.max_seq_length or 512)
            self.dim = shape.dim
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

    @property
    def is_loaded(self) -> bool:
        """Whether the weights are in memory (an all-cached run never loads them)."""
        return self._model is not None

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loads it on first use)."""
        if self._model is None:
            self.load()
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The model's tokenizer (loads the model on first use)."""
        return self.model.tokenizer

    def load(self) -> None:
        """Load the weights now (``encode`` does it on first use); ModelLoadError if they fail.

        When the key came from the config files, the loaded model must agree with them on sequence
        length and dimension, or the cache key would be wrong: a disagreement raises at once, before
        anything is written.
        """
        if self._model is not None:
            return
        predicted = (self.max_seq_length, self.dim)
        self._load()
        if (self.max_seq_length, self.dim) != predicted:
            self._model = None
            raise ModelLoadError(
                f"The config files of {self.model_name!r} gave max_seq_length={predicted[0]}, "
                f"dim={predicted[1]}, but the loaded model has max_seq_length="
                f"{self.max_seq_length}, dim={self.dim}. Pass lazy=False to key the cache by "
                "the loaded model (and please report this model's config files)."
            )

    def _load(self) -> None:
        from encoders.wordpiece import FastWordPiece

        model = _load_sentence_transformer(
            self.model_name, self.revision, str(self.device), self.local_files_only
        )
        self.loads += 1
        if self._max_seq_length_arg is not None:
            model.max_seq_length = int(self._max_seq_length_arg)
        self.max_seq_length = int(model.max_seq_length or 512)
        self.dim = int(model.get_embedding_dimension())
        self._needs_token_types = "token_type_ids" in getattr(
            model.tokenizer, "model_input_names", []
        )
        self._model = model
        self._pad_id = model.tokenizer.pad_token_id or 0
        self._fast_tokens = (
            FastWordPiece.from_tokenizer(model.tokenizer) if self.fast_tokens else None
        )
        self._key_mask = self._check_key_mask()

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The texts exactly as the model will see them (prefix added); these are hashed."""
        return [self.prefix + t for t in texts] if self.prefix else list(texts)

    def token_lengths(self, texts: Sequence[str]) -> tuple[list[Any], np.ndarray]:
        """Token ids (with special tokens, truncated) and their lengths, tokenised in one call.

        BERT-shaped tokenizers take ``encoders.wordpiece`` (the same ids, word pieces looked up once
        per distinct word); the others are called as they are.
        """
        tokenizer = self.tokenizer  # loads the model on first use
        if self._fast_tokens is not None:
            return self._fast_tokens.encode(texts, self.max_seq_length)
        ids = tokenizer(
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
        from concurrent.futures import ThreadPoolExecutor

        from encoders.batching import OOMBackoff, token_budget_batches
        from encoders.device import torch_threads

        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids, lengths = self.token_lengths(batch)
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        backoff = OOMBackoff(self.device, on_retry=self._shrink_budget)
        batches = token_budget_batches(lengths, self.token_budget, self.max_batch)

        def run(idx: np.ndarray) -> None:
            out[idx] = backoff.run(idx, lambda i: self._forward(ids, lengths, i))

        workers = min(self._workers(), len(batches))
        if workers <= 1:
            for idx in batches:
                run(idx)
        else:
            with torch_threads(1), ThreadPoolExecutor(workers) as pool:
                for _ in pool.map(run, batches):  # re-raises a worker's exception here
                    pass
        self.oom_retries += backoff.retries
        return l2_normalize(out)

    def _workers(self) -> int:
        """Batches run at once: ``cpu_workers`` (default torch's thread count) on CPU, else 1."""
        import torch

        if self.device.type != "cpu":
            return 1
        return max(1, self.cpu_workers or torch.get_num_threads())

    def _shrink_budget(self, rows: int) -> None:
        self.token_budget = max(1, self.token_budget // 2)

    def _forward(self, ids: list[list[int]], lengths: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """One padded batch through the model; returns float32 (n, dim) on the host."""
        return self._embed_batch(ids, lengths, idx, self._key_mask)

    def _embed_batch(
        self, ids: list[list[int]], lengths: np.ndarray, idx: np.ndarray, use_key_mask: bool
    ) -> np.ndarray:
        """Pad rows ``idx`` of ``ids`` and run the model (see ``_run_modules`` for the mask)."""
        import torch

        from encoders.device import inference, to_device

        lens = lengths[idx]
        width = int(lens.max())
        mask = np.arange(width)[None, :] < lens[:, None]
        input_ids = np.full((len(idx), width), self._pad_id, dtype=np.int64)
        input_ids[mask] = np.concatenate([ids[i] for i in idx])
        features: dict[str, Any] = {
            "input_ids": to_device(torch.from_numpy(input_ids), self.device),
            "attention_mask": to_device(torch.from_numpy(mask.astype(np.int64)), self.device),
        }
        if self._needs_token_types:
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        key_mask = to_device(torch.from_numpy(mask), self.device) if use_key_mask else None
        with inference(self.device, self.autocast_dtype):
            emb = self._run_modules(features, key_mask)
        return emb.float().cpu().numpy()

    def _run_modules(self, features: dict[str, Any], key_mask: Any) -> Any:
        """The model's modules on ``features``; the sentence embedding tensor.

        With ``key_mask`` (bool, rows x width) the transformer gets the padding mask as a
        (rows, 1, 1, width) boolean tensor, which transformers passes to SDPA as it is and SDPA
        broadcasts; given the 2-D mask, transformers builds a (rows, 1, width, width) mask per batch
        (``where`` / ``bitwise_and`` ops) and SDPA reads all of it. The pooling after the transformer
        still sees the 2-D mask. ``_check_key_mask`` decides at load whether a model allows this.
        """
        if key_mask is None:
            return self.model(features)["sentence_embedding"]
        modules = list(self.model)
        two_d = features["attention_mask"]
        features = modules[0]({**features, "attention_mask": key_mask[:, None, None, :]})
        features["attention_mask"] = two_d
        for module in modules[1:]:
            features = module(features)
        return features["sentence_embedding"]

    def _check_key_mask(self) -> bool:
        """Whether the broadcast key mask gives the same vectors as the plain path for this model.

        Only for a sentence-transformers ``Transformer`` first module whose Hugging Face model uses
        SDPA attention (an eager model would add a boolean 4-D mask to its scores), on the CPU (the
        only device it was measured on); then a padded probe batch must give the plain path's
        vectors within float rounding, else the plain path is kept.
        """
        modules = list(self._model)
        auto = getattr(modules[0], "auto_model", None) if modules else None
        impl = getattr(getattr(auto, "config", None), "_attn_implementation", None)
        if auto is None or impl != "sdpa" or self.device.type != "cpu":
            return False
        probe = ["a", "товар номер 1 синий", "Winter jacket for women with hood, size M " * 3]
        ids, lengths = self.token_lengths(probe)
        idx = np.arange(len(probe))
        plain = self._embed_batch(ids, lengths, idx, use_key_mask=False)
        try:
            fast = self._embed_batch(ids, lengths, idx, use_key_mask=True)
        except Exception as exc:  # noqa: BLE001  (any failure: keep the plain path)
            log.info("text model %s: plain attention mask (%s)", self.model_name, exc)
            return False
        return bool(np.allclose(plain, fast, atol=1e-6))


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
