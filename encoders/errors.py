"""Errors the encoders raise, so callers can tell a setup problem from a bug."""

from __future__ import annotations


class ModelLoadError(RuntimeError):
    """A model could not be loaded. The message says how to fix it; there is never a fallback."""


class CacheMissError(KeyError):
    """Vectors were asked of an embedding cache that does not hold them."""


def load_help(model: str, kind: str) -> str:
    """The fix-it text appended to every ModelLoadError."""
    return (
        f"Could not load the {kind} model {model!r}. This machine may have no access to the "
        "Hugging Face hub. Fix: download the model on a machine with internet access (e.g. "
        "`huggingface-cli download <id>` or SentenceTransformer(<id>).save(<dir>)), copy the folder "
        "here and pass its local path, or point HF_HOME at a cache that already holds it (set "
        "HF_HUB_OFFLINE=1 to fail fast instead of retrying the hub). For tests "
        "and the demo, build the tiny RANDOM-WEIGHT models with `cardfeatures embed demo-models "
        "OUT_DIR` (encoders.demo_models). No random-weight fallback is ever used."
    )
