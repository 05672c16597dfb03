"""Pairwise features, streamed in chunks: the public ``pair_features`` entry point.

Handling of bad input (documented behaviour):

* Pairs naming item ids absent from ``items``: ``on_unknown="error"`` (default) raises ValueError
  with the count and up to five examples; ``on_unknown="drop"`` drops them and counts them in
  ``stats.unknown_dropped``.
* Duplicate pairs (the same ordered (item_id_1, item_id_2) more than once): only the first is kept;
  the rest are counted in ``stats.duplicate_pairs``. (a, b) and (b, a) are different pairs.
* Self pairs (item_id_1 == item_id_2): kept (their features are well defined: identical texts) and
  counted in ``stats.self_pairs`` so the pipeline can flag them.
* Duplicate item ids in ``items``: ValueError (a pair could not say which card it means).

Memory: per-item indexes (sparse matrices over distinct texts, vectors) are built once and are
O(items); per chunk, work arrays are O(chunk_rows), so any number of pairs streams in bounded memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cached_property

import numba
import numpy as np
import polars as pl
import pyarrow as pa

from featurestore.features import pairtext
from featurestore.features.inputs import field_texts, parse_attributes
from featurestore.features.specs import TEXT_FIELDS, Row, pair_rows
from featurestore.features.text import FieldIndex
from featurestore.features.vectors import SpaceIndex, embedding_features

_TEXT_GROUPS_WANTED = {"char_ngrams", "word_ngrams", "lcs", "fuzzy"}  # take the wanted-name set


@dataclass
class PairStats:
    """Counts for the pipeline's run metadata."""

    rows_in: int = 0
    rows_out: int = 0
    unknown_dropped: int = 0
    self_pairs: int = 0
    duplicate_pairs: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def pair_feature_schema(feature_set: str = "full", spaces=()) -> pa.Schema:
    """Arrow schema of a pair-feature chunk: ids, label, then float32 features in spec order."""
    fields = [
        pa.field("item_id_1", pa.string(), nullable=False),
        pa.field("item_id_2", pa.string(), nullable=False),
        pa.field("label", pa.int8()),
    ]
    fields += [pa.field(r.name, pa.float32()) for r in pair_rows(feature_set, spaces)]
    return pa.schema(fields, metadata={"cardfeatures.feature_set": feature_set})


class _Context:
    """Per-items-table state shared by all chunks; indexes are built on first use."""

    def __init__(self, items: pl.DataFrame, vectors: dict[str, pl.DataFrame], workers: int):
        self.items = items
        self.vectors = vectors
        self.workers = workers
        self._fields: dict[str, FieldIndex] = {}
        self._spaces: dict[str, SpaceIndex] = {}
        self._structured = None
        self.seconds: dict[str, float] = {}  # wall time per feature group (index builds included)

    def timed(self, group: str, t0: float) -> None:
        self.seconds[group] = self.seconds.get(group, 0.0) + time.perf_counter() - t0

    @cached_property
    def attributes(self) -> pl.DataFrame:
        """The items' attribute JSON parsed once (text field "attrs" and structured features)."""
        return parse_attributes(self.items)

    def field(self, f: str) -> FieldIndex:
        if f not in self._fields:
            attrs = self.attributes if f == "attrs" else None
            self._fields[f] = FieldIndex(field_texts(self.items, f, attrs))
        return self._fields[f]

    def space(self, s: str) -> SpaceIndex:
        if s not in self._spaces:
            self._spaces[s] = SpaceIndex(self.items["item_id"], self.vectors[s])
        return self._spaces[s]

    def structured(self):
        if self._structured is None:
            from featurestore.features.structured import StructuredIndex

            self._structured = StructuredIndex(self.items)
            self._structured.parsed_attributes = self.attributes
        return self._structured


def _text_field(row: Row) -> str | None:
    prefix = row.name.split("_", 1)[0]
    return prefix if prefix in TEXT_FIELDS and row.group != "broken" else None


def _distinct_doc_pairs(ix: FieldIndex, r1: np.ndarray, r2: np.ndarray) -> tuple:
    """(pairs with a document on both sides, inverse map, distinct (doc, doc) pairs u1, u2).

    Each distinct (document, document) pair is scored once: re-listed cards repeat texts.
    """
    d1, d2 = ix.doc_of_item[r1], ix.doc_of_item[r2]
    ok = np.flatnonzero((d1 >= 0) & (d2 >= 0))
    n = max(ix.n_docs, 1)
    combo, inverse = np.unique(d1[ok] * n + d2[ok], return_inverse=True)
    return ok, inverse, combo // n, combo % n


def compute_chunk(ctx: _Context, rows: list[Row], r1: np.ndarray, r2: np.ndarray) -> dict:
    """All wanted features for pairs of item rows (r1[i], r2[i]) -> {name: float64 array}."""
    m = len(r1)
    numba.set_num_threads(max(1, min(ctx.workers, numba.config.NUMBA_NUM_THREADS)))
    wanted = {r.name for r in rows}
    out: dict[str, np.ndarray] = {}
    text_groups: dict[tuple[str, str], None] = {}
    other_groups: dict[str, None] = {}
    for r in rows:
        f = _text_field(r)
        if f is not None:
            text_groups[(f, r.group)] = None
        else:
            other_groups[r.group] = None
    doc_pairs: dict[str, tuple] = {}
    for f, group in text_groups:
        t0 = time.perf_counter()
        ix = ctx.field(f)
        if f not in doc_pairs:  # once per field and chunk, shared by the field's groups
            doc_pairs[f] = _distinct_doc_pairs(ix, r1, r2)
        ok, inverse, u1, u2 = doc_pairs[f]
        fn = getattr(pairtext, group) if group != "units" else None
        if group == "units":
            from featurestore.features.units import units_features

            res = units_features(ix, f, u1, u2)
        elif group in _TEXT_GROUPS_WANTED:
            res = fn(ix, f, u1, u2, ctx.workers, wanted)
        else:
            res = fn(ix, f, u1, u2, ctx.workers)
        for name, vals in res.items():
            col = np.full(m, np.nan)
            col[ok] = np.asarray(vals)[inverse]
            out[name] = col
        ctx.timed(group, t0)
    for group in other_groups:
        t0 = time.perf_counter()
        if group == "embeddings":
            for space in ctx.vectors:
                out.update(embedding_features(space, ctx.space(space), r1, r2, wanted))
        else:
            out.update(ctx.structured().features(group, r1, r2))
        ctx.timed(group, t0)
    return out


class PairFeatureStream(Iterator[pa.Table]):
    """Iterator of pa.Table chunks with ``schema``, ``specs`` and ``stats`` attached.

    Validation (unknown ids, duplicates) happens at construction, so errors surface at the call,
    and ``stats`` is complete before the first chunk.
    """

    def __init__(
        self,
        items: pl.DataFrame,
        pairs: pl.DataFrame,
        vectors: dict[str, pl.DataFrame] | None,
        feature_set: str,
        chunk_rows: int,
        on_unknown: str,
        workers: int,
    ):
        if on_unknown not in ("error", "drop"):
            raise ValueError(f"on_unknown must be 'error' or 'drop', got {on_unknown!r}")
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be >= 1")
        vectors = {k: v for k, v in (vectors or {}).items() if v is not None}
        self.spaces = tuple(sorted(vectors))
        self.rows = pair_rows(feature_set, self.spaces)
        self.schema = pair_feature_schema(feature_set, self.spaces)
        self.feature_set = feature_set
        self.stats = PairStats(rows_in=pairs.height)
        self._pairs = self._validate(items, pairs, on_unknown)
        self.stats.rows_out = self._pairs.height
        self._ctx = _Context(items, vectors, workers)
        self._chunk_rows = chunk_rows
        self._offset = 0

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent so far per feature group (text groups include their index builds)."""
        return dict(sorted(self._ctx.seconds.items(), key=lambda kv: -kv[1]))

    @property
    def specs(self):
        from featurestore.features.specs import feature_specs

        return feature_specs(self.feature_set, self.spaces)

    def _validate(self, items: pl.DataFrame, pairs: pl.DataFrame, on_unknown: str) -> pl.DataFrame:
        for col in ("item_id_1", "item_id_2"):
            if col not in pairs.columns:
                raise ValueError(f"pairs: missing required column {col!r}")
        if "item_id" not in items.columns:
            raise ValueError("items: missing required column 'item_id'")
        ids = items["item_id"].cast(pl.String)
        if ids.is_duplicated().any():
            dup = ids.filter(ids.is_duplicated()).unique().head(5).to_list()
            raise ValueError(f"items: column 'item_id' has duplicate ids, e.g. {dup}")
        label = pl.lit(None, pl.Int8)
        if "label" in pairs.columns:
            label = pl.col("label")
            if pairs.schema["label"].is_float():  # pandas' int column with gaps: NaN = unknown
                label = label.fill_nan(None)
            wrong = pairs.select(label.cast(pl.Float64, strict=False)).with_row_index("row")
            wrong = wrong.filter(pl.col("label").is_not_null() & ~pl.col("label").is_in([0.0, 1.0]))
            if wrong.height:
                row, value = wrong.row(0)
                raise ValueError(
                    f"pairs: column 'label' must be 1, 0 or null; row {row} holds {value} "
                    f"({wrong.height} rows hold other values)"
                )
            label = label.cast(pl.Int8)
        p = pairs.select(
            pl.col("item_id_1").cast(pl.String),
            pl.col("item_id_2").cast(pl.String),
            label.alias("label"),
        ).with_row_index("pair_row")
        lookup = pl.DataFrame({"item_id": ids}).with_row_index("r")
        p = p.join(
            lookup.rename({"item_id": "item_id_1", "r": "r1"}),
            on="item_id_1",
            how="left",
            maintain_order="left",
        ).join(
            lookup.rename({"item_id": "item_id_2", "r": "r2"}),
            on="item_id_2",
            how="left",
            maintain_order="left",
        )
        unknown = p.filter(pl.col("r1").is_null() | pl.col("r2").is_null())
        if unknown.height:
            if on_unknown == "error":
                ex = unknown.head(5)
                examples = [
                    f"row {row}: ({a}, {b})"
                    for row, a, b in zip(
                        ex["pair_row"], ex["item_id_1"], ex["item_id_2"], strict=True
                    )
                ]
                raise ValueError(
                    f"pairs: {unknown.height} rows name item ids not in items "
                    f"(columns item_id_1/item_id_2), e.g. {examples}; pass on_unknown='drop' to "
                    "drop and count them"
                )
            self.stats.unknown_dropped = unknown.height
            p = p.filter(pl.col("r1").is_not_null() & pl.col("r2").is_not_null())
        # from here on a pair is two item row numbers (ids are gathered back per chunk): 9 bytes
        # a pair instead of two strings, which matters for millions of pairs
        p = p.select(pl.col("r1").cast(pl.UInt32), pl.col("r2").cast(pl.UInt32), "label")
        before = p.height
        p = p.unique(["r1", "r2"], keep="first", maintain_order=True)
        self.stats.duplicate_pairs = before - p.height
        self.stats.self_pairs = int((p["r1"] == p["r2"]).sum())
        self._item_ids = ids
        return p

    def __iter__(self) -> PairFeatureStream:
        return self

    def __next__(self) -> pa.Table:
        if self._offset >= self._pairs.height:
            raise StopIteration
        chunk = self._pairs.slice(self._offset, self._chunk_rows)
        self._offset += self._chunk_rows
        r1 = chunk["r1"].to_numpy().astype(np.int64)
        r2 = chunk["r2"].to_numpy().astype(np.int64)
        feats = compute_chunk(self._ctx, self.rows, r1, r2)
        arrays = [
            self._item_ids.gather(chunk["r1"]).to_arrow(),
            self._item_ids.gather(chunk["r2"]).to_arrow(),
            chunk["label"].to_arrow(),
        ]
        for r in self.rows:
            arrays.append(pa.array(feats[r.name].astype(np.float32), type=pa.float32()))
        arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
        return pa.Table.from_arrays(
            [a.cast(f.type) for a, f in zip(arrays, self.schema, strict=True)], schema=self.schema
        )


def pair_features(
    items: pl.DataFrame,
    pairs: pl.DataFrame,
    vectors: dict[str, pl.DataFrame] | None = None,
    *,
    feature_set: str = "full",
    chunk_rows: int = 100_000,
    on_unknown: str = "error",
    workers: int = 2,
) -> PairFeatureStream:
    """Stream pairwise features as pa.Table chunks of at most ``chunk_rows`` rows.

    Output columns: item_id_1, item_id_2, label, then the features of ``feature_set`` in catalogue
    order (see ``pair_feature_schema``). Embedding features exist for the spaces present in
    ``vectors``. The returned iterator carries ``.schema``, ``.specs`` and ``.stats``.
    ``workers`` is the thread count for rapidfuzz's cpdist and the compiled kernels.
    """
    return PairFeatureStream(items, pairs, vectors, feature_set, chunk_rows, on_unknown, workers)


def compute_pair_features(
    items: pl.DataFrame,
    pairs: pl.DataFrame,
    vectors: dict[str, pl.DataFrame] | None = None,
    **kwargs,
) -> pl.DataFrame:
    """All chunks of ``pair_features`` as one polars DataFrame (convenience for small inputs)."""
    stream = pair_features(items, pairs, vectors, **kwargs)
    tables = list(stream)
    table = pa.concat_tables(tables) if tables else stream.schema.empty_table()
    return pl.from_arrow(table)
