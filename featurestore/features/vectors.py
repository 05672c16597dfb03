"""Embedding cosine features: one matrix of unit vectors per space, gathered by item row.

``vectors`` maps a space name to a frame (item_id, photo_index, embedding). Vectors are
re-normalised to unit length in float32 (stored ones are float16, so only approximately unit).
Photo pairs (max / mean over all a x b photos) are expanded in sub-batches of bounded size.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from featurestore.features.specs import PHOTO_SPACE

_MAX_PHOTO_PAIRS = 200_000  # photo-pair rows expanded at once (bounds memory)


def _matrix(frame: pl.DataFrame) -> np.ndarray:
    emb = frame["embedding"]
    if isinstance(emb.dtype, pl.List):
        width = emb.list.len().max() if len(emb) else 0
        emb = emb.list.to_array(int(width or 0))
    m = emb.to_numpy().astype(np.float32, copy=False).reshape(len(frame), -1)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


class SpaceIndex:
    """Unit vectors of one space; ``start``/``count`` give each item's rows (sorted by photo_index)."""

    def __init__(self, items_ids: pl.Series, frame: pl.DataFrame):
        rows = pl.DataFrame({"item_id": items_ids.cast(pl.String)}).with_row_index("row")
        f = (
            frame.select(
                pl.col("item_id").cast(pl.String),
                pl.col("photo_index").cast(pl.Int32)
                if "photo_index" in frame.columns
                else pl.lit(0, dtype=pl.Int32).alias("photo_index"),
                "embedding",
            )
            .join(rows, on="item_id", how="inner")
            .sort("row", "photo_index")
        )
        n_items = len(items_ids)
        self.vectors = _matrix(f)
        item_row = f["row"].to_numpy().astype(np.int64)
        self.count = np.bincount(item_row, minlength=n_items)
        self.start = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)
        # main vector: photo_index 0 (the first row of an item, when its index is 0)
        self.main = np.full(n_items, -1, dtype=np.int64)
        first = f["photo_index"].to_numpy() == 0
        self.main[item_row[first]] = np.flatnonzero(first)

    def main_cos(self, r1: np.ndarray, r2: np.ndarray) -> np.ndarray:
        m1, m2 = self.main[r1], self.main[r2]
        ok = (m1 >= 0) & (m2 >= 0)
        out = np.full(len(r1), np.nan)
        out[ok] = np.einsum("ij,ij->i", self.vectors[m1[ok]], self.vectors[m2[ok]])
        return out

    def all_pairs_cos(self, r1: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(max, mean) cosine over every photo of a x every photo of b; NaN if either has none."""
        ka, kb = self.count[r1], self.count[r2]
        mx = np.full(len(r1), np.nan)
        mean = np.full(len(r1), np.nan)
        ok = np.flatnonzero((ka > 0) & (kb > 0))
        sizes = ka[ok] * kb[ok]
        bounds = np.searchsorted(
            np.cumsum(sizes), np.arange(0, sizes.sum(), _MAX_PHOTO_PAIRS), "right"
        )
        bounds = np.unique(np.concatenate([bounds, [len(ok)]]))
        lo = 0
        for hi in bounds:
            if hi <= lo:
                continue
            sel = ok[lo:hi]
            n = ka[sel] * kb[sel]
            pid = np.repeat(np.arange(len(sel)), n)
            t = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
            ia = self.start[r1[sel]][pid] + t // kb[sel][pid]
            ib = self.start[r2[sel]][pid] + t % kb[sel][pid]
            cos = np.einsum("ij,ij->i", self.vectors[ia], self.vectors[ib]).astype(np.float64)
            offs = np.cumsum(n) - n
            mx[sel] = np.maximum.reduceat(cos, offs)
            mean[sel] = np.add.reduceat(cos, offs) / n
            lo = hi
        return mx, mean


def embedding_features(
    space: str, ix: SpaceIndex, r1, r2, wanted: set[str]
) -> dict[str, np.ndarray]:
    if space != PHOTO_SPACE:
        return {f"emb_{space}_cos": ix.main_cos(r1, r2)}
    out = {"emb_photo_main_cos": ix.main_cos(r1, r2)}
    if "emb_photo_max_cos" in wanted or "emb_photo_mean_cos" in wanted:
        out["emb_photo_max_cos"], out["emb_photo_mean_cos"] = ix.all_pairs_cos(r1, r2)
    return out
