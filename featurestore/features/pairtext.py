"""Pairwise text feature groups: each takes a FieldIndex and two arrays of document ids.

Every function returns ``{feature name: float64 array}`` for the pairs where both documents exist
(``d1``, ``d2`` >= 0 already filtered by the caller); the caller scatters them into NaN-filled
columns. Names follow specs.py.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Prefix

from featurestore.features.text import FieldIndex, pair_dot

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
    ab = pair_dot(q, w, d1, d2)
    ba = pair_dot(q, w, d2, d1)
    return {
        f"{f}_bm25_a_b": ab,
        f"{f}_bm25_b_a": ba,
        f"{f}_bm25_norm_a_b": _div(ab, self_score[d1]),
        f"{f}_bm25_norm_b_a": _div(ba, self_score[d2]),
    }


def _iou(f: str, kind: str, ns, inter, sa, sb, wanted: set[str]) -> Arrays:
    """IoU per order and Dice (char 3-grams / words) from intersection and set sizes."""
    out: Arrays = {}
    for n in ns:
        name = f"{f}_{kind}{n}_iou"
        if name in wanted:
            out[name] = _div(inter[:, n], sa[:, n] + sb[:, n] - inter[:, n])
    dice_name = f"{f}_char3_dice" if kind == "char" else f"{f}_word_dice"
    dn = 3 if kind == "char" else 1
    if dice_name in wanted:
        out[dice_name] = _div(2.0 * inter[:, dn], sa[:, dn] + sb[:, dn])
    return out


def char_ngrams(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    """Char n-gram IoU (orders asked for), 3-gram Dice and char TF-IDF cosine in one kernel pass."""
    orders = tuple(
        n
        for n in range(1, 8)
        if f"{f}_char{n}_iou" in wanted or (n == 3 and f"{f}_char3_dice" in wanted)
    )
    tfidf = f"{f}_tfidf_char_cos" in wanted
    out: Arrays = {}
    if not orders and not tfidf:
        return out
    orders = orders or (3,)
    sizes = ix.chars.sizes(orders, tfidf)  # one pass: set sizes and TF-IDF norms
    inter, cos = ix.chars.pair_stats(d1, d2, orders, tfidf)
    out.update(_iou(f, "char", orders, inter, sizes[d1], sizes[d2], wanted))
    if tfidf:
        out[f"{f}_tfidf_char_cos"] = cos
    return out


def word_ngrams(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    ng = ix.word_ngrams
    inter = ng.intersections(d1, d2)
    return _iou(f, "word", ng.ns, inter, ng.sizes[d1], ng.sizes[d2], wanted)


def tfidf(ix: FieldIndex, f: str, d1, d2, workers: int) -> Arrays:
    """Word 1-2-gram TF-IDF cosine (the char TF-IDF is computed with the char n-grams)."""
    m, nonempty = ix.tfidf_word
    cos = pair_dot(m, m, d1, d2)
    empty = ~(nonempty[d1] & nonempty[d2])
    cos[empty] = np.nan
    return {f"{f}_tfidf_word_cos": np.clip(cos, 0.0, 1.0, out=cos, where=~empty)}


def lcs(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    la, lb = ix.doc_chars[d1], ix.doc_chars[d2]
    out: Arrays = {}
    if f"{f}_lcs_norm_a" in wanted or f"{f}_lcs_norm_b" in wanted:
        sim = ix.lcs_lengths(d1, d2, workers)
        out[f"{f}_lcs_norm_a"] = _div(sim, la)
        out[f"{f}_lcs_norm_b"] = _div(sim, lb)
    if f"{f}_lcp" in wanted or f"{f}_lcp_norm" in wanted:
        plain = ix.fuzz_texts.plain
        pre = _cpdist(plain[d1].tolist(), plain[d2].tolist(), Prefix.similarity, workers)
        out[f"{f}_lcp"] = pre
        out[f"{f}_lcp_norm"] = _div(pre, np.minimum(la, lb))
    return out


def _ratio_from_lcs(lcs_len: np.ndarray, la: np.ndarray, lb: np.ndarray) -> np.ndarray:
    """fuzz.ratio from the LCS length, with rapidfuzz's arithmetic (Indel distance = la + lb -
    2 * LCS, normalised by la + lb, similarity = 1 - that, times 100; 100 for two empty texts)."""
    total = la + lb
    dist = total - 2.0 * lcs_len
    norm = np.divide(dist, total, out=np.zeros_like(dist), where=total > 0)
    return (1.0 - norm) * 100.0


# name -> (scorer, which prepared texts it reads); token_sort_ratio is fuzz.ratio on sorted tokens
FUZZY_SCORERS = {
    "fuzz_partial_ratio": (fuzz.partial_ratio, "plain"),
    "fuzz_token_sort_ratio": (fuzz.ratio, "sorted_tokens"),
    "fuzz_token_set_ratio": (fuzz.token_set_ratio, "token_set"),
    "jaro_winkler": (JaroWinkler.similarity, "plain"),
}


def fuzzy(ix: FieldIndex, f: str, d1, d2, workers: int, wanted: set[str]) -> Arrays:
    """rapidfuzz scores per pair, each equal to the scorer called on the two lower-cased texts.

    The texts come prepared once per document (``FieldIndex.fuzz_texts``): re-coded to one byte
    per character, tokens pre-sorted for token_sort_ratio, pre-deduplicated for token_set_ratio.
    fuzz.ratio is derived from the LCS length the "lcs" group also uses.
    """
    texts = ix.fuzz_texts
    got: Arrays = {}
    if f"{f}_fuzz_ratio" in wanted or f"{f}_fuzz_wratio" in wanted:
        lcs_len = ix.lcs_lengths(d1, d2, workers)
        got["fuzz_ratio"] = _ratio_from_lcs(lcs_len, ix.doc_chars[d1], ix.doc_chars[d2])
    for short, (scorer, kind) in FUZZY_SCORERS.items():
        if f"{f}_{short}" in wanted:
            docs = getattr(texts, kind)
            got[short] = _cpdist(docs[d1].tolist(), docs[d2].tolist(), scorer, workers)
    if f"{f}_fuzz_wratio" in wanted:
        got["fuzz_wratio"] = _wratio(ix, d1, d2, got, workers)
    return {f"{f}_{short}": v for short, v in got.items() if f"{f}_{short}" in wanted}


def _cpdist(a: list[str], b: list[str], scorer, workers: int) -> np.ndarray:
    return process.cpdist(a, b, scorer=scorer, workers=workers).astype(np.float64)


def _wratio(ix: FieldIndex, d1, d2, got: Arrays, workers: int) -> np.ndarray:
    """rapidfuzz ``fuzz.WRatio`` assembled from the scores this group computes anyway.

    WRatio is defined (rapidfuzz, after FuzzyWuzzy) as max(ratio, 0.95 * max(token_sort_ratio,
    token_set_ratio)) when the longer text is < 1.5 times the shorter, else max(ratio,
    s * partial_ratio, 0.95 * s * partial_token_ratio) with s = 0.9 (length ratio <= 8) or 0.6.
    Its score cutoffs only skip work that cannot raise the maximum, so the value is the same;
    the test checks it against ``fuzz.WRatio`` per pair. Reusing ratio / token / partial scores
    saves most of WRatio's cost.
    """
    plain = ix.fuzz_texts.plain
    a, b = plain[d1].tolist(), plain[d2].tolist()
    ratio = got["fuzz_ratio"]
    if "fuzz_token_sort_ratio" in got and "fuzz_token_set_ratio" in got:
        token = np.maximum(got["fuzz_token_sort_ratio"], got["fuzz_token_set_ratio"])
    else:
        token = _cpdist(a, b, fuzz.token_ratio, workers)
    out = np.maximum(ratio, token * 0.95)
    la, lb = ix.doc_chars[d1], ix.doc_chars[d2]
    len_ratio = np.maximum(la, lb) / np.minimum(la, lb)
    far = np.flatnonzero(len_ratio >= 1.5)
    if len(far):
        scale = np.where(len_ratio[far] <= 8.0, 0.9, 0.6)
        fa, fb = [a[i] for i in far], [b[i] for i in far]
        if "fuzz_partial_ratio" in got:
            partial = got["fuzz_partial_ratio"][far]
        else:
            partial = _cpdist(fa, fb, fuzz.partial_ratio, workers)
        partial_token = _cpdist(fa, fb, fuzz.partial_token_ratio, workers)
        out[far] = np.maximum(np.maximum(ratio[far], partial * scale), partial_token * 0.95 * scale)
    return out


def lengths(ix: FieldIndex, f: str, d1, d2, workers: int) -> Arrays:
    out: Arrays = {}
    for unit, arr in (("chars", ix.doc_chars), ("words", ix.doc_words)):
        la, lb = arr[d1], arr[d2]
        out[f"{f}_len_{unit}_ratio"] = _div(np.minimum(la, lb), np.maximum(la, lb))
        out[f"{f}_len_{unit}_absdiff"] = np.abs(la - lb)
    return out


def antiwords(ix: FieldIndex, f: str, d1, d2, workers: int) -> Arrays:
    total = ix.antiword_mass
    both = ix.shared_word_mass(d1, d2)  # idf mass of the words both texts have
    # float rounding could leave -1e-16 for identical word sets
    anti_a = np.maximum(total[d1] - both, 0.0)
    anti_b = np.maximum(total[d2] - both, 0.0)
    return {
        f"{f}_antiwords_idf_a": anti_a,
        f"{f}_antiwords_idf_b": anti_b,
        f"{f}_antiwords_share_a": _div(anti_a, total[d1]),
        f"{f}_antiwords_share_b": _div(anti_b, total[d2]),
    }
