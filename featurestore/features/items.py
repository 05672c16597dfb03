"""Per-item features: lengths, counts, textclean repair statistics, price, category levels, and
embeddings joined in - one row per card, ready for a classifier or regressor.

Missing optional columns give null / NaN columns (never 0); the output schema is fixed by
``item_rows(spaces)``.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from featurestore.features.inputs import field_texts, parse_attributes
from featurestore.features.specs import CATEGORY_LEVELS, ITEMS, Row
from featurestore.features.tokens import tokenize_series

_REPAIR_STATS = ("words", "mixed_words", "repaired_words", "ambiguous_words", "broken_share")
_TEXT = {"title": "title", "desc": "description"}


def item_rows(spaces=()) -> list[Row]:
    """Catalogue rows of the "items" set, in output order (after item_id)."""
    s = (ITEMS,)
    rows = []
    for f, col in _TEXT.items():
        rows += [
            Row(
                f"{f}_len_chars",
                f"characters in {col} (cleaned when present); null if null",
                s,
                "len",
                True,
            ),
            Row(f"{f}_len_words", f"word tokens in {col}; null if null", s, "len", True),
        ]
    rows += [
        Row("n_photos", "number of image paths; null if the column is missing", s, "count", True),
        Row(
            "n_attributes", "number of attribute keys (0 when the JSON has none)", s, "count", True
        ),
    ]
    for col in _TEXT.values():
        for stat in _REPAIR_STATS:
            dtype = "float32"
            rows.append(
                Row(
                    f"{col}_{stat}",
                    f"textclean repair statistic {col}_{stat} (passed through)",
                    s,
                    "repair",
                    True,
                    dtype=dtype,
                )
            )
    rows += [
        Row("price", "price as given; NaN if missing", s, "price", True),
        Row("log_price", "log1p(price); NaN if missing", s, "price", True),
        Row("category_depth", "number of levels in category_path; null if missing", s, "cat", True),
    ]
    for lvl in CATEGORY_LEVELS:
        rows.append(
            Row(
                f"category_l{lvl}",
                f"category name at level {lvl}; null if shallower",
                s,
                "cat",
                True,
                dtype="string",
            )
        )
    for space in sorted(spaces):
        rows.append(
            Row(
                f"emb_{space}",
                f"'{space}' embedding (photo_index 0), float32 fixed-size list; null if none",
                s,
                "emb",
                True,
                dtype="fixed_size_list<float32>",
            )
        )
    return rows


def item_feature_schema(dims: dict[str, int]) -> pa.Schema:
    """Arrow schema of the "items" set: ``item_id``, then ``item_rows`` in order; ``dims`` gives
    each embedding space's vector width (the model's dimension)."""
    types = {"float32": pa.float32(), "string": pa.string()}
    fields = [pa.field("item_id", pa.string(), nullable=False)]
    for row in item_rows(tuple(dims)):
        if row.group == "emb":
            kind = pa.list_(pa.float32(), dims[row.name.removeprefix("emb_")])
        else:
            kind = types[row.dtype]
        fields.append(pa.field(row.name, kind))
    return pa.schema(fields, metadata={"cardfeatures.feature_set": ITEMS})


def item_features(items: pl.DataFrame, vectors=None, *, feature_set: str = ITEMS) -> pl.DataFrame:
    """One row per item: item_id then the columns of ``item_rows`` (see module docstring)."""
    if feature_set != ITEMS:
        raise ValueError(f"unknown item feature set {feature_set!r}; known: {ITEMS!r}")
    vectors = {k: v for k, v in (vectors or {}).items() if v is not None}
    n = items.height
    cols: dict[str, pl.Series] = {"item_id": items["item_id"].cast(pl.String)}
    for f in _TEXT:
        t = field_texts(items, f)
        cols[f"{f}_len_chars"] = t.str.len_chars().cast(pl.Float32)
        words = tokenize_series(t).list.len().cast(pl.Float32)  # a null text gives [] here
        cols[f"{f}_len_words"] = pl.select(
            pl.when(t.is_null()).then(None).otherwise(words)
        ).to_series()
    cols["n_photos"] = (
        items["image_paths"].list.len().cast(pl.Float32)
        if "image_paths" in items.columns
        else pl.Series([None] * n, dtype=pl.Float32)
    )
    attrs = parse_attributes(items).group_by("row").len()
    cols["n_attributes"] = (
        pl.DataFrame({"row": pl.int_range(n, eager=True)})
        .join(attrs, on="row", how="left", maintain_order="left")["len"]
        .fill_null(0)
        .cast(pl.Float32)
    )
    if "attributes" in items.columns:  # null attribute JSON: unknown, not 0
        cols["n_attributes"] = pl.select(
            pl.when(items["attributes"].is_null()).then(None).otherwise(cols["n_attributes"])
        ).to_series()
    else:
        cols["n_attributes"] = pl.Series([None] * n, dtype=pl.Float32)
    for col in _TEXT.values():
        for stat in _REPAIR_STATS:
            name = f"{col}_{stat}"
            cols[name] = (
                items[name].cast(pl.Float32)
                if name in items.columns
                else pl.Series([None] * n, dtype=pl.Float32)
            )
    price = (
        items["price"].cast(pl.Float64)
        if "price" in items.columns
        else pl.Series([None] * n, dtype=pl.Float64)
    )
    cols["price"] = price.cast(pl.Float32)
    cols["log_price"] = price.log1p().cast(pl.Float32)
    if "category_path" in items.columns:
        path = items["category_path"].cast(pl.List(pl.String))
        cols["category_depth"] = path.list.len().cast(pl.Float32)
        for lvl in CATEGORY_LEVELS:
            cols[f"category_l{lvl}"] = path.list.get(lvl - 1, null_on_oob=True)
    else:
        cols["category_depth"] = pl.Series([None] * n, dtype=pl.Float32)
        for lvl in CATEGORY_LEVELS:
            cols[f"category_l{lvl}"] = pl.Series([None] * n, dtype=pl.String)
    out = pl.DataFrame({k: v.alias(k) for k, v in cols.items()})
    for space in sorted(vectors):
        frame = vectors[space]
        if "photo_index" in frame.columns:
            frame = frame.filter(pl.col("photo_index") == 0)
        emb = frame["embedding"]
        width = emb.list.len().max() if isinstance(emb.dtype, pl.List) else emb.dtype.size
        emb = emb.cast(pl.Array(pl.Float32, int(width or 0)))
        vec = pl.DataFrame({"item_id": frame["item_id"].cast(pl.String), f"emb_{space}": emb})
        out = out.join(vec, on="item_id", how="left", maintain_order="left")
    return out
