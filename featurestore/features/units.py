"""Numbers with units: extraction, normalisation to a base unit, pairwise matches and conflicts.

"500 мл" and "0,5 л" both become ("volume", 500 ml); "1 кг" and "1000 г" both ("mass", 1000 g).
Extraction runs once per distinct document (a loop over distinct texts, not over pairs); the
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
_QUANTITY = re.compile(rf"(?<![\w.,])(\d+(?:[.,]\d+)?)\s?({_UNIT_ALT})(?!\w)", re.IGNORECASE)


def extract_quantities(text: str | None) -> set[tuple[str, float]]:
    """Distinct (dimension, value in base unit) in a text; value rounded to 6 significant digits."""
    if not text:
        return set()
    out = set()
    for num, unit in _QUANTITY.findall(text):
        dim, factor = UNITS[unit.lower()]
        value = float(num.replace(",", ".")) * factor
        out.add((dim, float(f"{value:.6g}")))
    return out


class _UnitSets:
    """Binary doc x quantity matrix and doc x dimension matrix for one field."""

    def __init__(self, ix: FieldIndex):
        rows, quantities = [], []
        for d, text in enumerate(ix.doc_text.tolist()):
            for q in extract_quantities(text):
                rows.append(d)
                quantities.append(f"{q[0]}:{q[1]!r}")
        qs = pl.Series(quantities, dtype=pl.String)
        q_id = (qs.rank("dense") - 1).cast(pl.Int64).to_numpy() if len(qs) else np.zeros(0, int)
        dims = qs.str.split(":").list.first()
        dim_id = (dims.rank("dense") - 1).cast(pl.Int64).to_numpy() if len(qs) else q_id
        n_q = int(q_id.max()) + 1 if len(q_id) else 1
        n_dim = int(dim_id.max()) + 1 if len(dim_id) else 1
        r = np.asarray(rows, dtype=np.int64)
        ones = np.ones(len(r))
        self.q = sp.csr_matrix((ones, (r, q_id)), shape=(ix.n_docs, n_q))
        self.q.sum_duplicates()
        self.q.data[:] = 1.0
        self.dim_of_q = np.zeros(n_q, dtype=np.int64)
        self.dim_of_q[q_id] = dim_id
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
