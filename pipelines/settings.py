"""Deployment settings, read once from environment variables, with defaults that run the demo.

| variable | meaning | default |
|---|---|---|
| CARDFEATURES_STORE | store root: local path or URL (s3://bucket/prefix) | ./demo_store |
| CARDFEATURES_LANDING | landing folder of raw parquet, one sub-folder per snapshot | <store>/landing |
| CARDFEATURES_SOURCE_FORMAT | source adapter for the landing folder | canonical |
| CARDFEATURES_SHARDS | hash shards per snapshot for the heavy assets | 2 |
| CARDFEATURES_START_DATE | first daily snapshot partition | 2026-11-01 |
| CARDFEATURES_TIMEZONE | time zone of the partitions and the nightly schedule | Europe/Moscow |
| CARDFEATURES_TEXT_MODEL | sentence-transformers id or local path | <store>/models/demo-text-encoder |
| CARDFEATURES_IMAGE_MODEL | open_clip ARCH[:PRETRAINED] or ARCH@CHECKPOINT | <store>/models/demo-clip |
| CARDFEATURES_DEVICE | cpu, cuda, cuda:N or auto | auto |
| CARDFEATURES_LM | ARPA file for homoglyph repair; empty = train one per snapshot | (empty) |
| CARDFEATURES_FEATURE_SET | pair feature set the pipeline writes: core, full or exhaustive | full |
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _check_date_and_zone() -> None:
    """A ValueError naming the variable for a start date or time zone Dagster would choke on."""
    import datetime
    import zoneinfo

    start = _env("CARDFEATURES_START_DATE", "2026-11-01")
    try:
        datetime.datetime.strptime(start, "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"CARDFEATURES_START_DATE={start!r} is not a YYYY-MM-DD date") from None
    zone = _env("CARDFEATURES_TIMEZONE", "Europe/Moscow")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"CARDFEATURES_TIMEZONE={zone!r} is not a known time zone") from None


def _absolute(path: str) -> str:
    return path if "://" in path else os.path.abspath(path)


@dataclass(frozen=True)
class Settings:
    store: str
    landing: str
    source_format: str
    shards: int
    start_date: str
    timezone: str
    text_model: str
    image_model: str
    device: str
    lm: str
    feature_set: str

    @classmethod
    def from_env(cls) -> Settings:
        store = _absolute(_env("CARDFEATURES_STORE", "demo_store"))
        _check_date_and_zone()
        return cls(
            store=store,
            landing=_absolute(_env("CARDFEATURES_LANDING", f"{store}/landing")),
            source_format=_env("CARDFEATURES_SOURCE_FORMAT", "canonical"),
            shards=int(_env("CARDFEATURES_SHARDS", "2")),
            start_date=_env("CARDFEATURES_START_DATE", "2026-11-01"),
            timezone=_env("CARDFEATURES_TIMEZONE", "Europe/Moscow"),
            text_model=_env("CARDFEATURES_TEXT_MODEL", f"{store}/models/demo-text-encoder"),
            image_model=_env("CARDFEATURES_IMAGE_MODEL", f"{store}/models/demo-clip"),
            device=_env("CARDFEATURES_DEVICE", "auto"),
            lm=_env("CARDFEATURES_LM", ""),
            feature_set=_env("CARDFEATURES_FEATURE_SET", "full"),
        )

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings in another process."""
        return {
            "CARDFEATURES_STORE": self.store,
            "CARDFEATURES_LANDING": self.landing,
            "CARDFEATURES_SOURCE_FORMAT": self.source_format,
            "CARDFEATURES_SHARDS": str(self.shards),
            "CARDFEATURES_START_DATE": self.start_date,
            "CARDFEATURES_TIMEZONE": self.timezone,
            "CARDFEATURES_TEXT_MODEL": self.text_model,
            "CARDFEATURES_IMAGE_MODEL": self.image_model,
            "CARDFEATURES_DEVICE": self.device,
            "CARDFEATURES_LM": self.lm,
            "CARDFEATURES_FEATURE_SET": self.feature_set,
        }
