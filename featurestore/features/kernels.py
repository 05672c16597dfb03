"""Compiled (numba) kernels for pairwise text features: one pass per pair, no per-pair Python.

Two families:

* **Character n-grams** are never materialised per document (1..7-grams of 200k descriptions
  would need several GiB). A kernel re-hashes both texts of a pair from their code points, puts
  the first text's n-grams into a small open-addressing table (reused across pairs and emptied
  through the list of slots it used) and probes it with the second
  text's n-grams. One pass gives |A_n ∩ B_n| for every order n and the TF-IDF dot product.
  Document frequencies for TF-IDF come from one exact global table (``char_df_partitioned``).
* **Sorted sparse rows** (CSR with sorted column indices, as scipy builds them): a merge of the two
  rows of each pair gives a weighted dot product (BM25, TF-IDF cosine, shared-word idf mass) or
  the count of shared columns per column group (word n-gram intersections).

An n-gram key is a 64-bit FNV-1a-style hash of the code points with the order n in the top three
bits, so keys of different orders never collide; distinct n-grams of one order colliding in the
remaining 61 bits is possible in principle but vanishingly rare (about K^2 / 2^62 for K distinct
n-grams). Table slots come from the high bits of a Fibonacci multiply of the key.

All kernels take and return numpy arrays, run in parallel over documents or pairs with
``numba.prange`` (threads: ``numba.set_num_threads``), and are cached on disk after the first
compilation.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_FIB = np.uint64(0x9E3779B97F4A7C15)
_LOW61 = np.uint64((1 << 61) - 1)
_EMPTY = np.uint64(0)


@njit(cache=True, inline="always")
def _tag(h, n):
    """The key of an n-gram whose running hash is ``h``: order in the top 3 bits, never 0."""
    return (h & _LOW61) | (np.uint64(n) << np.uint64(61))


@njit(cache=True, inline="always")
def _slot(key, shift):
    return (key * _FIB) >> shift


@njit(cache=True)
def _capacity_bits(n_keys):
    """log2 of the table size for ``n_keys`` keys: a power of two >= 2 * n_keys, at least 64."""
    bits = 6
    while (1 << bits) < 2 * n_keys:
        bits += 1
    return bits


@njit(cache=True)
def _capacity_for(n_keys):
    """(table size, slot shift) for ``n_keys`` keys (load factor <= 0.5)."""
    bits = _capacity_bits(n_keys)
    return 1 << bits, np.uint64(64 - bits)


@njit(cache=True)
def _local_table(n_keys):
    """An empty per-thread table for ``n_keys`` keys: (slot shift, slot mask, keys, counts, list
    of used slots, which lets a caller empty just those slots between documents or pairs)."""
    cap, shift = _capacity_for(n_keys)
    tkey = np.zeros(cap, np.uint64)
    cnt = np.zeros(cap, np.int32)
    used = np.zeros(cap, np.uint64)
    return shift, np.uint64(cap - 1), tkey, cnt, used


@njit(cache=True)
def _grams_in(length, lo, hi):
    """How many n-grams of orders lo..hi a text of ``length`` code points has."""
    total = 0
    for n in range(lo, hi + 1):
        if length >= n:
            total += length - n + 1
    return total


# --------------------------------------------------------------------- global df table
@njit(cache=True, inline="always")
def _doc_distinct_keys(cps, s, e, lo, hi, tkey, used, shift, mask, out, o):
    """Append the distinct n-gram keys (orders lo..hi) of cps[s:e] to ``out`` from ``o`` on.

    Uses the local table ``tkey`` (emptied again before returning); returns the new end ``o``.
    """
    n_used = 0
    for i in range(s, e):
        h = _FNV_OFFSET
        for n in range(1, hi + 1):
            if i + n > e:
                break
            h = (h ^ np.uint64(cps[i + n - 1])) * _FNV_PRIME
            if n < lo:
                continue
            key = _tag(h, n)
            j = _slot(key, shift)
            while tkey[j] != _EMPTY and tkey[j] != key:
                j = (j + np.uint64(1)) & mask
            if tkey[j] == _EMPTY:
                tkey[j] = key
                used[n_used] = j
                n_used += 1
                out[o] = key
                o += 1
    for k in range(n_used):
        tkey[used[k]] = _EMPTY
    return o


@njit(cache=True, inline="always")
def _part_slot(key, pbits, cbits):
    """(partition, slot in the partition) from the high bits of a Fibonacci multiply of ``key``."""
    h = key * _FIB
    return h >> np.uint64(64 - pbits), (h << np.uint64(pbits)) >> np.uint64(64 - cbits)


@njit(cache=True)
def _grow_partitions(keys, dfs, pbits, cbits):
    """The partition tables rehashed into twice the capacity each."""
    n_parts = keys.shape[0]
    cbits += 1
    cap = 1 << cbits
    mask = np.uint64(cap - 1)
    new_keys = np.zeros((n_parts, cap), np.uint64)
    new_dfs = np.zeros((n_parts, cap), np.int32)
    for p in range(n_parts):
        for i in range(keys.shape[1]):
            k = keys[p, i]
            if k != _EMPTY:
                j = _part_slot(k, pbits, cbits)[1]
                while new_keys[p, j] != _EMPTY:
                    j = (j + np.uint64(1)) & mask
                new_keys[p, j] = k
                new_dfs[p, j] = dfs[p, i]
    return new_keys, new_dfs, cbits


@njit(cache=True)
def _emit_distinct(cps, starts, d0, d1, lo, hi, out, o):
    """The distinct n-gram keys (orders lo..hi) of documents d0..d1-1, each document's listed
    once, written to ``out`` from ``o`` on; returns the end."""
    shift, mask, tkey, _, used = _local_table(_max_grams(starts, np.arange(d0, d1), hi))
    for x in range(d0, d1):
        o = _doc_distinct_keys(
            cps, starts[x], starts[x + 1], lo, hi, tkey, used, shift, mask, out, o
        )
    return o


@njit(cache=True)
def _merge_partitions(keys, dfs, n):
    """One open-addressing table (keys, df as float64, n) from the partition tables."""
    cap, gshift = _capacity_for(n)
    out_keys = np.zeros(cap, np.uint64)
    out_vals = np.zeros(cap, np.float64)
    gmask = np.uint64(cap - 1)
    for q in range(keys.shape[0]):
        for i in range(keys.shape[1]):
            k = keys[q, i]
            if k != _EMPTY:
                j = _slot(k, gshift)
                while out_keys[j] != _EMPTY:
                    j = (j + np.uint64(1)) & gmask
                out_keys[j] = k
                out_vals[j] = dfs[q, i]
    return out_keys, out_vals, n


@njit(cache=True, parallel=True)
def char_df_partitioned(cps, starts, lo, hi, batch_grams, start_bits=10):
    """Exact document frequency of every n-gram of orders lo..hi, as one open-addressing table.

    Built cache-friendly (one shared table of millions of keys misses the cache on every insert,
    which made this step ~2x slower on 200k descriptions): documents are
    taken in batches of about ``batch_grams`` n-grams; each document's distinct keys are listed
    (a small local table, in two threads), the batch's keys are bucketed by the top 8 bits of
    their hash (a counting sort), and each of the 256 buckets is counted into its own small
    table, in parallel: every insert then touches a table that fits in cache instead of one
    table of millions of keys. Partition tables start with 2**start_bits slots and double
    (all together) when one would become more than half full. Returns (keys, df as float64, number
    of keys); key 0 = empty slot, slot = high bits of a Fibonacci multiply (``_slot``), as
    ``_lookup`` reads it.
    """
    n_docs = len(starts) - 1
    pbits = 8
    n_parts = 1 << pbits
    cbits = start_bits
    keys = np.zeros((n_parts, 1 << cbits), np.uint64)
    dfs = np.zeros((n_parts, 1 << cbits), np.int32)
    fill = np.zeros(n_parts, np.int64)
    d = 0
    while d < n_docs:
        # the batch: documents d .. b1 with about batch_grams n-grams, split in two halves
        total = 0
        b1 = d
        while b1 < n_docs and (total < batch_grams or b1 == d):
            total += _grams_in(starts[b1 + 1] - starts[b1], lo, hi)
            b1 += 1
        mid = (d + b1) // 2
        half_lo = np.empty(2, np.int64)
        half_hi = np.empty(2, np.int64)
        half_lo[0], half_lo[1], half_hi[0], half_hi[1] = d, mid, mid, b1
        half_cap = np.zeros(2, np.int64)
        for t in range(2):
            for x in range(half_lo[t], half_hi[t]):
                half_cap[t] += _grams_in(starts[x + 1] - starts[x], lo, hi)
        buf = np.empty(half_cap[0] + half_cap[1], np.uint64)
        half_start = np.zeros(2, np.int64)
        half_start[1] = half_cap[0]
        half_end = np.zeros(2, np.int64)
        for t in prange(2):
            half_end[t] = _emit_distinct(
                cps, starts, half_lo[t], half_hi[t], lo, hi, buf, half_start[t]
            )
        # bucket the batch's keys by partition (counting sort)
        bounds = np.zeros(n_parts + 1, np.int64)
        for t in range(2):
            for i in range(half_start[t], half_end[t]):
                part = _part_slot(buf[i], pbits, cbits)[0]
                bounds[part + np.uint64(1)] += 1
        for q in range(n_parts):
            bounds[q + 1] += bounds[q]
        bucketed = np.empty(bounds[n_parts], np.uint64)
        pos = bounds[:-1].copy()
        for t in range(2):
            for i in range(half_start[t], half_end[t]):
                part = _part_slot(buf[i], pbits, cbits)[0]
                bucketed[pos[part]] = buf[i]
                pos[part] += 1
        # count each partition's keys into its table; a partition about to pass half full stops
        # where it is, all tables double, and the counting goes on from there
        done = bounds[:-1].copy()
        while True:
            mask = np.uint64((1 << cbits) - 1)
            limit = (1 << cbits) // 2
            for p in prange(n_parts):
                i = done[p]
                while i < bounds[p + 1]:
                    key = bucketed[i]
                    j = _part_slot(key, pbits, cbits)[1]
                    while keys[p, j] != _EMPTY and keys[p, j] != key:
                        j = (j + np.uint64(1)) & mask
                    if keys[p, j] == _EMPTY:
                        if fill[p] >= limit:
                            break
                        keys[p, j] = key
                        fill[p] += 1
                    dfs[p, j] += 1
                    i += 1
                done[p] = i
            if np.all(done == bounds[1:]):
                break
            keys, dfs, cbits = _grow_partitions(keys, dfs, pbits, cbits)
        d = b1
    # one global table, as the pair and document kernels read it
    return _merge_partitions(keys, dfs, int(fill.sum()))


@njit(cache=True, inline="always")
def _lookup(gkeys, gvals, gshift, key):
    """Value of ``key`` in a global table (0.0 when absent)."""
    j = _slot(key, gshift)
    mask = np.uint64(len(gkeys) - 1)
    while gkeys[j] != _EMPTY:
        if gkeys[j] == key:
            return gvals[j]
        j = (j + np.uint64(1)) & mask
    return 0.0


# --------------------------------------------------------------------- per-document stats
@njit(cache=True)
def _max_grams(starts, docs, nmax):
    most = 1
    for d in docs:
        g = _grams_in(starts[d + 1] - starts[d], 1, nmax)
        if g > most:
            most = g
    return most


@njit(cache=True, inline="always")
def _insert(tkey, cnt, used, n_used, key, shift, mask):
    """Add one occurrence of ``key`` to the local table; returns (slot, new entry?, n_used)."""
    j = _slot(key, shift)
    while tkey[j] != _EMPTY and tkey[j] != key:
        j = (j + np.uint64(1)) & mask
    if tkey[j] == _EMPTY:
        tkey[j] = key
        cnt[j] = 1
        used[n_used] = j
        return j, True, n_used + 1
    cnt[j] += 1
    return j, False, n_used


@njit(cache=True, inline="always")
def _find(tkey, key, shift, mask):
    """Slot of ``key`` in the local table, or -1."""
    j = _slot(key, shift)
    while tkey[j] != _EMPTY:
        if tkey[j] == key:
            return np.int64(j)
        j = (j + np.uint64(1)) & mask
    return np.int64(-1)


@njit(cache=True, inline="always")
def _bigram_bit(cps, i):
    """Bit index (16 bits) of the bigram at cps[i], cps[i+1]; collisions only cost pruning."""
    return ((np.uint32(cps[i]) * np.uint32(40503)) ^ np.uint32(cps[i + 1])) & np.uint32(0xFFFF)


@njit(cache=True, inline="always")
def _has_bit(bmap, bit):
    return (bmap[bit >> np.uint32(6)] >> np.uint64(bit & np.uint32(63))) & np.uint64(1)


@njit(cache=True, inline="always")
def _insert_text(grams, table, s, e, new_per_order, bmap, pruned):
    """Put the n-grams of cps[s:e] (orders wanted or lo..hi) into the local table with counts.

    ``grams`` = (cps, nmax, wanted, lo, hi), what to hash; ``table`` = ``_local_table``'s tuple.
    Adds the number of distinct n-grams of each wanted order to ``new_per_order`` and returns
    how many slots were used (listed in ``used``, to empty the table afterwards). With
    ``pruned``, n-grams of order >= 2 starting where the bigram's bit is not set in ``bmap`` are
    left out (the pair kernel: such n-grams cannot be in the other text).
    """
    cps, nmax, wanted, lo, hi = grams
    shift, mask, tkey, cnt, used = table
    n_used = 0
    for i in range(s, e):
        h = _FNV_OFFSET
        top = nmax
        if pruned and (i + 1 >= e or _has_bit(bmap, _bigram_bit(cps, i)) == 0):
            top = 1
        for n in range(1, top + 1):
            if i + n > e:
                break
            h = (h ^ np.uint64(cps[i + n - 1])) * _FNV_PRIME
            if wanted[n] or lo <= n <= hi:
                j, new, n_used = _insert(tkey, cnt, used, n_used, _tag(h, n), shift, mask)
                if new and wanted[n]:
                    new_per_order[n] += 1
    return n_used


@njit(cache=True, parallel=True)
def char_doc_stats(cps, starts, nmax, wanted, lo, hi, gkeys, gvals, gshift, n_blocks, batch_grams):
    """Per document: distinct n-gram count per order (columns 0..nmax) and squared TF-IDF norm.

    ``wanted[n]`` says which orders to count; TF-IDF uses orders lo..hi (hi < lo: none) with
    weight tf * idf, idf read from the global table ``gkeys``/``gvals``.

    The idf look-ups are made cache-friendly: one look-up per distinct n-gram of each document
    straight into a table of millions of keys misses the cache nearly every time (it was two
    thirds of this pass on 200k descriptions). Documents are taken in batches of about
    ``batch_grams`` n-grams; each document's distinct (key, tf) are listed, the batch's keys
    are bucketed by the table region their slot falls in (a counting sort on the slot's top 10
    bits), each region's look-ups run together (in parallel), and each document then sums its
    (tf * idf)^2 in its own order, so the norms are bit for bit those of one look-up per n-gram.
    """
    grams = (cps, nmax, wanted, lo, hi)
    n_docs = len(starts) - 1
    sizes = np.zeros((n_docs, nmax + 1), np.int32)
    norm2 = np.zeros(n_docs, np.float64)
    tfidf = lo <= hi
    rbits = 10
    n_reg = 1 << rbits
    d = 0
    while d < n_docs:
        total = 0
        b1 = d
        while b1 < n_docs and (total < batch_grams or b1 == d):
            if tfidf:
                total += _grams_in(starts[b1 + 1] - starts[b1], lo, hi)
            b1 += 1
        nb = b1 - d
        off = np.zeros(nb + 1, np.int64)
        for x in range(nb):
            length = starts[d + x + 1] - starts[d + x]
            off[x + 1] = off[x] + (_grams_in(length, lo, hi) if tfidf else 0)
        keys_b = np.empty(off[nb], np.uint64)
        tf_b = np.empty(off[nb], np.int32)
        n_listed = np.zeros(nb, np.int64)
        per = (nb + n_blocks - 1) // n_blocks
        for blk in prange(n_blocks):
            x0 = blk * per
            x1 = min(nb, x0 + per)
            if x0 >= x1:
                continue
            table = _local_table(_max_grams(starts, np.arange(d + x0, d + x1), nmax))
            tkey, cnt, used = table[2], table[3], table[4]
            no_map = np.zeros(1, np.uint64)
            for x in range(x0, x1):
                doc = d + x
                n_used = _insert_text(
                    grams, table, starts[doc], starts[doc + 1], sizes[doc], no_map, False
                )
                o = off[x]
                for k in range(n_used):
                    j = used[k]
                    n = np.int64(tkey[j] >> np.uint64(61))
                    if tfidf and lo <= n <= hi:
                        keys_b[o] = tkey[j]
                        tf_b[o] = cnt[j]
                        o += 1
                    tkey[j] = _EMPTY
                n_listed[x] = o - off[x]
        if tfidf:
            # bucket the listed keys by table region (stable counting sort)
            bounds = np.zeros(n_reg + 1, np.int64)
            for x in range(nb):
                for i in range(off[x], off[x] + n_listed[x]):
                    bounds[((keys_b[i] * _FIB) >> np.uint64(64 - rbits)) + np.uint64(1)] += 1
            for r in range(n_reg):
                bounds[r + 1] += bounds[r]
            pos = bounds[:-1].copy()
            by_region = np.empty(bounds[n_reg], np.uint64)
            where = np.empty(off[nb], np.int64)
            for x in range(nb):
                for i in range(off[x], off[x] + n_listed[x]):
                    r = (keys_b[i] * _FIB) >> np.uint64(64 - rbits)
                    by_region[pos[r]] = keys_b[i]
                    where[i] = pos[r]
                    pos[r] += 1
            idf = np.empty(bounds[n_reg], np.float64)
            for r in prange(n_reg):
                for q in range(bounds[r], bounds[r + 1]):
                    idf[q] = _lookup(gkeys, gvals, gshift, by_region[q])
            for x in prange(nb):
                acc = 0.0
                for i in range(off[x], off[x] + n_listed[x]):
                    w = tf_b[i] * idf[where[i]]
                    acc += w * w
                norm2[d + x] = acc
        d = b1
    return sizes, norm2


# --------------------------------------------------------------------- per-pair stats
@njit(cache=True, parallel=True)
def char_pair_stats(cps, starts, d1, d2, nmax, wanted, lo, hi, gkeys, gvals, gshift, n_blocks):
    """For each pair (d1[p], d2[p]): |A_n ∩ B_n| per order n and the TF-IDF dot product.

    The dot is sum over shared n-grams of orders lo..hi of tf_a * tf_b * idf^2 (divide by both
    norms for the cosine). A's n-grams go into the local table with their counts; B's probe it; a
    count turns negative once B has matched it, so each shared n-gram is counted once.

    Two prunings keep the work near one pass over the texts for pairs that share little, both
    exact because every n-gram shared by A and B has its prefixes shared too: A's n-grams of
    order >= 2 are inserted only where A's bigram is in B's bigram bitmap, and B stops probing
    longer n-grams at a position once one order is missing from A. (Counts stay complete: every
    occurrence in A of a shared n-gram starts with the same, shared, bigram.)
    """
    grams = (cps, nmax, wanted, lo, hi)
    m = len(d1)
    inter = np.zeros((m, nmax + 1), np.int32)
    dot = np.zeros(m, np.float64)
    per = (m + n_blocks - 1) // n_blocks
    for blk in prange(n_blocks):
        p0 = blk * per
        p1 = min(m, p0 + per)
        if p0 >= p1:
            continue
        table = _local_table(_max_grams(starts, d1[p0:p1], nmax))
        shift, mask, tkey, cnt, used = table
        idf2 = np.zeros(len(tkey), np.float64)
        bmap = np.zeros(1024, np.uint64)  # 65,536-bit bigram bitmap of B
        scratch = np.zeros(nmax + 1, np.int32)  # set sizes of A: not needed here
        for p in range(p0, p1):
            a, b = d1[p], d2[p]
            s, e = starts[b], starts[b + 1]
            for i in range(s, e - 1):
                bit = _bigram_bit(cps, i)
                bmap[bit >> np.uint32(6)] |= np.uint64(1) << np.uint64(bit & np.uint32(63))
            n_used = _insert_text(grams, table, starts[a], starts[a + 1], scratch, bmap, True)
            for k in range(n_used):
                idf2[used[k]] = -1.0  # idf not looked up yet
            acc = 0.0
            for i in range(s, e):
                h = _FNV_OFFSET
                for n in range(1, nmax + 1):
                    if i + n > e:
                        break
                    h = (h ^ np.uint64(cps[i + n - 1])) * _FNV_PRIME
                    in_tfidf = lo <= n <= hi
                    if not wanted[n] and not in_tfidf:
                        continue
                    key = _tag(h, n)
                    j = _find(tkey, key, shift, mask)
                    if j < 0:
                        break  # not in A, so no longer n-gram starting here is
                    c = cnt[j]
                    if c > 0:  # first match of this n-gram
                        cnt[j] = -c
                        if wanted[n]:
                            inter[p, n] += 1
                    else:
                        c = -c
                    if in_tfidf:
                        if idf2[j] < 0.0:
                            v = _lookup(gkeys, gvals, gshift, key)
                            idf2[j] = v * v
                        acc += c * idf2[j]
            dot[p] = acc
            for k in range(n_used):
                tkey[used[k]] = _EMPTY
            bmap[:] = 0
    return inter, dot


# --------------------------------------------------------------------- sorted sparse rows
@njit(cache=True, parallel=True)
def csr_pair_dot(indptr, indices, data_a, data_b, d1, d2):
    """sum_j A[d1[p], j] * B[d2[p], j] for each pair p; A and B share one sparsity pattern.

    ``data_a`` / ``data_b`` are two value arrays over the same ``indptr``/``indices`` (sorted
    column indices per row), e.g. query term counts and BM25 document weights.
    """
    m = len(d1)
    out = np.zeros(m, np.float64)
    for p in prange(m):
        i, ie = indptr[d1[p]], indptr[d1[p] + 1]
        j, je = indptr[d2[p]], indptr[d2[p] + 1]
        acc = 0.0
        while i < ie and j < je:
            ci, cj = indices[i], indices[j]
            if ci == cj:
                acc += data_a[i] * data_b[j]
                i += 1
                j += 1
            elif ci < cj:
                i += 1
            else:
                j += 1
        out[p] = acc
    return out


@njit(cache=True, parallel=True)
def csr_pair_shared(indptr, indices, col_group, n_groups, d1, d2):
    """Count of columns present in both rows d1[p] and d2[p], split by ``col_group`` of the column."""
    m = len(d1)
    out = np.zeros((m, n_groups), np.int32)
    for p in prange(m):
        i, ie = indptr[d1[p]], indptr[d1[p] + 1]
        j, je = indptr[d2[p]], indptr[d2[p] + 1]
        while i < ie and j < je:
            ci, cj = indices[i], indices[j]
            if ci == cj:
                out[p, col_group[ci]] += 1
                i += 1
                j += 1
            elif ci < cj:
                i += 1
            else:
                j += 1
    return out


@njit(cache=True, parallel=True)
def csr_pair_shared_weight(indptr, indices, col_weight, d1, d2):
    """sum of ``col_weight[j]`` over the columns j present in both rows d1[p] and d2[p]."""
    m = len(d1)
    out = np.zeros(m, np.float64)
    for p in prange(m):
        i, ie = indptr[d1[p]], indptr[d1[p] + 1]
        j, je = indptr[d2[p]], indptr[d2[p] + 1]
        acc = 0.0
        while i < ie and j < je:
            ci, cj = indices[i], indices[j]
            if ci == cj:
                acc += col_weight[ci]
                i += 1
                j += 1
            elif ci < cj:
                i += 1
            else:
                j += 1
        out[p] = acc
    return out


# --------------------------------------------------------------------- word tokens
@njit(cache=True, parallel=True)
def word_token_counts(cps, starts, word):
    """Number of word tokens in each document: maximal runs of code points ``c`` with
    ``word[c]`` (the tokeniser's letters and digits)."""
    n = len(starts) - 1
    out = np.zeros(n, np.int64)
    for d in prange(n):
        count = 0
        inside = False
        for i in range(starts[d], starts[d + 1]):
            w = word[cps[i]]
            if w and not inside:
                count += 1
            inside = w
        out[d] = count
    return out


@njit(cache=True, parallel=True)
def word_token_keys(cps, starts, word, offsets):
    """A 64-bit hash (FNV-1a over the code points, never 0) of every word token, in document
    order: token j of document d at ``offsets[d] + j`` (offsets from ``word_token_counts``)."""
    keys = np.empty(offsets[-1], np.uint64)
    for d in prange(len(starts) - 1):
        o = offsets[d]
        h = _FNV_OFFSET
        inside = False
        for i in range(starts[d], starts[d + 1]):
            if word[cps[i]]:
                h = (h ^ np.uint64(cps[i])) * _FNV_PRIME
                inside = True
            elif inside:
                keys[o] = h if h != _EMPTY else np.uint64(1)
                o += 1
                h = _FNV_OFFSET
                inside = False
        if inside:
            keys[o] = h if h != _EMPTY else np.uint64(1)
    return keys


@njit(cache=True)
def present_codes(cps, size):
    """Which of the code points 0..size-1 occur in ``cps`` (bool array)."""
    seen = np.zeros(size, np.bool_)
    for c in cps:
        seen[c] = True
    return seen


@njit(cache=True)
def recode(cps, lut):
    """``lut[cps]`` as uint8 without numpy's intp copy of the index array."""
    out = np.empty(len(cps), np.uint8)
    for i in range(len(cps)):
        out[i] = lut[cps[i]]
    return out


@njit(cache=True)
def csr_column_counts_below(indptr, indices, hi):
    """Number of rows holding each column 0..hi-1 (rows' columns sorted: each row is read up
    to its first column >= hi)."""
    out = np.zeros(hi, np.int64)
    for r in range(len(indptr) - 1):
        for i in range(indptr[r], indptr[r + 1]):
            if indices[i] >= hi:
                break
            out[indices[i]] += 1
    return out


@njit(cache=True, parallel=True)
def csr_tfidf_rows(indptr, indices, counts, idf):
    """Per entry counts * idf[column] as float32, each row L2-normalised (computed in float64).

    Returns (weights, nonempty): rows whose weights are all 0 stay 0 and are not ``nonempty``.
    """
    n_rows = len(indptr) - 1
    weights = np.zeros(len(indices), np.float32)
    nonempty = np.zeros(n_rows, np.bool_)
    for r in prange(n_rows):
        acc = 0.0
        for i in range(indptr[r], indptr[r + 1]):
            v = counts[i] * idf[indices[i]]
            acc += v * v
        if acc > 0.0:
            nonempty[r] = True
            inv = 1.0 / np.sqrt(acc)
            for i in range(indptr[r], indptr[r + 1]):
                weights[i] = counts[i] * idf[indices[i]] * inv
    return weights, nonempty


@njit(cache=True, parallel=True)
def csr_row_range_counts(indptr, indices, group_starts):
    """(rows x groups) number of entries of each row whose column lies in each column range
    [group_starts[g], group_starts[g + 1]); rows' columns sorted. A merge of each row with the
    range bounds: no per-entry look-up in a column-sized table (a cache miss per entry)."""
    n_rows = len(indptr) - 1
    n_groups = len(group_starts) - 1
    out = np.zeros((n_rows, n_groups), np.int64)
    for r in prange(n_rows):
        g = 0
        for i in range(indptr[r], indptr[r + 1]):
            while indices[i] >= group_starts[g + 1]:
                g += 1
            out[r, g] += 1
    return out


@njit(cache=True, parallel=True)
def csr_row_prefix_weight(indptr, indices, n_first, col_weight):
    """Per row r: the sum of col_weight[j] over the columns j of its first n_first[r] entries,
    added in row order."""
    n_rows = len(indptr) - 1
    out = np.zeros(n_rows, np.float64)
    for r in prange(n_rows):
        acc = 0.0
        for i in range(indptr[r], indptr[r] + n_first[r]):
            acc += col_weight[indices[i]]
        out[r] = acc
    return out


@njit(cache=True)
def csr_prefix_column_counts(indptr, indices, n_first, n_cols):
    """Number of rows whose first n_first[r] entries hold each column 0..n_cols-1."""
    out = np.zeros(n_cols, np.int64)
    for r in range(len(indptr) - 1):
        for i in range(indptr[r], indptr[r] + n_first[r]):
            out[indices[i]] += 1
    return out
