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
import pyarrow as pa
import scipy.sparse as sp
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

from featurestore.features import kernels, wordkernels

BM25_K1 = 1.5
BM25_B = 0.75
BM25_EPSILON = 0.25
CHAR_TFIDF_ORDERS = (3, 4, 5)
_BLOCKS = 64  # work blocks per kernel call (load balance across threads)
_DF_BATCH = 8_000_000  # n-grams per batch of the document-frequency count (~128 MiB of keys)
_NORM_BATCH = 4_000_000  # n-grams per batch of the TF-IDF norm pass (~36 bytes each)
_RANK_PARTS = 1024  # key ranges the word n-gram column ids are found in (wordkernels)


def _first_seen_ids(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ids 0..K-1 for arbitrary integer keys, in order of first appearance.

    Hash-distinct and a hash join (polars, multithreaded): no sort of the keys.
    """
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int32), 0
    k = pl.Series("k", keys)
    distinct = pl.DataFrame({"k": k.unique(maintain_order=True)}).with_row_index("id")
    ids = pl.DataFrame({"k": k}).join(distinct, on="k", how="left", maintain_order="left")["id"]
    return ids.to_numpy().astype(np.int32), distinct.height


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """sum_j a[i, j] * b[i, j] for every row i (two equally shaped sparse matrices)."""
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def pair_dot(a: sp.csr_matrix, b: sp.csr_matrix, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """sum_j a[d1[p], j] * b[d2[p], j] per pair; ``a`` and ``b`` share one sparsity pattern."""
    return kernels.csr_pair_dot(
        a.indptr, a.indices, a.data, b.data, d1.astype(np.int64), d2.astype(np.int64)
    )


def _counts_by_n(indptr: np.ndarray, indices: np.ndarray, col_n: np.ndarray, n_max: int):
    """(rows x n_max+1) number of entries per row split by the n-gram order of each column.

    Rows' columns are sorted and grouped by order (``col_n`` non-decreasing), so a row's count
    of order n is the number of its columns in order n's column range.
    """
    if np.any(col_n[1:] < col_n[:-1]):
        raise ValueError("n-gram columns must be grouped by order (col_n non-decreasing)")
    starts = np.searchsorted(col_n, np.arange(n_max + 2), side="left").astype(np.int64)
    return kernels.csr_row_range_counts(indptr, indices, starts)


class NgramSets:
    """Distinct n-grams of every document as CSR rows (sorted columns grouped by order n).

    ``indptr``/``indices`` are the sets (all the set features read); ``counts`` (float32, exact
    small integers) are the n-gram counts, kept only until the TF-IDF weights are built from them.
    """

    def __init__(self, counts: sp.csr_matrix, col_n: np.ndarray, ns: tuple[int, ...]):
        self.shape = counts.shape
        self.indptr = counts.indptr.astype(np.int64, copy=False)
        self.indices = counts.indices.astype(np.int32, copy=False)
        self.counts: np.ndarray | None = counts.data.astype(np.float32, copy=False)
        self.col_n = col_n.astype(np.int8)
        self.ns = ns
        self.n_max = max(ns)
        self.sizes = _counts_by_n(self.indptr, self.indices, self.col_n, self.n_max)

    def intersections(self, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
        """|A_n ∩ B_n| for each pair (rows) and order n (columns 0..n_max)."""
        return kernels.csr_pair_shared(
            self.indptr,
            self.indices,
            self.col_n,
            self.n_max + 1,
            d1.astype(np.int64),
            d2.astype(np.int64),
        )

    def take_tfidf(self, ns: tuple[int, ...]) -> tuple[sp.csr_matrix, np.ndarray]:
        """(L2-normalised TF-IDF rows over the orders ``ns``, rows with any such n-gram).

        Smooth idf ln((1+N)/(1+df)) + 1, raw tf, float32 weights. The matrix shares this set's
        ``indptr``/``indices`` (columns of other orders hold 0, which adds nothing to a dot
        product), and the counts are released: call once (FieldIndex.tfidf_word caches it).
        """
        if self.counts is None:
            raise RuntimeError("n-gram counts were already turned into TF-IDF weights")
        n_docs = self.shape[0]
        # columns are grouped by order: order n's are starts[n]:starts[n + 1], and document
        # frequencies are needed only below the last asked order's end
        starts = np.searchsorted(self.col_n, np.arange(self.n_max + 2), side="left")
        df = kernels.csr_column_counts_below(self.indptr, self.indices, int(starts[max(ns) + 1]))
        idf = np.zeros(self.shape[1], dtype=np.float64)
        for n in ns:
            lo, hi = int(starts[n]), int(starts[n + 1])
            idf[lo:hi] = np.log((1.0 + n_docs) / (1.0 + df[lo:hi])) + 1.0
        weights, nonempty = kernels.csr_tfidf_rows(self.indptr, self.indices, self.counts, idf)
        self.counts = None
        m = sp.csr_matrix((weights, self.indices, self.indptr), shape=self.shape, copy=False)
        return m, nonempty


class FieldIndex:
    """Everything pairwise text features need for one text field of the items table.

    ``texts`` is aligned with the items rows (null allowed). Matrices are built lazily, only for
    the feature groups a run asks for.
    """

    def __init__(self, texts: pl.Series):
        texts = texts.cast(pl.String)
        docs = _documents_by_code_map(texts)
        if docs is None:  # a character whose lower case is not one context-free character
            docs = _documents_by_polars(texts)
        doc_of_item, cps, starts, n_words, self._word = docs
        self.doc_of_item = doc_of_item
        self.n_docs = len(starts) - 1
        self.doc_chars = np.diff(starts).astype(np.float64)
        self.doc_words = n_words.astype(np.float64)
        self.codes = (cps, starts)

    @property
    def doc_text(self) -> np.ndarray:
        """The documents (lower-cased texts) as an object array of str, decoded from ``codes``.

        Not kept as Python strings (2-4 bytes per character plus ~60 per object); rebuilt on
        demand (one pass, ~0.3 s for 200k long texts).
        """
        cps, starts = self.codes
        return _split_at(_decode(cps), starts)

    # -- words -----------------------------------------------------------------------------
    @cached_property
    def _token_ids(self) -> tuple[np.ndarray, np.ndarray, int]:
        """(doc of each token occurrence, token id, vocabulary size), in document order.

        Tokens are ``tokenize``'s (maximal runs of letters and digits of the lower-cased text),
        read straight from the code points by a compiled pass: a token is its 64-bit hash, and
        ids are dense over the distinct hashes. Two distinct words sharing a hash would be one
        token; with V distinct words that has probability about V^2 / 2^65 (1e-10 for 100k).
        """
        cps, starts = self.codes
        offsets = self._word_offsets()
        keys = kernels.word_token_keys(cps, starts, self._word, offsets)
        # ids in order of first appearance: frequent words get small ids, which keeps the word
        # n-gram keys built from them compact
        ids, vocab = _first_seen_ids(keys.view(np.int64))
        docs = np.repeat(np.arange(self.n_docs, dtype=np.int64), np.diff(offsets))
        return docs, ids.astype(np.int64), vocab

    @cached_property
    def word_ngrams(self) -> NgramSets:
        """Word 1..3-gram count matrix (gram columns grouped by n, float32 counts).

        Columns: the word ids (order 1), then the distinct 2-grams, then the 3-grams, each in
        order of their key (``_ngram_keys``). Compiled passes (wordkernels): the dense column
        ids of an order's keys without sorting all keys, then each row's few columns sorted
        and counted in place, written straight into the stacked rows.
        """
        _, ids, vocab = self._token_ids
        if len(ids) == 0:  # no word at all: one empty column
            counts = sp.csr_matrix((self.n_docs, 1), dtype=np.float32)
            sets = NgramSets(counts, np.ones(1, dtype=np.int8), (1, 2, 3))
        else:
            offsets = self._word_offsets()
            base = np.int64(max(vocab, 1))
            orders = [(ids.astype(np.int32), offsets, vocab)]  # order 1: word ids are columns
            for n in (2, 3):
                mixed = int(base) ** n > 2**63  # exact packing would wrap
                keys, woff = wordkernels.window_keys(ids, offsets, n, base, mixed)
                cols, k_cols = wordkernels.dense_ranks(keys, _RANK_PARTS, _BLOCKS)
                del keys
                orders.append((cols, woff, int(k_cols)))
            nnz = [wordkernels.sort_rows(cols, woff) for cols, woff, _ in orders]
            indptr = np.zeros(self.n_docs + 1, dtype=np.int64)
            np.cumsum(sum(nnz), out=indptr[1:])
            indices = np.empty(indptr[-1], dtype=np.int32)
            data = np.empty(indptr[-1], dtype=np.float32)
            cursor = indptr[:-1].copy()
            col_offset = 0
            for cols, woff, k_cols in orders:
                wordkernels.write_row_runs(cols, woff, col_offset, cursor, indices, data)
                col_offset += k_cols
            col_n = np.repeat(np.arange(1, 4, dtype=np.int8), [k for _, _, k in orders])
            del orders
            counts = sp.csr_matrix((data, indices, indptr), shape=(self.n_docs, col_offset))
            sets = NgramSets(counts, col_n, (1, 2, 3))
        self.__dict__["word_ngrams"] = sets
        self._release_tokens()
        return sets

    def _word_offsets(self) -> np.ndarray:
        """Start of each document's tokens in ``_token_ids`` (and the end)."""
        offsets = np.zeros(self.n_docs + 1, dtype=np.int64)
        np.cumsum(self.doc_words.astype(np.int64), out=offsets[1:])
        return offsets

    def _word_rows(self, ids: np.ndarray, vocab: int):
        """(indptr, indices, float32 counts, column count) of the word-count rows: each
        document's distinct word ids, sorted, with their counts (0 columns: no word at all)."""
        if len(ids) == 0:
            empty = np.zeros(self.n_docs + 1, np.int64)
            return empty, np.zeros(0, np.int32), np.zeros(0, np.float32), 0
        cols, offsets = ids.astype(np.int32), self._word_offsets()
        nnz = wordkernels.sort_rows(cols, offsets)
        indptr = np.zeros(self.n_docs + 1, dtype=np.int64)
        np.cumsum(nnz, out=indptr[1:])
        indices = np.empty(indptr[-1], dtype=np.int32)
        counts = np.empty(indptr[-1], dtype=np.float32)
        wordkernels.write_row_runs(cols, offsets, 0, indptr[:-1].copy(), indices, counts)
        return indptr, indices, counts, vocab

    @cached_property
    def bm25(self) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        """(query term counts Q, document weights W, self scores) replicating rank_bm25.BM25Okapi.

        score(a -> b) = sum over a's token occurrences q of idf(q) * tf(q,b)*(k1+1) /
        (tf(q,b) + k1*(1 - b + b*len(b)/avgdl)) = rowsum(Q[a] .* W[b]). idf = ln(N - df + .5) -
        ln(df + .5); negative idfs are replaced by epsilon * (mean idf over the vocabulary, taken
        before the replacement), exactly as rank_bm25 does.
        """
        _, ids, vocab = self._token_ids
        indptr, indices, counts, n_cols = self._word_rows(ids, vocab)
        q = sp.csr_matrix(
            (counts.astype(np.float64), indices, indptr), shape=(self.n_docs, max(n_cols, 1))
        )
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
        w = sp.csr_matrix(
            (idf[q.indices] * tf * (BM25_K1 + 1.0) / denom, q.indices, q.indptr),
            shape=q.shape,
            copy=False,
        )
        # the query side holds term counts: float32 is exact, and it shares w's index arrays
        q = sp.csr_matrix((tf.astype(np.float32), q.indices, q.indptr), shape=q.shape, copy=False)
        self_score = rowwise_dot(q, w)
        self.__dict__["bm25"] = (q, w, self_score)
        self._release_tokens()
        return q, w, self_score

    @cached_property
    def word_idf(self) -> np.ndarray:
        """Smooth idf ln((1+N)/(1+df)) + 1 of each word (unigram columns of word_ngrams).

        Word columns come first in every row (``word_ngrams``: columns grouped by order), so
        the document frequencies are counted over each row's first ``sizes[:, 1]`` entries only.
        """
        ng = self.word_ngrams
        n_words = int(np.count_nonzero(ng.col_n == 1))
        df = kernels.csr_prefix_column_counts(ng.indptr, ng.indices, ng.sizes[:, 1], n_words)
        idf = np.zeros(ng.shape[1], dtype=np.float64)
        idf[:n_words] = np.log((1.0 + self.n_docs) / (1.0 + df.astype(np.float64))) + 1.0
        return idf

    @cached_property
    def antiword_mass(self) -> np.ndarray:
        """Sum of the idf of each document's distinct words (the anti-word features' total).

        The same additions, in the same order, as ``shared_word_mass`` of a document with
        itself (its word columns in row order; the n-gram columns after them add +0.0), so
        identical word sets leave exactly 0 anti-word mass.
        """
        ng = self.word_ngrams
        return kernels.csr_row_prefix_weight(ng.indptr, ng.indices, ng.sizes[:, 1], self.word_idf)

    def shared_word_mass(self, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
        """Sum of the idf of the distinct words both documents of each pair have."""
        ng = self.word_ngrams
        return kernels.csr_pair_shared_weight(
            ng.indptr, ng.indices, self.word_idf, d1.astype(np.int64), d2.astype(np.int64)
        )

    def _release_tokens(self) -> None:
        """Drop the token ids once both word indexes that read them are built."""
        if "word_ngrams" in self.__dict__ and "bm25" in self.__dict__:
            self.__dict__.pop("_token_ids", None)

    # -- characters -------------------------------------------------------------------------
    @cached_property
    def chars(self) -> CharGrams:
        """Character n-gram statistics of the lower-cased documents."""
        cps, starts = self.codes
        return CharGrams(cps, starts)

    @cached_property
    def fuzz_texts(self) -> FuzzTexts:
        """The documents as rapidfuzz reads them fastest (see ``FuzzTexts``)."""
        return FuzzTexts(self)

    @cached_property
    def tfidf_word(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Word 1-2-gram TF-IDF rows (sharing the word n-gram sets' arrays), rows with a word."""
        return self.word_ngrams.take_tfidf((1, 2))

    def lcs_lengths(self, d1: np.ndarray, d2: np.ndarray, workers: int) -> np.ndarray:
        """Longest common subsequence length per pair (rapidfuzz), as float64.

        The "lcs" and "fuzzy" groups both need it for the same pairs of a chunk: the last result
        is kept and reused when asked again for the same pairs.
        """
        memo = self.__dict__.get("_lcs_memo")
        if memo is not None and np.array_equal(memo[0], d1) and np.array_equal(memo[1], d2):
            return memo[2]
        plain = self.fuzz_texts.plain
        a, b = plain[d1].tolist(), plain[d2].tolist()
        lcs = process.cpdist(a, b, scorer=LCSseq.similarity, workers=workers).astype(np.float64)
        self.__dict__["_lcs_memo"] = (d1.copy(), d2.copy(), lcs)
        return lcs


def _keep_worded(cps: np.ndarray, starts: np.ndarray):
    """(code points, starts, word counts, kept mask, word table) of the texts with at least one
    word (``word_code_points`` decided over all the texts)."""
    word = word_code_points(cps)
    n_words = kernels.word_token_counts(cps, starts, word)
    keep = n_words > 0
    if not keep.all():
        lengths = np.diff(starts)
        cps = cps[np.repeat(keep, lengths)]
        starts = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[keep], out=starts[1:])
    return cps, starts, n_words[keep], keep, word


def _documents_by_polars(texts: pl.Series):
    """(document of each item, code points, starts, word counts, word table) of the field's
    documents: the distinct lower-cased texts (polars) with a word token, in order of first
    appearance."""
    lower = pl.DataFrame({"t": texts.str.to_lowercase()})
    # distinct texts by hashing (no sort of long strings), in order of first appearance
    distinct = lower.drop_nulls().unique("t", keep="first", maintain_order=True)["t"]
    lengths = distinct.str.len_chars().to_numpy().astype(np.int64)
    cps, starts, n_words, keep, word = _keep_worded(*_code_points(distinct, lengths))
    docs = pl.DataFrame({"t": distinct.filter(keep)}).with_row_index("doc")
    doc = lower.join(docs, on="t", how="left", maintain_order="left")
    return doc["doc"].cast(pl.Int64).fill_null(-1).to_numpy(), cps, starts, n_words, word


def lowercase_code_map(cps: np.ndarray) -> np.ndarray | None:
    """Lookup table code point -> its lower case as polars' ``str.to_lowercase`` gives it, or
    None when some character of the corpus does not lower-case to exactly one character of the
    same width, or is the Greek capital sigma (whose lower case depends on its neighbours).

    polars lower-cases character by character (Rust's ``str::to_lowercase``: each character's
    full lower-case mapping; sigma is the only context-dependent one), so with such a table
    lower-casing the code points equals lower-casing the texts. Decided once per distinct
    character, by polars itself.
    """
    present = _present_codes(cps)
    if len(present) == 0:
        return np.zeros(1, dtype=cps.dtype)
    chars = pl.Series([chr(c) for c in present.tolist()], dtype=pl.String)
    lowered = chars.str.to_lowercase().to_list()
    if 0x3A3 in set(present.tolist()) or any(len(x) != 1 for x in lowered):
        return None
    mapped = np.array([ord(x) for x in lowered], dtype=np.int64)
    if mapped.max() > np.iinfo(cps.dtype).max:
        return None
    lut = np.zeros(int(present[-1]) + 1, dtype=cps.dtype)
    lut[present] = mapped
    return lut


def _documents_by_code_map(texts: pl.Series):
    """``_documents_by_polars``'s result computed from the distinct raw texts: their code points
    lower-cased through ``lowercase_code_map`` (one table look-up per character instead of
    polars' per-character case mapping, ~5x slower), equal lower-cased texts found by a 64-bit
    hash and then compared in full. None when the table does not exist or two different texts
    share a hash (then the polars path runs)."""
    frame = pl.DataFrame({"t": texts})
    raw = frame.drop_nulls().unique("t", keep="first", maintain_order=True)["t"]
    lengths = raw.str.len_chars().to_numpy().astype(np.int64)
    cps, starts = _code_points(raw, lengths)
    lut = lowercase_code_map(cps)
    if lut is None:
        return None
    cps = wordkernels.map_codes(cps, lut, _BLOCKS)
    hashes = wordkernels.text_hashes(cps, starts, _BLOCKS)
    # each raw text's representative: the first raw text with the same lower-cased hash
    by_hash = pl.DataFrame({"h": hashes}).with_row_index("i")
    firsts = by_hash.group_by("h", maintain_order=True).agg(pl.col("i").first().alias("rep"))
    rep = by_hash.join(firsts, on="h", how="left", maintain_order="left")["rep"].to_numpy()
    rep = rep.astype(np.int64)
    if not wordkernels.texts_equal(cps, starts, rep, _BLOCKS):
        return None  # a hash collision: let polars compare the strings
    distinct = np.flatnonzero(rep == np.arange(len(rep)))  # in order of first appearance
    lengths = lengths[distinct]
    d_starts = np.zeros(len(distinct) + 1, dtype=np.int64)
    np.cumsum(lengths, out=d_starts[1:])
    d_cps = wordkernels.gather_texts(cps, starts, distinct, d_starts, _BLOCKS)
    d_cps, d_starts, n_words, keep, word = _keep_worded(d_cps, d_starts)
    doc_of_distinct = np.full(len(distinct), -1, dtype=np.int64)
    doc_of_distinct[keep] = np.arange(int(keep.sum()))
    doc_of_raw = np.full(len(rep), -1, dtype=np.int64)
    doc_of_raw[distinct] = doc_of_distinct
    doc_of_raw = doc_of_raw[rep]
    raw_ids = pl.DataFrame({"t": raw}).with_row_index("raw")
    row_raw = frame.join(raw_ids, on="t", how="left", maintain_order="left")["raw"]
    row_raw = row_raw.cast(pl.Int64).fill_null(-1).to_numpy()
    doc_of_item = np.full(len(row_raw), -1, dtype=np.int64)
    present = row_raw >= 0
    doc_of_item[present] = doc_of_raw[row_raw[present]]
    return doc_of_item, d_cps, d_starts, n_words, word


class CharGrams:
    """Character n-grams (orders 1..7) of a list of documents, computed on the fly per pair.

    Holds only the code points (``FieldIndex.codes``) and, once asked for, per-document set sizes per order,
    the exact document frequencies of 3-5-grams (for TF-IDF) and each document's TF-IDF norm:
    O(total characters + distinct 3-5-grams) memory, whatever the number of pairs.
    TF-IDF matches ``NgramSets.tfidf``: raw n-gram counts times smooth idf ln((1+N)/(1+df)) + 1,
    L2-normalised.
    """

    def __init__(self, cps: np.ndarray, starts: np.ndarray):
        self.n_docs = len(starts) - 1
        self.starts = starts
        self.cps = cps
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
        keys, vals, _ = kernels.char_df_partitioned(self.cps, self.starts, lo, hi, _DF_BATCH)
        used = keys != 0
        vals[used] = np.log((1.0 + self.n_docs) / (1.0 + vals[used])) + 1.0
        shift = np.uint64(64 - (len(keys).bit_length() - 1))
        return keys, vals, shift

    def _plan(self, orders: tuple[int, ...], tfidf: bool) -> tuple:
        """The kernels' shared arguments: (n_max, wanted-order mask, TF-IDF orders lo, hi, idf
        table keys, values, shift); lo > hi and an empty table when no TF-IDF is asked."""
        n_max = max(orders + (CHAR_TFIDF_ORDERS if tfidf else ()))
        lo, hi = (CHAR_TFIDF_ORDERS[0], CHAR_TFIDF_ORDERS[-1]) if tfidf else (1, 0)
        keys, vals, shift = self.idf_table if tfidf else _NO_TABLE
        return n_max, self._mask(orders, n_max), lo, hi, keys, vals, shift

    def _doc_stats(self, orders: tuple[int, ...], tfidf: bool) -> None:
        plan = self._plan(orders, tfidf)
        sizes, norm2 = kernels.char_doc_stats(self.cps, self.starts, *plan, _BLOCKS, _NORM_BATCH)
        self._sizes[orders] = sizes
        if tfidf:
            self._norms = np.sqrt(norm2)

    def sizes(self, orders: tuple[int, ...], tfidf: bool = False) -> np.ndarray:
        """(docs x n_max+1) number of distinct n-grams of each order (columns not asked: 0).

        ``tfidf``: also compute the TF-IDF norms in the same pass over the documents if they
        are not there yet (the char_ngrams group needs both).
        """
        with self._lock:
            if orders not in self._sizes or (tfidf and self._norms is None):
                self._doc_stats(orders, tfidf=tfidf)
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
        plan = self._plan(orders, tfidf)
        d1, d2 = d1.astype(np.int64), d2.astype(np.int64)
        inter, dot = kernels.char_pair_stats(self.cps, self.starts, d1, d2, *plan, _BLOCKS)
        if not tfidf:
            return inter, None
        norms = self.norms()
        den = norms[d1] * norms[d2]
        cos = np.full(len(d1), np.nan)
        np.divide(dot, den, out=cos, where=den > 0)
        return inter, np.clip(cos, 0.0, 1.0, out=cos, where=den > 0)


_NO_TABLE = (np.zeros(64, dtype=np.uint64), np.zeros(64, dtype=np.float64), np.uint64(58))


# Latin-1 code points rapidfuzz (and Python's str.split) treat as whitespace. 28-31 are among them
# for Python but not for Unicode's White_Space (the regex \s), so a corpus with them is not re-coded.
_LATIN1_SPACE = frozenset([*range(9, 14), *range(28, 33), 0x85, 0xA0])
_KEPT_SPACE = frozenset([*range(9, 14), 32, 0x85, 0xA0])


def _present_codes(cps: np.ndarray) -> np.ndarray:
    """The distinct code points of the corpus, ascending."""
    if cps.dtype.itemsize <= 2:
        return np.flatnonzero(kernels.present_codes(cps, 1 << (8 * cps.dtype.itemsize)))
    return np.unique(cps)


def _code_point_table(cps: np.ndarray, test) -> np.ndarray:
    """Lookup table by code point: ``test(chr(c))`` for each distinct character of the corpus
    (a few hundred at most), False elsewhere."""
    present = _present_codes(cps)
    table = np.zeros(int(present[-1]) + 1 if len(present) else 1, dtype=np.bool_)
    for c in present.tolist():
        table[c] = test(chr(c))
    return table


def word_code_points(cps: np.ndarray) -> np.ndarray:
    """Lookup table by code point: True for the characters a word token is made of.

    The same test as ``textclean.tokenize`` (``str.isalnum``: letters and digits).
    """
    return _code_point_table(cps, str.isalnum)


def whitespace_code_points(codes: np.ndarray) -> np.ndarray:
    """Lookup table by code point: True for the characters ``str.split()`` splits on
    (``str.isspace``)."""
    return _code_point_table(codes, str.isspace)


def byte_alphabet(cps: np.ndarray) -> np.ndarray | None:
    """Order-preserving map from the corpus' code points to Latin-1, or None when none exists.

    rapidfuzz compares characters only for equality, and its token scorers split on whitespace and
    sort tokens by code point. A map that keeps equality, order and whitespace therefore gives the
    same scores, and on one-byte strings rapidfuzz uses its fast 256-entry lookup tables instead of
    hash maps (3x faster on Cyrillic text). Whitespace characters keep their code (they must be
    Latin-1 ones: tab, newline, ..., ' ', NEL, NBSP); every other character gets the next free
    non-whitespace code, in code point order. Returns a lookup table indexed by code point
    (uint8), or None when the corpus has other whitespace or too many distinct characters.
    """
    if len(cps) == 0:
        return None
    present = _present_codes(cps)
    lut = np.zeros(int(present[-1]) + 1, dtype=np.uint8)
    code = 0  # lowest code still free
    for c in present.tolist():  # distinct characters: a few hundred at most
        if chr(c).isspace():
            if c not in _KEPT_SPACE or c < code:
                return None
            lut[c] = code = c
        else:
            while code in _LATIN1_SPACE:
                code += 1
            if code > 255:
                return None
            lut[c] = code
        code += 1
    return lut


class FuzzTexts:
    """The documents prepared once for rapidfuzz, three ways (object arrays of str).

    * ``plain``: the lower-cased document, re-coded to Latin-1 by ``byte_alphabet`` when the
      corpus allows it (else the document itself);
    * ``sorted_tokens``: its whitespace tokens sorted and joined by one space: fuzz.ratio on these
      equals fuzz.token_sort_ratio on the documents;
    * ``token_set``: the same with repeated tokens dropped: token_set_ratio gives the same score on
      these, with less work per pair.
    """

    def __init__(self, ix: FieldIndex):
        cps, starts = ix.codes
        lut = byte_alphabet(cps)
        self.recoded = lut is not None
        self._codes, self._lut = ix.codes, lut  # to rebuild the token forms' code points
        if lut is None:  # whitespace outside Latin-1 or a large alphabet: the texts as they are
            self.plain = ix.doc_text
        else:
            self.plain = _split_at(_decode(kernels.recode(cps, lut)), starts)

    @property
    def sorted_tokens(self) -> np.ndarray:
        return self._token_forms[0]

    @property
    def token_set(self) -> np.ndarray:
        return self._token_forms[1]

    @cached_property
    def _token_forms(self) -> tuple[np.ndarray, np.ndarray]:
        """Both token forms in one compiled pass over the code points ``plain`` holds.

        Tokens are split as Python's ``str.split()`` splits (rapidfuzz splits the same way on
        Python's whitespace), whitespace decided per distinct code point with ``str.isspace``,
        and sorted by code point sequence, as rapidfuzz sorts them.
        """
        cps, starts = self._codes
        return token_forms(cps if self._lut is None else kernels.recode(cps, self._lut), starts)


def token_forms(codes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted tokens, token set) of each text ``codes[starts[i]:starts[i + 1]]`` (object arrays
    of str): exactly ``" ".join(sorted(t.split()))`` and the same with repeated tokens dropped.

    ``codes`` are code points (uint8 read as Latin-1, uint16 without surrogates, or uint32).
    """
    n = len(starts) - 1
    if n == 0:
        return _objects([]), _objects([])
    space = whitespace_code_points(codes)
    buf, used = wordkernels.token_forms(codes, starts, space, _BLOCKS)
    forms = _decode(buf[:used]).split("\n")  # one form per line: n sorted, then n sets
    del buf
    return _objects(forms[:n]), _objects(forms[n:])


def _code_points(texts: pl.Series, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code points of all texts back to back, start offset of each text + end).

    uint16 (UTF-16 code units) when no text has a character beyond the Basic Multilingual Plane
    (almost always), else uint32 code points: the char kernels and the rapidfuzz re-coding read it.
    Decoded from the texts' UTF-8 (Arrow) buffer by a compiled pass; ``texts`` has no nulls and
    ``lengths`` are its lengths in characters.
    """
    arr = texts.cast(pl.String).to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    wide = len(data) > 0 and data.max() >= 0xF0  # a 4-byte sequence: beyond the BMP
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths.astype(np.int64), out=starts[1:])
    out = np.empty(starts[-1], dtype=np.uint32 if wide else np.uint16)
    if not wordkernels.utf8_decode(data, offsets, starts, out, _BLOCKS):
        raise ValueError("text lengths in characters do not match their UTF-8 bytes")
    return out, starts


def _decode(codes: np.ndarray) -> str:
    """The string of a code point array (uint8: Latin-1, uint16: BMP code units, uint32)."""
    encoding = {1: "latin-1", 2: "utf-16-le", 4: "utf-32-le"}[codes.dtype.itemsize]
    return str(memoryview(codes).cast("B"), encoding)  # no bytes copy


def _split_at(joined: str, starts: np.ndarray) -> np.ndarray:
    """``joined`` cut at the offsets ``starts`` (n + 1 of them) into n strings (object array)."""
    bounds = starts.tolist()
    return _objects(joined[s:e] for s, e in zip(bounds[:-1], bounds[1:], strict=True))


def _objects(strings) -> np.ndarray:
    out = list(strings)
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr
