"""Fixtures for the pipeline tests: a tiny landed snapshot, demo models and an isolated instance."""

from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.settings import Settings

SNAPSHOT = "2026-11-01"


@pytest.fixture(scope="session")
def demo_models(tmp_path_factory) -> Path:
    """The tiny random-weight demo models, built once per test session."""
    from encoders.demo_models import build_demo_clip_model, build_demo_text_model

    models = tmp_path_factory.mktemp("models")
    build_demo_text_model(models / "demo-text-encoder")
    build_demo_clip_model(models / "demo-clip")
    return models


def land_demo(landing: Path, snapshot: str = SNAPSHOT, items: int = 40, seed: int = 3) -> Path:
    """Generate a tiny demo dataset into ``landing/<snapshot>`` and mark it ready."""
    from cardfeatures_data.demo import generate

    from pipelines.automation import READY_MARKER

    folder = landing / snapshot
    generate(folder, items=items, seed=seed, image_size=(48, 48))
    (folder / READY_MARKER).touch()
    return folder


@pytest.fixture
def pipeline_env(tmp_path, demo_models, monkeypatch) -> Settings:
    """Environment for one pipeline run: store, landing, models, Dagster home, 2 shards."""
    store = tmp_path / "store"
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {
        "CARDFEATURES_STORE": str(store),
        "CARDFEATURES_LANDING": str(tmp_path / "landing"),
        "CARDFEATURES_SHARDS": "2",
        "CARDFEATURES_TEXT_MODEL": str(demo_models / "demo-text-encoder"),
        "CARDFEATURES_IMAGE_MODEL": str(demo_models / "demo-clip"),
        "CARDFEATURES_DEVICE": "cpu",
        "DAGSTER_HOME": str(home),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


def with_shards(settings: Settings, shards: int, store: Path) -> Settings:
    return replace(settings, shards=shards, store=str(store))
