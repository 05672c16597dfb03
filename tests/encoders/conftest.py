"""Shared fixtures: the tiny RANDOM-WEIGHT demo models, built once per test session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def text_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    from encoders.demo_models import build_demo_text_model

    return build_demo_text_model(tmp_path_factory.mktemp("demo_text"))


@pytest.fixture(scope="session")
def clip_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    from encoders.demo_models import build_demo_clip_model

    return build_demo_clip_model(tmp_path_factory.mktemp("demo_clip"))


@pytest.fixture(scope="session")
def text_encoder(text_model_dir: str):
    from encoders.text import SentenceTransformerEncoder

    return SentenceTransformerEncoder(text_model_dir, device="cpu", token_budget=256)


@pytest.fixture(scope="session")
def image_encoder(clip_model: tuple[str, str]):
    from encoders.clip import OpenClipImageEncoder

    arch, checkpoint = clip_model
    return OpenClipImageEncoder(arch, checkpoint=checkpoint, device="cpu", batch_size=4)
