"""Feature metadata: every stored feature column is described by a FeatureSpec."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FeatureSpec:
    """One feature column: what it is, its type, and which feature set and version own it."""

    name: str
    dtype: str  # Arrow type name as written to parquet, e.g. "float32"
    description: str
    feature_set: str
    version: str
    model_key: str | None = None  # the embedding model the value depends on, if any

    def as_row(self) -> dict:
        return asdict(self)
