"""Source adapters: read a marketplace dataset in its own layout into the canonical tables.

``read_source(fmt, path, **options)`` returns ``SourceTables`` with ``items`` (exactly
ITEMS_SCHEMA), ``pairs`` (PAIRS_SCHEMA, maybe empty), ``source_embeddings``
(SOURCE_EMBEDDINGS_SCHEMA, maybe empty) and ``stats`` (rows read, rows skipped and why, values that
did not parse, nulls per column). ``SOURCE_FORMATS`` lists the format names. Each format lives in
its own module with a ``read(path, **options)`` function; see their docstrings for file layouts and
options.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from featurestore.sources._common import SourceFormatError, SourceStats, SourceTables

#: Format name -> module implementing it.
_MODULES = {
    "canonical": "featurestore.sources.canonical",
    "avito_dups": "featurestore.sources.avito_dups",
    "ozon": "featurestore.sources.ozon",
    "kazanexpress": "featurestore.sources.kazanexpress",
    "avito_demand": "featurestore.sources.avito_demand",
}
SOURCE_FORMATS: tuple[str, ...] = tuple(_MODULES)


def read_source(fmt: str, path: str | Path, **options: object) -> SourceTables:
    """Read the source at ``path`` (a file or a folder of the format's files) as canonical tables."""
    if fmt not in _MODULES:
        raise ValueError(f"unknown source format {fmt!r}; known: {', '.join(SOURCE_FORMATS)}")
    module = importlib.import_module(_MODULES[fmt])
    return module.read(Path(path), **options)


__all__ = ["SOURCE_FORMATS", "SourceFormatError", "SourceStats", "SourceTables", "read_source"]
