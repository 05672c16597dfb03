"""Parse the one-string image model spec used by the CLI, the settings and the Dagster resource.

| spec | meaning |
|---|---|
| ``ViT-B-32:laion2b_s34b_b79k`` | open_clip architecture and pretrained tag |
| ``hf-hub:Marqo/marqo-ecommerce-embeddings-B`` | a model from the Hugging Face hub |
| ``ViT-B-32@/models/clip.pt`` | architecture and a local checkpoint |
| ``/models/demo-clip`` (a folder) | a folder with one ``*.pt`` checkpoint and ``configs/<arch>.json`` |
"""

from __future__ import annotations

import os
from pathlib import Path

from encoders.errors import ModelLoadError


def parse_model_spec(spec: str) -> tuple[str, str | None, str | None]:
    """``(arch, pretrained, checkpoint)`` for ``spec``; a clear error if it names nothing usable."""
    spec = spec.strip()
    if spec.startswith("hf-hub:"):
        return spec, None, None
    if "@" in spec:
        arch, checkpoint = spec.split("@", 1)
        return arch, None, checkpoint
    if os.path.isdir(spec):
        folder = Path(spec)
        checkpoints = sorted(folder.glob("*.pt")) + sorted(folder.glob("*.bin"))
        configs = sorted((folder / "configs").glob("*.json")) + sorted(folder.glob("*.json"))
        if len(checkpoints) != 1 or not configs:
            raise ModelLoadError(
                f"image model folder {spec!r} must hold exactly one checkpoint (*.pt or *.bin) and "
                f"an open_clip config (configs/<arch>.json); found checkpoints "
                f"{[c.name for c in checkpoints]} and configs {[c.name for c in configs]}"
            )
        return configs[0].stem, None, str(checkpoints[0])
    if ":" in spec:
        arch, pretrained = spec.split(":", 1)
        return arch, pretrained, None
    if os.path.sep in spec or spec.startswith("."):
        raise ModelLoadError(f"image model path {spec!r} does not exist")
    return spec, None, None
