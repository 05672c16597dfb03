"""open_clip encoders: the image tower and the text tower of one CLIP-style model.

A model is named by an architecture plus a pretrained tag (``ViT-B-32`` + ``laion2b_s34b_b79k``), by
an ``hf-hub:org/repo`` name (Marqo e-commerce, SigLIP, ...), or by an architecture plus a local
checkpoint file. Custom configs (the demo model) are found as ``configs/<arch>.json`` or
``<arch>.json`` next to the checkpoint. Loading never falls back to random weights: an architecture
without weights raises ``ModelLoadError``.

With a local checkpoint and an architecture whose open_clip config is known (built in, or a JSON
next to the checkpoint), the weights load lazily, at the first ``encode`` (or ``load()``): the
model key's dimension and image size come from the config (``embed_dim``, ``vision_cfg.image_size``)
and are checked against the loaded model, so an all-cached nightly rerun loads nothing. Pretrained
tags and ``hf-hub:`` names load in ``__init__`` as before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from encoders.base import Encoder, folder_fingerprint, l2_normalize, make_model_key
from encoders.errors import ModelLoadError, load_help

log = logging.getLogger(__name__)


def _register_local_configs(checkpoint: str | None) -> None:
    from encoders.demo_models import register_clip_config_dir

    if checkpoint is None:
        return
    folder = Path(checkpoint).parent
    for candidate in (folder / "configs", folder):
        if candidate.is_dir():
            register_clip_config_dir(candidate)


def check_open_clip_args(arch: str, pretrained: str | None, checkpoint: str | None) -> None:
    """ModelLoadError with the fix for a missing checkpoint, unknown architecture or no weights."""
    import open_clip

    name = arch if pretrained is None else f"{arch}:{pretrained}"
    if checkpoint is not None and not os.path.isfile(checkpoint):
        raise ModelLoadError(
            f"{load_help(name, 'image')} (Checkpoint {checkpoint!r} does not exist.)"
        )
    _register_local_configs(checkpoint)
    is_hub = arch.startswith("hf-hub:")
    if not is_hub and arch not in open_clip.list_models():
        raise ModelLoadError(
            f"{load_help(name, 'image')} (Unknown open_clip architecture {arch!r}; put "
            f"'{arch}.json' next to the checkpoint or use one of open_clip.list_models().)"
        )
    if not is_hub and pretrained is None and checkpoint is None:
        raise ModelLoadError(
            f"{load_help(name, 'image')} (No weights given: pass a pretrained tag, an hf-hub: name "
            "or a checkpoint. Random weights are never used.)"
        )


def config_shape(arch: str, checkpoint: str | None) -> tuple[int, int] | None:
    """(embed_dim, image_size) from the open_clip config of ``arch``, or None if not plain there."""
    import open_clip

    if arch.startswith("hf-hub:"):
        return None
    _register_local_configs(checkpoint)
    config = open_clip.get_model_config(arch) or {}
    dim = config.get("embed_dim")
    size = (config.get("vision_cfg") or {}).get("image_size")
    if isinstance(size, list | tuple) and size:
        size = size[0]
    if not isinstance(dim, int) or not isinstance(size, int):
        return None
    return dim, size


def load_open_clip(
    arch: str, pretrained: str | None, checkpoint: str | None, device: str
) -> tuple[Any, Any]:
    """(model in eval mode, image preprocess) or ModelLoadError with the fix."""
    import open_clip

    name = arch if pretrained is None else f"{arch}:{pretrained}"
    check_open_clip_args(arch, pretrained, checkpoint)
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            arch, pretrained=checkpoint or pretrained, device=device
        )
    except Exception as exc:
        raise ModelLoadError(
            f"{load_help(name, 'image')} Cause: {type(exc).__name__}: {exc}"
        ) from exc
    model.eval()
    return model, preprocess


class _OpenClipBase(Encoder):
    tower = "image"

    def __init__(
        self,
        arch: str,
        pretrained: str | None = None,
        *,
        checkpoint: str | None = None,
        device: str = "auto",
        precision: str = "auto",
        batch_size: int = 64,
        output_dtype: str = "float16",
        preprocessing_version: str = "1",
        lazy: bool = True,
    ) -> None:
        from encoders.demo_models import DEMO_LABEL, is_demo_model
        from encoders.device import resolve_device, resolve_precision

        if output_dtype not in ("float16", "float32"):
            raise ValueError(f"output_dtype must be float16 or float32, got {output_dtype!r}")
        self.arch, self.pretrained, self.checkpoint = arch, pretrained, checkpoint
        self.device = resolve_device(device)
        self.autocast_dtype = resolve_precision(precision, self.device)
        self.batch_size = int(batch_size)
        self.output_dtype = output_dtype
        self.oom_retries = 0
        #: How many times this encoder loaded the weights (0 until the first encode when lazy).
        self.loads = 0
        self._model: Any = None
        self._preprocess: Any = None
        check_open_clip_args(arch, pretrained, checkpoint)
        shape = config_shape(arch, checkpoint) if lazy and checkpoint is not None else None
        if shape is None:
            self._load()
        else:
            self.dim, self.image_size = shape
        self.is_demo = checkpoint is not None and is_demo_model(checkpoint)
        if self.is_demo:
            log.warning("open_clip model %s: %s", checkpoint, DEMO_LABEL)
        spec = {
            "backend": "open_clip",
            "tower": self.tower,
            "arch": arch,
            "pretrained": pretrained,
            "checkpoint": folder_fingerprint(checkpoint) if checkpoint else None,
            "image_size": self.image_size,
            "preprocessing_version": preprocessing_version,
            "output_dtype": output_dtype,
        }
        self.spec = spec
        label = f"{arch}-{pretrained}" if pretrained else arch
        self.model_key = make_model_key(f"{label}-{self.tower}", spec)

    @property
    def model(self) -> Any:
        """The open_clip model in eval mode (loads it on first use)."""
        if self._model is None:
            self.load()
        return self._model

    @property
    def preprocess(self) -> Any:
        """The model's image preprocessing (loads the model on first use)."""
        if self._model is None:
            self.load()
        return self._preprocess

    @property
    def is_loaded(self) -> bool:
        """Whether the weights are in memory (an all-cached run never loads them)."""
        return self._model is not None

    def load(self) -> None:
        """Load the weights now; ModelLoadError if the model disagrees with its config's shape."""
        if self._model is not None:
            return
        predicted = (self.dim, self.image_size)
        self._load()
        if (self.dim, self.image_size) != predicted:
            self._model = None
            raise ModelLoadError(
                f"The open_clip config of {self.arch!r} gave embed_dim={predicted[0]}, "
                f"image_size={predicted[1]}, but the loaded model has dim={self.dim}, "
                f"image_size={self.image_size}. Pass lazy=False to key the cache by the loaded "
                "model."
            )

    def _load(self) -> None:
        self._model, self._preprocess = load_open_clip(
            self.arch, self.pretrained, self.checkpoint, str(self.device)
        )
        self.loads += 1
        self.dim = self._probe_dim()
        size = getattr(self._model.visual, "image_size", 224)
        self.image_size = int(size[0] if isinstance(size, tuple | list) else size)

    def _probe_dim(self) -> int:
        import torch

        with torch.inference_mode():
            x = torch.zeros(1, 3, *self._input_hw(), device=self.device)
            return int(self._model.encode_image(x).shape[1])

    def _input_hw(self) -> tuple[int, int]:
        size = getattr(self._model.visual, "image_size", 224)
        return (size, size) if isinstance(size, int) else tuple(size)  # type: ignore[return-value]


class OpenClipImageEncoder(_OpenClipBase):
    """Image tower. ``encode`` takes a preprocessed (n, 3, H, W) tensor or a list of PIL images."""

    kind = "image"
    tower = "image"

    def __init__(
        self, arch: str, pretrained: str | None = None, *, workers: int = 2, **kwargs: Any
    ):
        from encoders.images import DECODE_VERSION

        # The decoding is part of what makes the vectors: a new decoding gets a new cache folder.
        kwargs.setdefault("preprocessing_version", f"1+decode{DECODE_VERSION}")
        super().__init__(arch, pretrained, **kwargs)
        self.workers = workers

    def encode(self, batch: Any) -> np.ndarray:
        import torch

        from encoders.batching import OOMBackoff

        if isinstance(batch, list | tuple):
            if not batch:
                return np.zeros((0, self.dim), dtype=np.float32)
            batch = torch.stack([self.preprocess(img.convert("RGB")) for img in batch])
        backoff = OOMBackoff(self.device)
        out = np.empty((batch.shape[0], self.dim), dtype=np.float32)
        for begin in range(0, batch.shape[0], self.batch_size):
            idx = np.arange(begin, min(begin + self.batch_size, batch.shape[0]))
            out[idx] = backoff.run(idx, lambda i: self._forward(batch, i))
        self.oom_retries += backoff.retries
        return l2_normalize(out)

    def _forward(self, batch: Any, idx: np.ndarray) -> np.ndarray:
        import torch

        from encoders.device import inference, to_device

        x = to_device(batch[torch.from_numpy(idx)], self.device)
        with inference(self.device, self.autocast_dtype):
            return self.model.encode_image(x).float().cpu().numpy()


class OpenClipTextEncoder(_OpenClipBase):
    """Text tower of the same model (for text-image similarity features)."""

    kind = "text"
    tower = "text"
    prefix = ""

    def __init__(self, arch: str, pretrained: str | None = None, **kwargs: Any):
        import open_clip

        super().__init__(arch, pretrained, **kwargs)
        self.tokenizer = open_clip.get_tokenizer(arch)

    def encode(self, batch: Sequence[str]) -> np.ndarray:
        from encoders.batching import OOMBackoff

        texts = list(batch)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        backoff = OOMBackoff(self.device)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for begin in range(0, len(texts), self.batch_size):
            idx = np.arange(begin, min(begin + self.batch_size, len(texts)))
            out[idx] = backoff.run(idx, lambda i: self._forward(texts, i))
        self.oom_retries += backoff.retries
        return l2_normalize(out)

    def _forward(self, texts: list[str], idx: np.ndarray) -> np.ndarray:
        from encoders.device import inference, to_device

        tokens = to_device(self.tokenizer([texts[i] for i in idx]), self.device)
        with inference(self.device, self.autocast_dtype):
            return self.model.encode_text(tokens).float().cpu().numpy()
