"""Per-field index builds (text.py, wordkernels.py) against plain Python references."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from featurestore.features import kernels, wordkernels
from featurestore.features.text import (
    FieldIndex,
    _code_points,
    _documents_by_code_map,
    _documents_by_polars,
    _first_seen_ids,
    token_forms,
)
from featurestore.features.tokens import tokenize

# whitespace for str.split(): ASCII, the \x1c-\x1f separators (Python only), NEL, NBSP, Unicode
SPACES = [" ", " ", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"]
SPACES_WIDE = [*SPACES, "\x85", "\xa0", "\u2003", "\u3000"]
TOKENS = ["a", "ab", "abc", "b", "z", "Z", "é", "ё", "я", "яб", "ж", "12", "1", "0,5", "x\x00", "-"]
TOKENS_ASTRAL = [*TOKENS, "😀", "a😀", "𝔘", "z𝔘z"]


def _python_forms(t: str) -> tuple[str, str]:
    tokens = sorted(t.split())
    return " ".join(tokens), " ".join(dict.fromkeys(tokens))


def _texts(rng: random.Random, n: int, tokens: list[str], spaces: list[str]) -> list[str]:
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            out.append("")
        elif kind < 0.1:
            out.append("".join(rng.choice(spaces) for _ in range(rng.randint(1, 4))))
        else:
            k = rng.choice([1, 2, 3, 20, 60])  # past the 16-token insertion-sort runs too
            parts = [rng.choice(spaces) * rng.randint(0, 1)]
            for _ in range(k):
                parts.append(rng.choice(tokens))
                parts.append("".join(rng.choice(spaces) for _ in range(rng.randint(1, 3))))
            out.append("".join(parts[: len(parts) - rng.randint(0, 1)]))
    return out


def _check_forms(texts: list[str], codes: np.ndarray, starts: np.ndarray) -> None:
    sorted_tokens, token_set = token_forms(codes, starts)
    assert sorted_tokens.dtype == object and len(sorted_tokens) == len(texts)
    for t, st, ts in zip(texts, sorted_tokens.tolist(), token_set.tolist(), strict=True):
        assert (st, ts) == _python_forms(t), repr(t)


@pytest.mark.parametrize(
    ("tokens", "spaces", "dtype"),
    [
        (TOKENS, SPACES_WIDE, np.uint16),
        (TOKENS_ASTRAL, SPACES_WIDE, np.uint32),
    ],
)
def test_token_forms_equal_python_split_sort_join(tokens, spaces, dtype):
    texts = _texts(random.Random(3), 400, tokens, spaces)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    codes, starts = _code_points(pl.Series(texts), lengths)
    assert codes.dtype == dtype
    _check_forms(texts, codes, starts)


def test_token_forms_on_latin1_codes():
    texts = _texts(random.Random(5), 300, ["a", "ab", "é", "ÿ", "z", "\x00", "ß"], SPACES)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    codes = np.frombuffer("".join(texts).encode("latin-1"), dtype=np.uint8)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    _check_forms(texts, codes, starts)


def test_token_forms_empty_corpus():
    sorted_tokens, token_set = token_forms(np.zeros(0, np.uint16), np.zeros(1, np.int64))
    assert len(sorted_tokens) == 0 and len(token_set) == 0


@pytest.mark.parametrize(
    ("spaces", "recoded"), [(SPACES[:8], True), (SPACES, False), (SPACES_WIDE, False)]
)
def test_fuzz_token_forms_on_field_index(spaces, recoded):
    """Through FieldIndex: the re-coded (Latin-1) path when the corpus allows it, else not."""
    texts = _texts(random.Random(11), 300, TOKENS, spaces)
    ix = FieldIndex(pl.Series(texts))
    fz = ix.fuzz_texts
    # \x1c-\x1f and U+2003 / U+3000 are whitespace rapidfuzz's byte path cannot keep
    assert fz.recoded == recoded
    for plain, st, ts in zip(
        fz.plain.tolist(), fz.sorted_tokens.tolist(), fz.token_set.tolist(), strict=True
    ):
        assert (st, ts) == _python_forms(plain)


# -- word n-grams ------------------------------------------------------------------------------
def _order_csr(
    rows: np.ndarray, keys: np.ndarray, n_rows: int, n_cols: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(indptr, indices, float32 counts, column count) of the occurrences (rows[i], keys[i]).

    Columns are dense ids of the distinct keys in key order, or the keys themselves when
    ``n_cols`` says they already are ids 0..n_cols-1; each row's columns come out sorted.
    """
    if n_cols is None:
        distinct, cols = np.unique(keys, return_inverse=True)  # ids in key order
        n_cols = len(distinct)
    else:
        cols = keys
    if len(cols) == 0:
        return np.zeros(n_rows + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), 0
    flat = pl.Series(rows.astype(np.int64) * n_cols + cols).sort().to_numpy()
    del cols
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    counts = np.diff(np.r_[starts, len(flat)]).astype(np.float32)
    distinct = flat[starts]
    del flat, starts
    row = distinct // n_cols
    indices = (distinct - row * n_cols).astype(np.int32)
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    return indptr, indices, counts, n_cols


def _reference_token_ids(ix: FieldIndex) -> tuple[np.ndarray, np.ndarray, int]:
    """Session 5's token ids: word hashes numbered in order of first appearance by polars."""
    cps, starts = ix.codes
    offsets = np.zeros(ix.n_docs + 1, dtype=np.int64)
    np.cumsum(ix.doc_words.astype(np.int64), out=offsets[1:])
    keys = kernels.word_token_keys(cps, starts, ix._word, offsets)
    ids, vocab = _first_seen_ids(keys.view(np.int64))
    docs = np.repeat(np.arange(ix.n_docs, dtype=np.int64), np.diff(offsets))
    return docs, ids.astype(np.int64), vocab


def _reference_word_ngrams(ix: FieldIndex) -> sp.csr_matrix:
    """The session-5 build (polars hash-distinct + sort + join per order, then one global sort
    of row * n_cols + col), kept here as the reference the compiled build must equal."""
    docs, ids, vocab = _reference_token_ids(ix)
    got_docs, got_ids, got_vocab = ix._token_ids
    assert got_vocab == vocab and np.array_equal(got_ids, ids) and np.array_equal(got_docs, docs)
    indptr, indices, data, n_cols = _order_csr(docs, ids, ix.n_docs, vocab)
    col_n = [np.full(n_cols, 1, dtype=np.int8)]
    base = np.int64(max(vocab, 1))
    key = ids
    for n in (2, 3):
        k = n - 1
        if len(ids) <= k:
            break
        same = docs[k:] == docs[:-k]
        key = key[:-1] * base + ids[k:]
        ip, ix_, dt, k_cols = _order_csr(docs[:-k][same], key[same], ix.n_docs)
        stacked = sp.hstack(
            [
                sp.csr_matrix((data, indices, indptr), shape=(ix.n_docs, n_cols)),
                sp.csr_matrix((dt, ix_, ip), shape=(ix.n_docs, k_cols)),
            ],
            format="csr",
        )
        stacked.sort_indices()
        indptr, indices, data = stacked.indptr, stacked.indices, stacked.data
        col_n.append(np.full(k_cols, n, dtype=np.int8))
        n_cols += k_cols
    counts = sp.csr_matrix((data, indices, indptr), shape=(ix.n_docs, max(n_cols, 1)))
    col_n_arr = np.concatenate(col_n)
    if len(col_n_arr) < counts.shape[1]:
        col_n_arr = np.ones(counts.shape[1], dtype=np.int8)
    return counts, col_n_arr


def _word_docs(rng: random.Random, n: int, vocab: list[str]) -> list[str | None]:
    out: list[str | None] = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            out.append(None)
        elif kind < 0.1:
            out.append(" , ")  # no word: not a document
        elif kind < 0.3:
            out.append(" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 2))))
        else:
            words = [rng.choice(vocab) for _ in range(rng.randint(3, 80))]
            if rng.random() < 0.3:  # a repeated phrase: repeated 2- and 3-grams
                words += words[:5] * 3
            out.append(" ".join(words))
    return out


@pytest.mark.parametrize(("n_texts", "n_vocab"), [(1, 3), (3, 1), (60, 5), (2000, 300)])
def test_word_ngrams_equal_reference_build(n_texts, n_vocab):
    rng = random.Random(n_texts)
    vocab = [f"w{i}" for i in range(n_vocab)] + ["ёж", "кот"]
    texts = _word_docs(rng, n_texts, vocab)
    ix = FieldIndex(pl.Series(texts, dtype=pl.String))
    ref, ref_col_n = _reference_word_ngrams(ix)
    ng = ix.word_ngrams
    assert ng.shape == ref.shape
    assert np.array_equal(ng.indptr, ref.indptr.astype(np.int64))
    assert np.array_equal(ng.indices, ref.indices.astype(np.int32))
    assert np.array_equal(ng.counts, ref.data.astype(np.float32))
    assert np.array_equal(ng.col_n, ref_col_n)
    rows = np.repeat(np.arange(ng.shape[0]), np.diff(ng.indptr))
    key = rows * (ng.n_max + 1) + ng.col_n[ng.indices]
    sizes = np.bincount(key, minlength=ng.shape[0] * (ng.n_max + 1)).reshape(ng.shape[0], -1)
    assert np.array_equal(ng.sizes, sizes)


def test_word_ngrams_against_python_sets():
    """Each document's n-gram counts, read back through the column keys, equal a dict count."""
    rng = random.Random(1)
    texts = _word_docs(rng, 300, ["a", "b", "c", "d1", "e"])
    ix = FieldIndex(pl.Series(texts, dtype=pl.String))
    docs = ix.doc_text
    ng = ix.word_ngrams
    # column -> n-gram text: order 1 columns are word ids in first-seen order
    words = list(dict.fromkeys(w for t in docs for w in tokenize(t)))
    names = {}
    for n in (1, 2, 3):
        grams = sorted(
            {
                tuple(words.index(w) for w in tokenize(t)[j : j + n])
                for t in docs
                for j in range(len(tokenize(t)) - n + 1)
            }
        )
        first = int(np.flatnonzero(ng.col_n == n)[0]) if (ng.col_n == n).any() else 0
        for c, g in enumerate(grams):
            names[first + c] = g
    for d, t in enumerate(docs):
        toks = [words.index(w) for w in tokenize(t)]
        want = Counter(tuple(toks[j : j + n]) for n in (1, 2, 3) for j in range(len(toks) - n + 1))
        row = slice(ng.indptr[d], ng.indptr[d + 1])
        got = {names[c]: v for c, v in zip(ng.indices[row], ng.counts[row], strict=True)}
        assert got == want


def test_word_ngrams_no_documents():
    ix = FieldIndex(pl.Series([None, " ", "--"], dtype=pl.String))
    ng = ix.word_ngrams
    assert ng.shape == (0, 1) and list(ng.col_n) == [1]


@pytest.mark.parametrize("n_parts", [1, 2, 3, 16, 1024])
def test_dense_ranks_equal_unique_inverse(n_parts):
    rng = np.random.default_rng(n_parts)
    i64 = np.iinfo(np.int64)
    keys = np.concatenate(
        [
            rng.integers(-(2**62), 2**62, 5000),  # wrapped (negative) keys too
            np.full(20000, 7),  # a heavy hitter spanning many sample quantiles
            rng.integers(0, 50, 3000),
            [i64.min, i64.max, i64.min + 1, -1, 0],  # the widest value span
        ]
    )
    rng.shuffle(keys)
    for part in (keys, keys[keys > 0], np.full(100, -3), keys[:1]):
        cols, k = wordkernels.dense_ranks(part, n_parts, 8)
        distinct, inverse = np.unique(part, return_inverse=True)
        assert k == len(distinct)
        assert np.array_equal(cols, inverse)
    cols, k = wordkernels.dense_ranks(np.zeros(0, np.int64), n_parts, 8)
    assert k == 0 and len(cols) == 0


def _windows(ids, offsets, n):
    """Every n-token window inside one document, as tuples, and the window offsets."""
    out, off = [], [0]
    for d in range(len(offsets) - 1):
        doc = ids[offsets[d] : offsets[d + 1]].tolist()
        out += [tuple(doc[j : j + n]) for j in range(len(doc) - n + 1)]
        off.append(len(out))
    return out, off


def test_window_keys_pack_ids_exactly_when_they_fit():
    rng = np.random.default_rng(0)
    base = 2_000_000  # base**3 < 2**63
    ids = rng.integers(0, base, 500).astype(np.int64)
    offsets = np.array([0, 0, 1, 3, 200, 500], dtype=np.int64)
    for n in (2, 3):
        keys, woff = wordkernels.window_keys(ids, offsets, n, np.int64(base), False)
        windows, want_off = _windows(ids, offsets, n)
        packed = [sum(t * base ** (n - 1 - k) for k, t in enumerate(w)) for w in windows]
        assert keys.tolist() == packed  # Python integers: no wrap-around
        assert woff.tolist() == want_off


def test_window_keys_hash_when_packing_would_wrap():
    """With base = 2**22, packing (a, b, c) as a * 2**44 + b * 2**22 + c wraps: (2**20, 0, 0)
    would get the key of (0, 0, 0). The index mixes the ids instead (FieldIndex passes mixed
    when base**n > 2**63); equal windows keep equal keys."""
    base = 2**22
    assert base**3 > 2**63
    rng = np.random.default_rng(1)
    ids = np.concatenate([[0, 0, 0, 2**20, 0, 0, 0, 0, 0], rng.integers(0, base, 3000)])
    ids = ids.astype(np.int64)
    offsets = np.array([0, 3, 6, 9, len(ids)], dtype=np.int64)
    keys, woff = wordkernels.window_keys(ids, offsets, 3, np.int64(base), True)
    windows, want_off = _windows(ids, offsets, 3)
    assert woff.tolist() == want_off
    assert keys[0] == keys[2] and keys[0] != keys[1]
    by_key = {}
    for k, w in zip(keys.tolist(), windows, strict=True):
        assert by_key.setdefault(k, w) == w  # one window per key
    assert len(by_key) == len(set(windows))


def test_word_idf_and_antiword_mass_equal_full_computations():
    """The prefix-only counts give bit for bit the session-5 values (bincount over all n-gram
    columns; the pair kernel with each document against itself)."""
    texts = _word_docs(random.Random(4), 500, [f"w{i}" for i in range(40)])
    ix = FieldIndex(pl.Series(texts, dtype=pl.String))
    ng = ix.word_ngrams
    df = np.bincount(ng.indices, minlength=ng.shape[1]).astype(np.float64)
    idf = np.log((1.0 + ix.n_docs) / (1.0 + df)) + 1.0
    idf[ng.col_n != 1] = 0.0
    assert np.array_equal(ix.word_idf, idf)
    docs = np.arange(ix.n_docs, dtype=np.int64)
    mass = kernels.csr_pair_shared_weight(ng.indptr, ng.indices, idf, docs, docs)
    assert np.array_equal(ix.antiword_mass, mass)
    empty = FieldIndex(pl.Series([None], dtype=pl.String))
    assert len(empty.word_idf) == 1 and len(empty.antiword_mass) == 0


def test_word_tfidf_equals_python_reference():
    """TF-IDF rows over word 1-2-grams: idf from every column's document frequency (orders not
    asked weigh 0), raw counts, L2-normalised in float64, stored as float32, bit for bit."""
    texts = _word_docs(random.Random(9), 300, [f"w{i}" for i in range(30)])
    ix = FieldIndex(pl.Series(texts, dtype=pl.String))
    ng = ix.word_ngrams
    indptr, indices, counts = ng.indptr.copy(), ng.indices.copy(), ng.counts.copy()
    df = np.bincount(indices, minlength=ng.shape[1])
    idf = np.log((1.0 + ix.n_docs) / (1.0 + df)) + 1.0
    idf[~np.isin(ng.col_n, (1, 2))] = 0.0
    m, nonempty = ix.tfidf_word
    for r in range(ix.n_docs):
        row = range(indptr[r], indptr[r + 1])
        acc = 0.0
        for i in row:
            v = float(counts[i]) * idf[indices[i]]
            acc += v * v
        assert nonempty[r] == (acc > 0.0)
        inv = 1.0 / math.sqrt(acc) if acc > 0.0 else 0.0
        want = [np.float32(float(counts[i]) * idf[indices[i]] * inv) for i in row]
        assert m.data[indptr[r] : indptr[r + 1]].tolist() == want


def _python_code_points(texts: list[str]) -> np.ndarray:
    joined = "".join(texts)
    units = np.frombuffer(joined.encode("utf-16-le"), dtype=np.uint16)
    if len(units) == len(joined):
        return units
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)


@pytest.mark.parametrize(
    "texts",
    [
        ["", "a", "\x00b\x7f", "ё\u07ff\u0800", "\uffff中文", "", "aé"],  # 1-3-byte boundaries
        ["x😀", "𝔘\U0010ffff", "", "Ж\x80"],  # 4-byte sequences: uint32
        [],
    ],
)
def test_code_points_decode_utf8_as_python(texts):
    series = pl.Series(texts, dtype=pl.String)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    cps, starts = _code_points(series, lengths)
    want = _python_code_points(texts)
    assert cps.dtype == want.dtype and np.array_equal(cps, want)
    assert starts.tolist() == [0, *np.cumsum(lengths).tolist()]
    # a sliced series (non-zero Arrow offset) decodes the same
    if len(texts) > 2:
        cps2, _ = _code_points(series[1:], lengths[1:])
        assert np.array_equal(cps2, _python_code_points(texts[1:]))


def test_code_points_reject_wrong_lengths():
    with pytest.raises(ValueError, match="lengths"):
        _code_points(pl.Series(["ab", "c"]), np.array([1, 2]))


@pytest.mark.parametrize(
    "extra",
    [
        [],  # the code-map path
        ["ΟΔΟΣ ΣΑΣ"],  # capital sigma: the polars path
        ["İstanbul"],  # lower case of two characters: the polars path
        ["𝔘 Word"],  # beyond the BMP (uint32 code points)
    ],
)
def test_documents_equal_polars_lowercase_path(extra):
    rng = random.Random(2)
    words = ["Кот", "кот", "КОТ", "Ёж", "ёж", "Apple", "APPLE", "12", "ß", "Ǆ", "ǅ", "ǆ", "Ω"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(300)]
    texts += [None, "", " , ", "КОТ кот", "кот КОТ", "Кот кот", *extra]
    series = pl.Series(texts, dtype=pl.String)
    want = _documents_by_polars(series)
    got = _documents_by_code_map(series)
    if extra and extra[0][0] in "Οİ":
        assert got is None
        return
    assert got is not None
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    ix = FieldIndex(series)
    assert np.array_equal(ix.doc_of_item, want[0])


def test_bm25_word_rows_equal_reference():
    texts = _word_docs(random.Random(6), 400, [f"w{i}" for i in range(50)])
    ix = FieldIndex(pl.Series(texts, dtype=pl.String))
    docs, ids, vocab = _reference_token_ids(ix)
    indptr, indices, counts, n_cols = _order_csr(docs, ids, ix.n_docs, vocab)
    q, _, _ = ix.bm25
    assert q.shape == (ix.n_docs, max(n_cols, 1))
    assert np.array_equal(q.indptr, indptr) and np.array_equal(q.indices, indices)
    assert np.array_equal(q.data, counts)
