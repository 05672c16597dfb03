"""Pairwise text feature groups: each takes a FieldIndex and two arrays of document ids.

Every function returns ``{feature name: float64 array}`` for the pairs where both documents exist
(``d1``, ``d2`` >= 0 already filtered by the caller); the caller scatters them into NaN-filled
columns. Names follow specs.py.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, LCSseq, Prefix

from featurestore.features.text import FieldIndex, rowwise_dot

Arrays = dict[str, np.ndarray]


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN where den == 0 (documented: undefined, not 0)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def bm25(ix: FieldIndex, f: str, d1: np.ndarray, d2: np.ndarray, workers: int) -> Arrays:
    q, w, self_score = ix.bm25
    ab = rowwise_dot(q[d1], w[d2])
    ba = rowwise_dot(q[d2], w[d1])
    return {
        f"{f}_bm25_a_b": ab,
        f"{f}_bm25_b_a": ba,
        f"{f}_bm25_norm_a_b": _div(ab, self_score[d1]),
        f"{f}_bm25_norm_b_a": _div(ba, self_score[d2]),
    }


def _iou_block(ng, f: str, kind: str, d1, d2, wanted: set[str]) -> Arrays:
    inter = ng.intersections(d1, d2)
    sa, sb = ng.sizes[d1], ng.sizes[d2]
    out: Arrays = {}
    for n in ng.ns:
        name = f"{f}_{kind}{n}_iou"
        if name in wanted:
            out[name] = _div(inter[:, n], sa[:, n] + sb[:, n] - inter[:, n])
    dice_name = f"{f}_char3_dice" if kind == "char" else f"{f}_word_dice"
    dn = 3 if kind == "char" else 1
    if dice_name in wanted:
        out[dice_name] = _div(2.0 * inter[:, dn], sa[:, dn] + sb[:, dn])
    return out


def char_ngrams(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    # The core set needs only 3-grams: build that smaller matrix instead of 1..7.
    full = any(f"{f}_char{n}_iou" in wanted for n in (1, 2, 4, 5, 6, 7))
    ng = ix.char_ngrams if full else ix.char3
    return _iou_block(ng, f, "char", d1, d2, wanted)


def word_ngrams(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    return _iou_block(ix.word_ngrams, f, "word", d1, d2, wanted)


def tfidf(ix: FieldIndex, f: str, d1, d2, workers: int) -> Arrays:
    word, char = ix.tfidf_word, ix.tfidf_char
    out = {}
    for name, m in ((f"{f}_tfidf_word_cos", word), (f"{f}_tfidf_char_cos", char)):
        cos = rowwise_dot(m[d1], m[d2])
        empty = (ix.row_nnz(m)[d1] == 0) | (ix.row_nnz(m)[d2] == 0)
        cos[empty] = np.nan
        out[name] = np.clip(cos, 0.0, 1.0, out=cos, where=~empty)
    return out


def _texts(ix: FieldIndex, d1, d2) -> tuple[list[str], list[str]]:
    return ix.doc_text[d1].tolist(), ix.doc_text[d2].tolist()


def lcs(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    a, b = _texts(ix, d1, d2)
    la, lb = ix.doc_chars[d1], ix.doc_chars[d2]
    out: Arrays = {}
    if f"{f}_lcs_norm_a" in wanted or f"{f}_lcs_norm_b" in wanted:
        sim = process.cpdist(a, b, scorer=LCSseq.similarity, workers=workers).astype(np.float64)
        out[f"{f}_lcs_norm_a"] = _div(sim, la)
        out[f"{f}_lcs_norm_b"] = _div(sim, lb)
    if f"{f}_lcp" in wanted or f"{f}_lcp_norm" in wanted:
        pre = process.cpdist(a, b, scorer=Prefix.similarity, workers=workers).astype(np.float64)
        out[f"{f}_lcp"] = pre
        out[f"{f}_lcp_norm"] = _div(pre, np.minimum(la, lb))
    return out


FUZZY_SCORERS = {
    "fuzz_ratio": fuzz.ratio,
    "fuzz_partial_ratio": fuzz.partial_ratio,
    "fuzz_token_sort_ratio": fuzz.token_sort_ratio,
    "fuzz_token_set_ratio": fuzz.token_set_ratio,
    "fuzz_wratio": fuzz.WRatio,
    "jaro_winkler": JaroWinkler.similarity,
}


def fuzzy(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    a, b = _texts(ix, d1, d2)
    out: Arrays = {}
    for short, scorer in FUZZY_SCORERS.items():
        name = f"{f}_{short}"
        if name in wanted:
            out[name] = process.cpdist(a, b, scorer=scorer, workers=workers).astype(np.float64)
    return out


def lengths(ix: FieldIndex, f: str, d1, d2, workers: int) -> Arrays:
    out: Arrays = {}
    for unit, arr in (("chars", ix.doc_chars), ("words", ix.doc_words)):
        la, lb = arr[d1], arr[d2]
        out[f"{f}_len_{unit}_ratio"] = _div(np.minimum(la, lb), np.maximum(la, lb))
        out[f"{f}_len_{unit}_absdiff"] = np.abs(la - lb)
    return out


def antiwords(ix: FieldIndex, f: str, d1, d2, workers: int) -> Arrays:
    ng = ix.word_ngrams
    idf = ix.word_idf
    total = ng.binary @ idf  # per document: idf mass of its distinct words
    both = np.asarray(ng.binary[d1].multiply(ng.binary[d2]) @ idf).ravel()
    anti_a = total[d1] - both
    anti_b = total[d2] - both
    # float rounding could leave -1e-16 for identical word sets
    anti_a = np.maximum(anti_a, 0.0)
    anti_b = np.maximum(anti_b, 0.0)
    return {
        f"{f}_antiwords_idf_a": anti_a,
        f"{f}_antiwords_idf_b": anti_b,
        f"{f}_antiwords_share_a": _div(anti_a, total[d1]),
        f"{f}_antiwords_share_b": _div(anti_b, total[d2]),
    }
