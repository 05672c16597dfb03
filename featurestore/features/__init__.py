"""Feature definitions: pairwise and per-item features over the canonical items / pairs tables.

Public API (see each function's docstring):

* ``pair_features(items, pairs, vectors=None, *, feature_set="full", chunk_rows=100_000,
  on_unknown="error", workers=2)`` -> iterator of pa.Table chunks (``.schema``, ``.specs``,
  ``.stats`` attached); ``compute_pair_features(...)`` -> one pl.DataFrame.
* ``pair_feature_schema(feature_set, spaces)`` -> the explicit Arrow schema of the chunks.
* ``item_features(items, vectors=None, *, feature_set="items")`` -> pl.DataFrame;
  ``item_feature_schema(dims)`` -> its explicit Arrow schema (``dims``: space -> vector width).
* ``feature_specs(feature_set, spaces=())`` -> list[FeatureSpec] for the registry.

Feature sets: "core" (small and fast: BM25, char 3-gram IoU, LCS on title and description, and
embedding cosines), "full" (the catalogue, with partial_ratio and WRatio on the short text fields
only) and "exhaustive" (full plus those two on the description fields too: 10-20x slower);
"items" for per-item features.
"""

from featurestore.features.pairs import (
    PairFeatureStream,
    PairStats,
    compute_pair_features,
    pair_feature_schema,
    pair_features,
)
from featurestore.features.specs import PAIR_SETS, feature_specs

__all__ = [
    "PAIR_SETS",
    "PairFeatureStream",
    "PairStats",
    "compute_pair_features",
    "feature_specs",
    "item_feature_schema",
    "item_features",
    "pair_feature_schema",
    "pair_features",
]


def item_features(items, vectors=None, *, feature_set: str = "items"):
    """Per-item features (see featurestore.features.items.item_features)."""
    from featurestore.features.items import item_features as _item_features

    return _item_features(items, vectors, feature_set=feature_set)


def item_feature_schema(dims: dict[str, int]):
    """Arrow schema of per-item features (see featurestore.features.items.item_feature_schema)."""
    from featurestore.features.items import item_feature_schema as _item_feature_schema

    return _item_feature_schema(dims)
