"""A sentence-transformers model's sequence length and output dimension, read from its config files.

The text encoder's model key names the maximum sequence length, and the cache needs the dimension;
both are known from a few small JSON files, so an unchanged nightly rerun need not load the weights
to find its cache. This reads exactly what sentence-transformers reads:

* ``modules.json`` - the module stack; only Transformer -> Pooling / Dense / Normalize is understood;
* the Transformer's ``sentence_bert_config.json`` (or a legacy ``sentence_*_config.json``):
  ``max_seq_length``, or ``model_max_length`` in its tokenizer arguments;
* otherwise ``tokenizer_config.json``'s ``model_max_length`` capped by ``config.json``'s
  ``max_position_embeddings`` (what sentence-transformers does when the module config has no length);
* the dimension: the last Dense's ``out_features``, else Pooling's token dimension times its number
  of pooling modes, else ``config.json``'s ``hidden_size``.

Anything else (an unknown module, a tokenizer from another repository, a hub id whose files are not
in the local Hugging Face cache) gives ``None`` and the encoder loads the model to ask it, as before.
No guessing: the encoder also checks these figures against the model once it loads it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# transformers' "no limit" default for a tokenizer without model_max_length (int(1e30)).
VERY_LARGE_INTEGER = int(1e30)

_MODULE_CONFIGS = (
    "sentence_bert_config.json",
    "sentence_roberta_config.json",
    "sentence_distilbert_config.json",
    "sentence_camembert_config.json",
    "sentence_albert_config.json",
    "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json",
)
_LEGACY_POOLING_KEYS = (
    "pooling_mode_cls_token",
    "pooling_mode_max_tokens",
    "pooling_mode_mean_tokens",
    "pooling_mode_mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens",
    "pooling_mode_lasttoken",
)


@dataclass(frozen=True)
class ModelShape:
    """What the model key and the cache need: sequence length (None: no limit known) and dim."""

    max_seq_length: int | None
    dim: int


class _Unknown(Exception):
    """The config files do not say it plainly; load the model instead."""


class _Files:
    """Reads small files of a local folder or of a hub repository in the local HF cache."""

    def __init__(self, model: str, revision: str | None) -> None:
        self.model, self.revision = model, revision
        self.local = os.path.isdir(model)

    def json(self, rel: str, required: bool = False) -> dict[str, Any] | list[Any] | None:
        """The parsed file, None when it surely does not exist; _Unknown when that is not known."""
        path = self._path(rel)
        if path is None:
            if required:
                raise _Unknown(rel)
            return None
        try:
            return json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Unknown(f"{rel}: {exc}") from exc

    def _path(self, rel: str) -> str | None:
        if self.local:
            path = os.path.join(self.model, rel)
            return path if os.path.isfile(path) else None
        try:
            from huggingface_hub import try_to_load_from_cache
            from huggingface_hub.file_download import _CACHED_NO_EXIST
        except ImportError as exc:  # a private name: if a release moves it, load the model
            raise _Unknown(f"huggingface_hub cache lookup: {exc}") from exc

        found = try_to_load_from_cache(self.model, rel, revision=self.revision)
        if found is _CACHED_NO_EXIST:
            return None  # the hub said 404 when it was last asked
        if not isinstance(found, str):
            raise _Unknown(f"{rel} not in the local Hugging Face cache")
        return found


def read_model_shape(
    model: str, revision: str | None = None, local_files_only: bool = False
) -> ModelShape | None:
    """The model's sequence length and dimension from its config files, or None if not plain.

    Never touches the network and never loads weights. ``local_files_only`` is accepted for symmetry
    with the loader; hub files are only ever looked up in the local cache here.
    """
    if not os.path.isdir(model) and (model.startswith((".", "/", "~")) or os.path.exists(model)):
        return None  # a missing or non-folder path: the loader says what is wrong
    try:
        return _read(_Files(model, revision))
    except (_Unknown, KeyError, TypeError, ValueError):
        return None


def _read(files: _Files) -> ModelShape:
    modules = files.json("modules.json", required=True)
    if not isinstance(modules, list) or not modules:
        raise _Unknown("modules.json")
    kinds = [str(m["type"]).rsplit(".", 1)[-1] for m in modules]
    if not all(str(m["type"]).startswith("sentence_transformers.") for m in modules):
        raise _Unknown("custom module")
    if kinds[0] != "Transformer" or not set(kinds[1:]) <= {"Pooling", "Dense", "Normalize"}:
        raise _Unknown(f"module stack {kinds}")
    root = _subdir(modules[0].get("path", ""))
    config = files.json(root + "config.json", required=True)
    top = files.json("config_sentence_transformers.json") or {}
    if not isinstance(config, dict) or not isinstance(top, dict) or top.get("truncate_dim"):
        raise _Unknown("config.json / truncate_dim")
    max_seq_length = _max_seq_length(files, root, config)
    dim = int(config["hidden_size"])
    for module, kind in reversed(list(zip(modules, kinds, strict=True))):
        if kind == "Normalize":
            continue
        if kind == "Transformer":
            break
        cfg = files.json(_subdir(module.get("path", "")) + "config.json", required=True)
        if not isinstance(cfg, dict):
            raise _Unknown(kind)
        dim = int(cfg["out_features"]) if kind == "Dense" else _pooling_dim(cfg)
        break
    return ModelShape(max_seq_length, dim)


def _subdir(path: str) -> str:
    return f"{path.strip('/')}/" if path.strip("/") else ""


def _max_seq_length(files: _Files, root: str, config: dict[str, Any]) -> int | None:
    module_cfg: dict[str, Any] = {}
    for name in _MODULE_CONFIGS:
        found = files.json(root + name)
        if found is not None:
            if not isinstance(found, dict):
                raise _Unknown(name)
            module_cfg = found
            break
    if module_cfg.get("tokenizer_name_or_path") or module_cfg.get("processing_kwargs"):
        raise _Unknown("tokenizer from elsewhere / processing kwargs")
    tok_args = module_cfg.get("processor_kwargs") or module_cfg.get("tokenizer_args") or {}
    if "model_max_length" in tok_args:
        return _as_length(tok_args["model_max_length"])
    if module_cfg.get("max_seq_length") is not None:
        return _as_length(module_cfg["max_seq_length"])
    tok_cfg = files.json(root + "tokenizer_config.json", required=True)
    if not isinstance(tok_cfg, dict):
        raise _Unknown("tokenizer_config.json")
    length = tok_cfg.get("model_max_length")
    length = VERY_LARGE_INTEGER if length is None else _as_length(length)
    max_pos = config.get("max_position_embeddings")
    if max_pos is not None and max_pos != -1:
        length = min(length, int(max_pos))
    return length


def _as_length(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unknown(f"length {value!r}")
    return int(value)


def _pooling_dim(cfg: dict[str, Any]) -> int:
    width = int(cfg.get("embedding_dimension", cfg.get("word_embedding_dimension")))
    mode = cfg.get("pooling_mode")
    if mode is None:
        n_modes = sum(bool(cfg.get(k)) for k in _LEGACY_POOLING_KEYS)
    elif isinstance(mode, str):
        n_modes = 1
    elif isinstance(mode, list):
        n_modes = len(mode)
    else:
        raise _Unknown(f"pooling_mode {mode!r}")
    if n_modes < 1:
        raise _Unknown("no pooling mode")
    return n_modes * width
