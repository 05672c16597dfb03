"""Numbers with units: extraction, normalisation to a base unit, pairwise matches and conflicts.

"500 мл" and "0,5 л" both become ("volume", 500 ml); "1 кг" and "1000 г" both ("mass", 1000 g).
Extraction runs once per field over its distinct documents, as one regex pass in polars; the
pairwise counts are sparse row products like every other set feature.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import scipy.sparse as sp

from featurestore.features.text import FieldIndex

#: unit spelling (lower case) -> (dimension, factor to the base unit)
UNITS: dict[str, tuple[str, float]] = {
    # volume, base ml
    "мл": ("volume", 1.0),
    "ml": ("volume", 1.0),
    "л": ("volume", 1000.0),
    "l": ("volume", 1000.0),
    "литр": ("volume", 1000.0),
    "литра": ("volume", 1000.0),
    "литров": ("volume", 1000.0),
    # mass, base g
    "мг": ("mass", 0.001),
    "mg": ("mass", 0.001),
    "г": ("mass", 1.0),
    "гр": ("mass", 1.0),
    "g": ("mass", 1.0),
    "грамм": ("mass", 1.0),
    "кг": ("mass", 1000.0),
    "kg": ("mass", 1000.0),
    # length, base mm
    "мм": ("length", 1.0),
    "mm": ("length", 1.0),
    "см": ("length", 10.0),
    "cm": ("length", 10.0),
    "м": ("length", 1000.0),
    "m": ("length", 1000.0),
    # digital memory, base MB (binary multiples, as sellers use them)
    "мб": ("memory", 1.0),
    "mb": ("memory", 1.0),
    "гб": ("memory", 1024.0),
    "gb": ("memory", 1024.0),
    "тб": ("memory", 1048576.0),
    "tb": ("memory", 1048576.0),
    # power, base W
    "вт": ("power", 1.0),
    "w": ("power", 1.0),
    "квт": ("power", 1000.0),
    "kw": ("power", 1000.0),
    # battery capacity, base mAh
    "мач": ("charge", 1.0),
    "mah": ("charge", 1.0),
    # frequency, base Hz
    "гц": ("frequency", 1.0),
    "hz": ("frequency", 1.0),
    "мгц": ("frequency", 1e6),
    "mhz": ("frequency", 1e6),
    "ггц": ("frequency", 1e9),
    "ghz": ("frequency", 1e9),
    # voltage ("в" alone is the Russian preposition, so only unambiguous spellings)
    "v": ("voltage", 1.0),
    "вольт": ("voltage", 1.0),
    # screen size
    "дюйм": ("inch", 1.0),
    "дюймов": ("inch", 1.0),
    "дюйма": ("inch", 1.0),
    # pieces
    "шт": ("count", 1.0),
    "pcs": ("count", 1.0),
}
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
#: A quantity: a number not preceded by a word character, '.' or ',' (so not the tail of ``x1`` or
#: ``1.2.3``), at most one whitespace, a unit spelling not followed by a word character. polars'
#: regex engine has no look-around, so the left boundary is matched (start or one other
#: character) and the character after the unit is captured: a match with a non-empty third group
#: is not a quantity (``5литрах``). Units are tried longest first, so a shorter unit never wins
#: where a longer one fits (and a shorter one is followed by a letter of the longer one anyway).
QUANTITY_PATTERN = rf"(?:^|[^\w.,])(\d+(?:[.,]\d+)?)\s?({_UNIT_ALT})(\w?)"
_DIM_FACTOR = pl.DataFrame(
    {
        "unit": list(UNITS),
        "dim": [d for d, _ in UNITS.values()],
        "factor": [f for _, f in UNITS.values()],
    }
)


def quantities(texts: pl.Series, *, lowered: bool = False) -> pl.DataFrame:
    """Distinct (row, dimension, value in base unit) of each text; value rounded to 6 significant
    digits, so ``0,5 л`` and ``500 мл`` give the same value. Texts are matched lower-cased
    (``lowered=True``: they are already, skip that pass).

    One regex pass in polars over the whole column, no Python loop over texts.
    """
    texts = texts.cast(pl.String)
    found = (
        pl.DataFrame({"t": texts if lowered else texts.str.to_lowercase()})
        .with_row_index("row")
        .select("row", m=pl.col("t").str.extract_all(QUANTITY_PATTERN))
        .explode("m")
        .drop_nulls("m")
    )
    groups = found["m"].str.extract_groups(QUANTITY_PATTERN)
    found = (
        found.select("row")
        .with_columns(
            num=groups.struct.field("1"),
            unit=groups.struct.field("2"),
            tail=groups.struct.field("3"),
        )
        .filter(pl.col("tail") == "")
        .join(_DIM_FACTOR, on="unit", how="left")
    )
    # the regex's \d is any Unicode decimal digit ("５００", "٣٤"), which polars' cast rejects:
    # Python's float reads them all, once per distinct number string
    nums = found["num"].unique().drop_nulls()
    parsed = pl.DataFrame(
        {"num": nums, "x": [float(v.replace(",", ".")) for v in nums.to_list()]},
        schema={"num": pl.String, "x": pl.Float64},
    )
    found = (
        found.join(parsed, on="num", how="left", maintain_order="left")
        .select(pl.col("row").cast(pl.Int64), "dim", raw=pl.col("x") * pl.col("factor"))
        .drop_nulls()
    )
    # 6 significant digits as Python's "%.6g" rounds (correctly rounded decimal), done once per
    # distinct value: polars' round_sig_figs differs in the last bit for some values
    raw = found["raw"].unique()
    rounded = pl.DataFrame(
        {"raw": raw, "value": [float(f"{v:.6g}") for v in raw.to_list()]},
        schema={"raw": pl.Float64, "value": pl.Float64},
    )
    return (
        found.join(rounded, on="raw", how="left", maintain_order="left")
        .select("row", "dim", "value")
        .unique(maintain_order=True)
    )


def extract_quantities(text: str | None) -> set[tuple[str, float]]:
    """Distinct (dimension, value in base unit) in one text (the scalar form of ``quantities``)."""
    if not text:
        return set()
    q = quantities(pl.Series([text], dtype=pl.String))
    return set(zip(q["dim"].to_list(), q["value"].to_list(), strict=True))


class _UnitSets:
    """Binary doc x quantity matrix and doc x dimension matrix for one field."""

    def __init__(self, ix: FieldIndex):
        q = quantities(pl.Series(ix.doc_text, dtype=pl.String), lowered=True)
        kinds = q.select("dim", "value").unique().sort("dim", "value").with_row_index("q")
        dims = kinds.select("dim").unique().sort("dim").with_row_index("d")
        kinds = kinds.join(dims, on="dim", how="left").sort("q")
        q = q.join(kinds, on=["dim", "value"], how="left")
        n_q, n_dim = max(kinds.height, 1), max(dims.height, 1)
        r = q["row"].to_numpy()
        q_id = q["q"].to_numpy().astype(np.int64)
        dim_id = q["d"].to_numpy().astype(np.int64)
        ones = np.ones(len(r))
        self.q = sp.csr_matrix((ones, (r, q_id)), shape=(ix.n_docs, n_q))
        self.q.sum_duplicates()
        self.q.data[:] = 1.0
        self.dim_of_q = np.zeros(n_q, dtype=np.int64)
        self.dim_of_q[: kinds.height] = kinds["d"].to_numpy()
        self.dims = sp.csr_matrix((ones, (r, dim_id)), shape=(ix.n_docs, n_dim))
        self.dims.sum_duplicates()
        self.dims.data[:] = 1.0
        self.n_dim = n_dim


def units_features(ix: FieldIndex, f: str, d1: np.ndarray, d2: np.ndarray) -> dict:
    us = ix.__dict__.get("_unit_sets")
    if us is None:
        us = ix.__dict__["_unit_sets"] = _UnitSets(ix)
    match = us.q[d1].multiply(us.q[d2]).tocsr()
    n_match = np.diff(match.indptr).astype(np.float64)
    # dimensions with at least one common value, per pair
    rows = np.repeat(np.arange(len(d1)), np.diff(match.indptr))
    matched_dims = np.unique(rows * us.n_dim + us.dim_of_q[match.indices])
    n_matched_dims = np.bincount(matched_dims // us.n_dim, minlength=len(d1))
    both_dims = np.diff(us.dims[d1].multiply(us.dims[d2]).tocsr().indptr)
    return {
        f"{f}_units_match": n_match,
        f"{f}_units_conflict": (both_dims - n_matched_dims).astype(np.float64),
    }
