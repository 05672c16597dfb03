"""Per-field text indexes: distinct documents, sparse token / n-gram matrices, BM25 weights.

A pairwise text feature never loops over pairs. For each text field we build, once per items
table, matrices over the field's *distinct documents* (a document = a distinct lower-cased text
with at least one word token). Each item maps to a document id (-1: null or no tokens). A chunk of
pairs is then two arrays of document ids; a score is "gather rows, multiply elementwise, sum rows".

Character n-grams are hashed to 64-bit keys with a rolling polynomial hash over the code points
(vectorised in numpy), then given dense column ids per n. Distinct n-grams colliding in 64 bits is
possible in principle but vanishingly rare (about K^2 / 2^64 for K distinct n-grams).
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import polars as pl
import scipy.sparse as sp

from featurestore.features.tokens import tokenize_series

BM25_K1 = 1.5
BM25_B = 0.75
BM25_EPSILON = 0.25
_HASH_MULT = np.uint64(0x100000001B3)


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense column ids 0..K-1 for arbitrary integer keys (sort-based)."""
    uniq, inv = np.unique(keys, return_inverse=True)
    return inv.astype(np.int32, copy=False), len(uniq)


def _csr(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """Count matrix (duplicates summed) with sorted indices, float64 data."""
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n_rows, max(n_cols, 1))
    )
    m.sum_duplicates()
    m.sort_indices()
    return m


def _binary(m: sp.csr_matrix) -> sp.csr_matrix:
    b = m.copy()
    b.data[:] = 1.0
    return b


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """sum_j a[i, j] * b[i, j] for every row i (two equally shaped sparse matrices)."""
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def _counts_by_n(prod: sp.csr_matrix, col_n: np.ndarray, n_max: int) -> np.ndarray:
    """(rows x n_max+1) counts of nonzeros of ``prod`` split by the n-gram order of each column."""
    m = prod.shape[0]
    rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(prod.indptr))
    key = rows * (n_max + 1) + col_n[prod.indices]
    return np.bincount(key, minlength=m * (n_max + 1)).reshape(m, n_max + 1)


class NgramSets:
    """Distinct n-grams of every document in one matrix, columns grouped by order n."""

    def __init__(self, counts: sp.csr_matrix, col_n: np.ndarray, ns: tuple[int, ...]):
        self.counts = counts  # n-gram counts (with multiplicity), sorted indices
        self.binary = _binary(counts)
        self.col_n = col_n.astype(np.int64)
        self.ns = ns
        self.n_max = max(ns)
        self.sizes = _counts_by_n(self.binary, self.col_n, self.n_max)  # docs x (n_max+1)

    def intersections(self, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
        """|A_n ∩ B_n| for each pair (rows) and order n (columns 0..n_max)."""
        prod = self.binary[d1].multiply(self.binary[d2]).tocsr()
        return _counts_by_n(prod, self.col_n, self.n_max)

    def tfidf(self, ns: tuple[int, ...]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows over the columns of orders ``ns`` (smooth idf, raw tf)."""
        # columns are grouped by n in increasing order, so the wanted orders form one range
        keep = np.flatnonzero(np.isin(self.col_n, ns))
        if len(keep) and keep[-1] - keep[0] + 1 == len(keep):
            m = self.counts[:, int(keep[0]) : int(keep[-1]) + 1].tocsr()
        else:
            m = self.counts[:, keep].tocsr()
        n_docs = m.shape[0]
        df = np.bincount(m.indices, minlength=m.shape[1])
        idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
        m = m.multiply(idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        m = sp.diags(inv) @ m
        m = m.tocsr()
        m.sort_indices()
        return m


class FieldIndex:
    """Everything pairwise text features need for one text field of the items table.

    ``texts`` is aligned with the items rows (null allowed). Matrices are built lazily, only for
    the feature groups a run asks for.
    """

    def __init__(self, texts: pl.Series):
        lower = texts.cast(pl.String).str.to_lowercase()
        tokens = tokenize_series(texts.cast(pl.String))
        n_tok = tokens.list.len().fill_null(0)
        keyed = pl.select(pl.when(n_tok > 0).then(lower).otherwise(None).alias("t")).to_series()
        doc = keyed.rank("dense")
        self.doc_of_item = (doc.fill_null(0).cast(pl.Int64) - 1).to_numpy()
        docs = (
            pl.DataFrame({"doc": doc, "t": lower, "tok": tokens})
            .filter(pl.col("doc").is_not_null())
            .unique("doc", keep="first")
            .sort("doc")
        )
        self.n_docs = docs.height
        self.doc_text = docs["t"].to_numpy().astype(object)
        self.doc_tokens = docs["tok"]
        self.doc_chars = docs["t"].str.len_chars().to_numpy().astype(np.float64)
        self.doc_words = self.doc_tokens.list.len().to_numpy().astype(np.float64)

    # -- words -----------------------------------------------------------------------------
    @cached_property
    def _token_ids(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(doc of each token occurrence, token id, vocabulary size), in document order."""
        ex = (
            pl.DataFrame({"doc": np.arange(self.n_docs), "tok": self.doc_tokens})
            .explode("tok")
            .drop_nulls("tok")
        )
        ids = (ex["tok"].rank("dense") - 1).cast(pl.Int64).to_numpy()
        vocab = int(ids.max()) + 1 if len(ids) else 0
        return ex["doc"].to_numpy().astype(np.int64), ids, vocab

    @cached_property
    def word_ngrams(self) -> NgramSets:
        """Word 1..3-gram matrix (gram columns grouped by n)."""
        docs, ids, vocab = self._token_ids
        rows, keys, ns_col = [docs], [ids], [np.full(len(ids), 1)]
        base = np.int64(max(vocab, 1))
        key = ids.copy()
        for n in (2, 3):
            k = n - 1
            if len(ids) <= k:
                break
            same = docs[k:] == docs[:-k]
            # key[j] becomes the id of the n-gram starting at token j; keep windows in one document
            key = key[:-1] * base + ids[k:]
            rows.append(docs[:-k][same])
            keys.append(key[same])
            ns_col.append(np.full(int(same.sum()), n))
        cols, col_n = [], []
        offset = 0
        for r_keys, n_arr in zip(keys, ns_col, strict=True):
            c, k = _dense_ids(r_keys)
            cols.append(c.astype(np.int64) + offset)
            col_n.append(np.full(k, n_arr[0] if len(n_arr) else 1))
            offset += k
        counts = _csr(np.concatenate(rows), np.concatenate(cols), self.n_docs, offset)
        col_n_arr = np.concatenate(col_n) if col_n else np.zeros(0, dtype=np.int64)
        if len(col_n_arr) < counts.shape[1]:
            col_n_arr = np.concatenate([col_n_arr, np.zeros(counts.shape[1] - len(col_n_arr))])
        return NgramSets(counts, col_n_arr.astype(np.int64), (1, 2, 3))

    @cached_property
    def bm25(self) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        """(query term counts Q, document weights W, self scores) replicating rank_bm25.BM25Okapi.

        score(a -> b) = sum over a's token occurrences q of idf(q) * tf(q,b)*(k1+1) /
        (tf(q,b) + k1*(1 - b + b*len(b)/avgdl)) = rowsum(Q[a] .* W[b]). idf = ln(N - df + .5) -
        ln(df + .5); negative idfs are replaced by epsilon * (mean idf over the vocabulary, taken
        before the replacement), exactly as rank_bm25 does.
        """
        docs, ids, vocab = self._token_ids
        q = _csr(docs, ids, self.n_docs, vocab)
        n = self.n_docs
        df = np.bincount(q.indices, minlength=q.shape[1]).astype(np.float64)
        present = df > 0
        idf = np.zeros_like(df)
        idf[present] = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
        if present.any():
            # rank_bm25 averages with a running Python float sum; math.fsum keeps us within 1e-12
            avg = math.fsum(idf[present].tolist()) / int(present.sum())
            idf[present & (idf < 0)] = BM25_EPSILON * avg
        dl = self.doc_words
        avgdl = dl.mean() if n else 1.0
        rows = np.repeat(np.arange(n), np.diff(q.indptr))
        tf = q.data
        denom = tf + BM25_K1 * (1.0 - BM25_B + BM25_B * dl[rows] / avgdl)
        w = q.copy()
        w.data = idf[q.indices] * tf * (BM25_K1 + 1.0) / denom
        self_score = rowwise_dot(q, w)
        return q, w, self_score

    @cached_property
    def word_idf(self) -> np.ndarray:
        """Smooth idf ln((1+N)/(1+df)) + 1 of each word (unigram columns of word_ngrams)."""
        ng = self.word_ngrams
        uni = ng.col_n == 1
        df = np.bincount(ng.binary.indices, minlength=ng.binary.shape[1]).astype(np.float64)
        idf = np.log((1.0 + self.n_docs) / (1.0 + df)) + 1.0
        idf[~uni] = 0.0
        return idf

    # -- characters -------------------------------------------------------------------------
    @cached_property
    def char_ngrams(self) -> NgramSets:
        """Character 1..7-gram matrix of the lower-cased documents."""
        return self._char_ngrams((1, 2, 3, 4, 5, 6, 7))

    @cached_property
    def char3(self) -> NgramSets:
        """Character 3-grams only (the core set); reuses the 1..7 matrix when already built."""
        if "char_ngrams" in self.__dict__:
            return self.char_ngrams
        return self._char_ngrams((3,))

    @cached_property
    def tfidf_word(self) -> sp.csr_matrix:
        return self.word_ngrams.tfidf((1, 2))

    @cached_property
    def tfidf_char(self) -> sp.csr_matrix:
        return self.char_ngrams.tfidf((3, 4, 5))

    @staticmethod
    def row_nnz(m: sp.csr_matrix) -> np.ndarray:
        """Number of stored entries per row."""
        return np.diff(m.indptr)

    def _char_ngrams(self, ns: tuple[int, ...]) -> NgramSets:
        lengths = self.doc_chars.astype(np.int64)
        joined = "".join(self.doc_text.tolist())
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        total = len(cps)
        doc = np.repeat(np.arange(self.n_docs, dtype=np.int64), lengths)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if self.n_docs else lengths
        remaining = (starts[doc] + lengths[doc]) - np.arange(total)  # chars left incl. this one
        rows, cols, col_n = [], [], []
        offset = 0
        h = np.zeros(total, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for n in range(1, max(ns) + 1):
                if total < n:
                    break
                # h[j] = hash of cps[j : j+n]
                h = h[: total - n + 1] * _HASH_MULT + cps[n - 1 :] + np.uint64(1)
                if n not in ns:
                    continue
                ok = remaining[: total - n + 1] >= n
                c, k = _dense_ids(h[ok])
                rows.append(doc[: total - n + 1][ok])
                cols.append(c.astype(np.int64) + offset)
                col_n.append(np.full(k, n, dtype=np.int64))
                offset += k
        if rows:
            counts = _csr(np.concatenate(rows), np.concatenate(cols), self.n_docs, offset)
            cn = np.concatenate(col_n)
        else:
            counts = _csr(np.zeros(0, np.int64), np.zeros(0, np.int64), self.n_docs, 1)
            cn = np.zeros(1, dtype=np.int64)
        if len(cn) < counts.shape[1]:
            cn = np.concatenate([cn, np.zeros(counts.shape[1] - len(cn), dtype=np.int64)])
        return NgramSets(counts, cn, ns)
