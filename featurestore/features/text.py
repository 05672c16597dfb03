"""Per-field text indexes: distinct documents, sparse word matrices, BM25 weights, char n-grams.

A pairwise text feature never loops over pairs in Python. For each text field we build, once per
items table, an index over the field's *distinct documents* (a document = a distinct lower-cased
text with at least one word token). Each item maps to a document id (-1: null or no tokens). A
chunk of pairs is then two arrays of document ids, and a compiled kernel (kernels.py) walks each
pair once:

* word statistics (BM25, TF-IDF over word 1-2 grams, word n-gram sets, idf of shared words) are
  scipy CSR matrices over the documents with sorted columns; a pair is a merge of two rows;
* character n-grams (1..7) are not stored per document (too large for long descriptions): the
  pair kernel hashes both texts' n-grams on the fly (see ``CharGrams``).
"""

from __future__ import annotations

import math
import threading
from functools import cached_property

import numpy as np
import polars as pl
import scipy.sparse as sp

from featurestore.features import kernels
from featurestore.features.tokens import tokenize_series

BM25_K1 = 1.5
BM25_B = 0.75
BM25_EPSILON = 0.25
CHAR_TFIDF_ORDERS = (3, 4, 5)
_BLOCKS = 64  # work blocks per kernel call (load balance across threads)


def _dense_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense column ids 0..K-1 for arbitrary integer keys, in key order (polars, multithreaded)."""
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int32), 0
    ranks = pl.Series(keys).rank("dense").to_numpy()
    return (ranks - 1).astype(np.int32), int(ranks.max())


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


def pair_dot(a: sp.csr_matrix, b: sp.csr_matrix, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """sum_j a[d1[p], j] * b[d2[p], j] per pair; ``a`` and ``b`` share one sparsity pattern."""
    return kernels.csr_pair_dot(
        a.indptr, a.indices, a.data, b.data, d1.astype(np.int64), d2.astype(np.int64)
    )


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
        b = self.binary
        return kernels.csr_pair_shared(
            b.indptr,
            b.indices,
            self.col_n,
            self.n_max + 1,
            d1.astype(np.int64),
            d2.astype(np.int64),
        )

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
        # ids by a hash join against the vocabulary (faster than ranking the strings)
        words = ex.select(pl.col("tok").unique()).with_row_index("id")
        ids = ex.join(words, on="tok", how="left", maintain_order="left")["id"]
        return ex["doc"].to_numpy().astype(np.int64), ids.to_numpy().astype(np.int64), words.height

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

    @cached_property
    def antiword_weights(self) -> tuple[np.ndarray, sp.csr_matrix, sp.csr_matrix]:
        """(idf mass of each document's distinct words, binary word matrix, its idf values)."""
        binary = self.word_ngrams.binary
        idf = self.word_idf
        weighted = binary.copy()
        weighted.data = idf[binary.indices]
        return binary @ idf, binary, weighted

    # -- characters -------------------------------------------------------------------------
    @cached_property
    def chars(self) -> CharGrams:
        """Character n-gram statistics of the lower-cased documents."""
        return CharGrams(self.doc_text.tolist())

    @cached_property
    def tfidf_word(self) -> sp.csr_matrix:
        return self.word_ngrams.tfidf((1, 2))

    @staticmethod
    def row_nnz(m: sp.csr_matrix) -> np.ndarray:
        """Number of stored entries per row."""
        return np.diff(m.indptr)


class CharGrams:
    """Character n-grams (orders 1..7) of a list of documents, computed on the fly per pair.

    Holds only the code points (uint32) and, once asked for, per-document set sizes per order,
    the exact document frequencies of 3-5-grams (for TF-IDF) and each document's TF-IDF norm:
    O(total characters + distinct 3-5-grams) memory, whatever the number of pairs.
    TF-IDF matches ``NgramSets.tfidf``: raw n-gram counts times smooth idf ln((1+N)/(1+df)) + 1,
    L2-normalised.
    """

    def __init__(self, docs: list[str]):
        self.n_docs = len(docs)
        lengths = np.fromiter((len(t) for t in docs), dtype=np.int64, count=self.n_docs)
        self.starts = np.zeros(self.n_docs + 1, dtype=np.int64)
        np.cumsum(lengths, out=self.starts[1:])
        self.cps = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
        self._lock = threading.Lock()
        self._sizes: dict[tuple[int, ...], np.ndarray] = {}
        self._norms: np.ndarray | None = None

    @staticmethod
    def _mask(orders: tuple[int, ...], n_max: int) -> np.ndarray:
        mask = np.zeros(n_max + 1, dtype=np.bool_)
        mask[list(orders)] = True
        return mask

    @cached_property
    def idf_table(self) -> tuple[np.ndarray, np.ndarray, np.uint64]:
        """Open-addressing table n-gram key -> idf for orders 3..5 (exact document frequency)."""
        lo, hi = CHAR_TFIDF_ORDERS[0], CHAR_TFIDF_ORDERS[-1]
        results: list = [None, None]

        def shard(s: int) -> None:  # the kernel releases the GIL: two shards, two threads
            results[s] = kernels.char_df_table(self.cps, self.starts, lo, hi, s, 2)

        threads = [threading.Thread(target=shard, args=(s,)) for s in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        (k0, df0), (k1, df1) = results
        keys, vals, _ = kernels.merge_tables(k0, df0, k1, df1)
        used = keys != 0
        vals[used] = np.log((1.0 + self.n_docs) / (1.0 + vals[used])) + 1.0
        shift = np.uint64(64 - (len(keys).bit_length() - 1))
        return keys, vals, shift

    def _doc_stats(self, orders: tuple[int, ...], tfidf: bool) -> None:
        n_max = max(orders + (CHAR_TFIDF_ORDERS if tfidf else ()))
        lo, hi = (CHAR_TFIDF_ORDERS[0], CHAR_TFIDF_ORDERS[-1]) if tfidf else (1, 0)
        keys, vals, shift = self.idf_table if tfidf else _NO_TABLE
        sizes, norm2 = kernels.char_doc_stats(
            self.cps,
            self.starts,
            n_max,
            self._mask(orders, n_max),
            lo,
            hi,
            keys,
            vals,
            shift,
            _BLOCKS,
        )
        self._sizes[orders] = sizes
        if tfidf:
            self._norms = np.sqrt(norm2)

    def sizes(self, orders: tuple[int, ...]) -> np.ndarray:
        """(docs x n_max+1) number of distinct n-grams of each order (columns not asked: 0)."""
        with self._lock:
            if orders not in self._sizes:
                self._doc_stats(orders, tfidf=False)
            return self._sizes[orders]

    def norms(self) -> np.ndarray:
        """L2 norm of each document's TF-IDF vector over 3-5-grams (0: no such n-gram)."""
        with self._lock:
            if self._norms is None:
                self._doc_stats(CHAR_TFIDF_ORDERS, tfidf=True)
            return self._norms

    def pair_stats(
        self, d1: np.ndarray, d2: np.ndarray, orders: tuple[int, ...], tfidf: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(|A_n ∩ B_n| per pair and order n, TF-IDF cosine per pair or None)."""
        n_max = max(orders + (CHAR_TFIDF_ORDERS if tfidf else ()))
        lo, hi = (CHAR_TFIDF_ORDERS[0], CHAR_TFIDF_ORDERS[-1]) if tfidf else (1, 0)
        keys, vals, shift = self.idf_table if tfidf else _NO_TABLE
        inter, dot = kernels.char_pair_stats(
            self.cps,
            self.starts,
            d1.astype(np.int64),
            d2.astype(np.int64),
            n_max,
            self._mask(orders, n_max),
            lo,
            hi,
            keys,
            vals,
            shift,
            _BLOCKS,
        )
        if not tfidf:
            return inter, None
        norms = self.norms()
        den = norms[d1] * norms[d2]
        cos = np.full(len(d1), np.nan)
        np.divide(dot, den, out=cos, where=den > 0)
        return inter, np.clip(cos, 0.0, 1.0, out=cos, where=den > 0)


_NO_TABLE = (np.zeros(64, dtype=np.uint64), np.zeros(64, dtype=np.float64), np.uint64(58))
