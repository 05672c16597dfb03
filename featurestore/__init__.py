"""cardfeatures feature store: schemas, sources, feature definitions and the store itself.

``from featurestore import FeatureStore`` works; the import is lazy so that light users of this
package (``featurestore.storage``, ``featurestore.schemas``) do not pay for duckdb and polars.
"""

from __future__ import annotations

__all__ = ["FeatureStore"]


def __getattr__(name: str):
    if name == "FeatureStore":
        from featurestore.store import FeatureStore

        return FeatureStore
    raise AttributeError(f"module 'featurestore' has no attribute {name!r}")
