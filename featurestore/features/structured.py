"""Pairwise structured features: category paths, attribute dicts, price, seller / city / region,
and the difference in homoglyph-broken word shares from textclean.

Everything is precomputed per item as integer codes or sparse rows, then compared per chunk with
numpy gathers; attribute values on shared keys are compared with rapidfuzz's cpdist.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp
from rapidfuzz import fuzz, process

from featurestore.features.inputs import parse_attributes
from featurestore.features.pairtext import _div
from featurestore.features.specs import CATEGORY_LEVELS

FUZZY_VALUE_THRESHOLD = 80.0


def _codes(s: pl.Series) -> np.ndarray:
    """Dense integer codes of a string Series, -1 for null."""
    return (s.cast(pl.String).rank("dense").fill_null(0).cast(pl.Int64) - 1).to_numpy()


def _float(items: pl.DataFrame, name: str) -> np.ndarray:
    if name not in items.columns:
        return np.full(items.height, np.nan)
    return items[name].cast(pl.Float64).fill_null(np.nan).to_numpy()


def _eq(codes: np.ndarray, r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
    a, b = codes[r1], codes[r2]
    out = (a == b).astype(np.float64)
    out[(a < 0) | (b < 0)] = np.nan
    return out


class StructuredIndex:
    """Per-item codes and matrices for the structured groups (built once per items table)."""

    def __init__(self, items: pl.DataFrame):
        self.items = items
        n = items.height
        # category: code of each path prefix, per level (-1: path shorter than the level)
        if "category_path" in items.columns:
            paths = items["category_path"].cast(pl.List(pl.String))
            self.depth = paths.list.len().fill_null(0).to_numpy()
            max_depth = int(self.depth.max()) if n else 0
        else:
            paths, self.depth, max_depth = None, np.zeros(n, dtype=np.int64), 0
        self.prefix_codes = []
        for lvl in range(1, max(max_depth, max(CATEGORY_LEVELS)) + 1):
            if paths is None or lvl > max_depth:
                self.prefix_codes.append(np.full(n, -1, dtype=np.int64))
                continue
            prefix = pl.select(
                pl.when(paths.list.len() >= lvl)
                .then(paths.list.head(lvl).list.join("\x1f"))
                .otherwise(None)
            ).to_series()
            self.prefix_codes.append(_codes(prefix))
        leaf = paths.list.last() if paths is not None else pl.Series([None] * n, dtype=pl.String)
        self.leaf = _codes(leaf)
        self.same = {
            c: _codes(items[src]) if src in items.columns else np.full(n, -1, dtype=np.int64)
            for c, src in (("seller", "seller_id"), ("city", "city"), ("region", "region"))
        }
        self.price = _float(items, "price")
        self.broken = {
            "title": _float(items, "title_broken_share"),
            "desc": _float(items, "description_broken_share"),
        }
        self._attrs = None
        self.parsed_attributes = None  # parse_attributes(items), when the caller has it

    # -- attributes -------------------------------------------------------------------------
    def _attr_index(self):
        if self._attrs is not None:
            return self._attrs
        n = self.items.height
        long = self.parsed_attributes if self.parsed_attributes is not None else None
        long = parse_attributes(self.items) if long is None else long
        has = np.zeros(n, dtype=bool)
        has[long["row"].to_numpy()] = True
        key_id = (long["key"].rank("dense") - 1).cast(pl.Int64).to_numpy()
        values = long["value"].unique().sort()
        val_id = long.select(pl.col("value").rank("dense") - 1)["value"].cast(pl.Int64).to_numpy()
        rows = long["row"].to_numpy().astype(np.int64)
        n_keys = int(key_id.max()) + 1 if len(key_id) else 1
        keys = sp.csr_matrix((np.ones(len(rows)), (rows, key_id)), shape=(n, n_keys))
        keys.sum_duplicates()
        keys.sort_indices()
        # value id + 1 stored at (row, key): sparse products with the shared-key pattern keep it
        vals = sp.csr_matrix((val_id + 1.0, (rows, key_id)), shape=(n, n_keys))
        vals.sort_indices()
        # key informativeness within a leaf category: log(1 + distinct values)
        cat = self.leaf[rows]
        w = (
            pl.DataFrame({"cat": cat, "key": key_id, "val": val_id})
            .group_by("cat", "key")
            .agg(pl.col("val").n_unique().alias("nv"))
        )
        combo = w["cat"].to_numpy() * n_keys + w["key"].to_numpy()
        order = np.argsort(combo)
        self._attrs = dict(
            has=has,
            keys=keys,
            vals=vals,
            values=np.asarray(values.to_list(), dtype=object),
            n_keys=n_keys,
            w_combo=combo[order],
            w_value=np.log1p(w["nv"].to_numpy()[order].astype(np.float64)),
        )
        return self._attrs

    def _attributes(self, r1: np.ndarray, r2: np.ndarray) -> dict[str, np.ndarray]:
        ai = self._attr_index()
        m = len(r1)
        ka, kb = ai["keys"][r1], ai["keys"][r2]
        shared = ka.multiply(kb).tocsr()
        shared.sort_indices()
        n_shared = np.diff(shared.indptr).astype(np.float64)
        size_a = np.diff(ka.indptr).astype(np.float64)
        size_b = np.diff(kb.indptr).astype(np.float64)
        both = ai["has"][r1] & ai["has"][r2]
        jacc = _div(n_shared, size_a + size_b - n_shared)
        va = ai["vals"][r1].multiply(shared).tocsr()
        vb = ai["vals"][r2].multiply(shared).tocsr()
        va.sort_indices()
        vb.sort_indices()
        # same sparsity pattern as `shared` (values are >= 1), so data arrays line up
        ida = va.data.astype(np.int64) - 1
        idb = vb.data.astype(np.int64) - 1
        rows = np.repeat(np.arange(m), np.diff(shared.indptr))
        exact = (ida == idb).astype(np.float64)
        if len(ida):
            fz = process.cpdist(
                ai["values"][ida].tolist(), ai["values"][idb].tolist(), scorer=fuzz.ratio
            )
            fuzzy = (np.asarray(fz) >= FUZZY_VALUE_THRESHOLD).astype(np.float64)
        else:
            fuzzy = np.zeros(0)
        combo = self.leaf[r1][rows] * ai["n_keys"] + shared.indices
        pos = np.searchsorted(ai["w_combo"], combo)
        pos = np.minimum(pos, max(len(ai["w_combo"]) - 1, 0))
        found = (len(ai["w_combo"]) > 0) & (ai["w_combo"][pos] == combo) if len(combo) else combo
        weight = np.where(found, ai["w_value"][pos] if len(combo) else 0.0, 0.0)
        n_exact = np.bincount(rows, weights=exact, minlength=m)
        n_fuzzy = np.bincount(rows, weights=fuzzy, minlength=m)
        w_exact = np.bincount(rows, weights=weight * exact, minlength=m)
        w_total = np.bincount(rows, weights=weight, minlength=m)
        out = {
            "attr_key_jaccard": jacc,
            "attr_shared_keys": n_shared,
            "attr_value_exact_share": _div(n_exact, n_shared),
            "attr_value_fuzzy_share": _div(n_fuzzy, n_shared),
            "attr_value_exact_weighted": _div(w_exact, w_total),
        }
        for v in out.values():
            v[~both] = np.nan
        return out

    # -- dispatch ---------------------------------------------------------------------------
    def features(self, group: str, r1: np.ndarray, r2: np.ndarray) -> dict[str, np.ndarray]:
        if group == "broken":
            return {
                f"{f}_broken_share_absdiff": np.abs(v[r1] - v[r2]) for f, v in self.broken.items()
            }
        if group == "category":
            out = {}
            common = np.zeros(len(r1))
            for lvl, codes in enumerate(self.prefix_codes, start=1):
                eq = _eq(codes, r1, r2)
                common += np.nan_to_num(eq, nan=0.0)
                if lvl in CATEGORY_LEVELS:
                    out[f"cat_match_l{lvl}"] = eq
            no_path = (self.depth[r1] == 0) | (self.depth[r2] == 0)
            common[no_path] = np.nan
            out["cat_common_depth"] = common
            return out
        if group == "attributes":
            return self._attributes(r1, r2)
        if group == "price":
            pa_, pb = self.price[r1], self.price[r2]
            hi = np.fmax(pa_, pb)
            ratio = _div(np.fmin(pa_, pb), np.where(hi > 0, hi, 0.0))
            ratio[np.isnan(pa_) | np.isnan(pb)] = np.nan
            with np.errstate(invalid="ignore"):
                logd = np.abs(np.log1p(pa_) - np.log1p(pb))
            return {"price_ratio": ratio, "price_log_absdiff": logd}
        if group == "same":
            return {f"same_{k}": _eq(c, r1, r2) for k, c in self.same.items()}
        raise ValueError(f"unknown feature group {group!r}")
