"""Typed, configurable resources: the store, the source, the encoders and the homoglyph LM.

Defaults come from environment variables (see ``pipelines.settings``) so a deployment sets them once;
every field can also be overridden per run in the Dagster launchpad.
"""

from __future__ import annotations

import json
import os

import dagster as dg
from pydantic import Field, PrivateAttr

from pipelines.settings import Settings

SETTINGS = Settings.from_env()


class StoreResource(dg.ConfigurableResource):
    """The feature store root: a local folder or an object-store URL such as s3://bucket/prefix."""

    root: str = Field(default=SETTINGS.store, description="Store root path or URL.")

    def open(self):
        from featurestore.store import FeatureStore

        return FeatureStore(self.root)


class SourceResource(dg.ConfigurableResource):
    """Where raw parquet lands and in which source format: ``<landing>/<snapshot>/`` per snapshot."""

    landing: str = Field(default=SETTINGS.landing, description="Landing folder of raw parquet.")
    format: str = Field(
        default=SETTINGS.source_format,
        description="Source adapter: canonical, avito_dups, ozon, kazanexpress, avito_demand.",
    )
    options_json: str = Field(default="{}", description="Adapter options as a JSON object.")

    def snapshot_path(self, snapshot: str) -> str:
        return os.path.join(self.landing, snapshot)

    def options(self) -> dict:
        return json.loads(self.options_json or "{}")


class TextEncoderResource(dg.ConfigurableResource):
    """A sentence-transformers model by Hugging Face id or local path."""

    model: str = Field(default=SETTINGS.text_model, description="HF id or local path.")
    revision: str = Field(default="", description="Model revision (git tag/commit) to pin.")
    device: str = Field(default=SETTINGS.device, description="cpu, cuda, cuda:N or auto.")
    precision: str = Field(default="auto", description="auto, fp32, fp16 or bf16.")
    token_budget: int = Field(default=16384, description="Padded tokens per batch.")
    prefix: str = Field(default="", description="Text prefix, e.g. 'passage: ' for e5 models.")

    _encoder = PrivateAttr(default=None)

    def load(self):
        """The encoder, loaded once per process (a clear ModelLoadError if it cannot be)."""
        if self._encoder is None:
            from encoders.text import SentenceTransformerEncoder

            self._encoder = SentenceTransformerEncoder(
                self.model,
                revision=self.revision or None,
                device=self.device,
                precision=self.precision,
                token_budget=self.token_budget,
                prefix=self.prefix,
            )
        return self._encoder


class ImageEncoderResource(dg.ConfigurableResource):
    """An open_clip image tower: ``ARCH[:PRETRAINED]``, ``hf-hub:ORG/NAME``, or a local folder."""

    model: str = Field(default=SETTINGS.image_model, description="open_clip model spec or path.")
    device: str = Field(default=SETTINGS.device, description="cpu, cuda, cuda:N or auto.")
    precision: str = Field(default="auto", description="auto, fp32, fp16 or bf16.")
    batch_size: int = Field(default=64, description="Images per batch.")
    workers: int = Field(default=2, description="DataLoader workers decoding images.")

    _encoder = PrivateAttr(default=None)

    def load(self):
        if self._encoder is None:
            from encoders.clip import OpenClipImageEncoder
            from encoders.specs import parse_model_spec

            arch, pretrained, checkpoint = parse_model_spec(self.model)
            self._encoder = OpenClipImageEncoder(
                arch,
                pretrained,
                checkpoint=checkpoint,
                device=self.device,
                precision=self.precision,
                batch_size=self.batch_size,
                workers=self.workers,
            )
        return self._encoder


class HomoglyphLMResource(dg.ConfigurableResource):
    """The character LM that scores homoglyph repairs: a fixed ARPA file, or trained per snapshot."""

    arpa: str = Field(
        default=SETTINGS.lm,
        description="ARPA file to use; empty trains one from the snapshot's own clean words.",
    )
    order: int = Field(default=5, description="n-gram order when training.")


class PipelineConfigResource(dg.ConfigurableResource):
    """Knobs of the feature assets."""

    feature_set: str = Field(
        default=SETTINGS.feature_set,
        description="Pair feature set: core, full or exhaustive (full + partial_ratio / WRatio on "
        "the description fields, 10-20x slower).",
    )
    max_mixed_rate: float = Field(
        default=0.02,
        description="Blocking check: largest share of words still mixed-script after repair.",
    )
    min_lm_words: int = Field(
        default=50,
        description="Blocking check: fewest distinct clean words to train the homoglyph LM on.",
    )
    drop_unknown_pairs: bool = Field(
        default=False, description="Drop pairs naming unknown items (else the run fails)."
    )


def default_resources(settings: Settings = SETTINGS) -> dict[str, dg.ConfigurableResource]:
    return {
        "store": StoreResource(root=settings.store),
        "source": SourceResource(landing=settings.landing, format=settings.source_format),
        "text_encoder": TextEncoderResource(model=settings.text_model, device=settings.device),
        "image_encoder": ImageEncoderResource(model=settings.image_model, device=settings.device),
        "homoglyph_lm": HomoglyphLMResource(arpa=settings.lm),
        "pipeline": PipelineConfigResource(feature_set=settings.feature_set),
    }


def embedding_code_versions(resources: dict) -> tuple[str, str]:
    """Code versions of the embedding assets, derived from what identifies each model.

    They change when the model id/path, revision or prefix changes, or the image decoding
    (``DECODE_VERSION``), so the UI shows the embedding assets (and everything downstream) as
    changed after a model switch or a decoding fix.
    """
    import hashlib

    from encoders.images import DECODE_VERSION

    def digest(*parts: str) -> str:
        return hashlib.blake2b("|".join(parts).encode(), digest_size=6).hexdigest()

    text, image = resources["text_encoder"], resources["image_encoder"]
    return (
        f"text-{digest(text.model, text.revision, text.prefix)}",
        f"image-{digest(image.model, DECODE_VERSION)}",
    )
