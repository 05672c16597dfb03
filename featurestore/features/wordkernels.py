"""Compiled (numba) kernels behind the per-field text indexes (``text.FieldIndex``).

* **Documents**: the texts' UTF-8 Arrow buffer decoded to code points (``utf8_decode``),
  lower-cased through a per-character table (``map_codes``), and equal documents found by a
  64-bit hash checked in full (``text_hashes``, ``texts_equal``, ``gather_texts``).
* **Whitespace tokens** (``token_forms``): each document's tokens sorted (Python string order)
  and joined by one space, with and without repeated tokens: what rapidfuzz's token scorers
  compare. Exactly ``" ".join(sorted(t.split()))`` and
  ``" ".join(dict.fromkeys(sorted(t.split())))``.
* **Word n-gram rows**: the key of every n-token window (``window_keys``), dense column ids in
  key order without sorting all keys (``dense_ranks``), and each row's few columns sorted and
  counted in place (``sort_rows``, ``write_row_runs``).

Kernels run in parallel over documents (``numba.prange``) and are cached on disk after the first
compilation. Texts are code point arrays back to back (uint8, uint16 or uint32, see
``text._code_points``) with the start of each document and the end.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_SPACE = 32
_FIB = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_NEWLINE = 10


# --------------------------------------------------------------------- whitespace tokens
@njit(cache=True, inline="always")
def _less(codes, ka, pa, kb, pb):
    """Token a < token b in Python string order (code points, then length).

    ``ka``/``kb`` are the tokens' prefix keys, ``pa``/``pb`` their packed positions (start << 32
    | length): keys that differ decide, and only equal keys compare code points.
    """
    if ka != kb:
        return ka < kb
    a, la = pa >> 32, pa & 0xFFFFFFFF
    b, lb = pb >> 32, pb & 0xFFFFFFFF
    for k in range(min(la, lb)):
        x, y = codes[a + k], codes[b + k]
        if x != y:
            return x < y
    return la < lb


@njit(cache=True)
def _split_tokens(codes, s, e, space, tk, tp):
    """The whitespace tokens of codes[s:e]: packed position (start << 32 | length) in ``tp`` and
    prefix key in ``tk``; returns their number.

    The prefix key is the token's first 64 bits of code points (8, 4 or 2 of them by width),
    big-endian, zero padded: a smaller key means a smaller token (Python string order), equal
    keys leave the order open (a shorter token, or one with code point 0, pads the same).
    Both loops avoid branches on the characters (the scan stores at every position and keeps
    the store only at a token's end): token boundaries are too irregular to predict.
    """
    n = 0
    begin = s
    white_before = True
    n_space = len(space)
    for i in range(s, e + 1):
        white = True  # the end closes the last token
        if i < e:
            c = np.int64(codes[i])
            white = c < n_space and space[c]
        tp[n] = (begin << 32) | (i - begin)
        n += white and not white_before
        begin = i if white_before and not white else begin
        white_before = white
    bits = np.uint64(8 * codes.itemsize)
    per = 64 // (8 * codes.itemsize)
    last = len(codes) - 1
    for t in range(n):
        start, length = tp[t] >> 32, tp[t] & 0xFFFFFFFF
        key = np.uint64(0)
        for k in range(per):
            c = np.uint64(codes[min(start + k, last)])
            key = (key << bits) | (c if k < length else np.uint64(0))
        tk[t] = key
    return n


@njit(cache=True)
def _sort_ints(a, n, tmp):
    """Sort a[:n] (unsigned integers) in place: insertion sort of runs of 16, then bottom-up
    merges through ``tmp``."""
    run = 16
    for r0 in range(0, n, run):
        r1 = min(n, r0 + run)
        for i in range(r0 + 1, r1):
            x = a[i]
            j = i - 1
            while j >= r0 and a[j] > x:
                a[j + 1] = a[j]
                j -= 1
            a[j + 1] = x
    if n <= run:
        return
    src, dst = a, tmp
    swapped = False
    width = run
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(n, lo + width)
            hi = min(n, lo + 2 * width)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                x, y = src[i], src[j]
                right = y < x
                dst[k] = y if right else x
                j += right
                i += 1 - right
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
        src, dst = dst, src
        swapped = not swapped
        width *= 2
    if swapped:  # the sorted run is in ``tmp``
        a[:n] = tmp[:n]


@njit(cache=True)
def _sort_tokens(codes, tk, tp, n, sk, tmp):
    """Token numbers 0..n-1 in sorted order (left in the low bits of ``sk[:n]``), tokens given
    by their prefix keys ``tk`` and packed positions ``tp``; returns the low-bit mask.

    One integer sort: the top bits of each prefix key with the token number in the low bits,
    then runs of tokens that tie on those top bits (mostly repeats of one token) are put in
    order by full comparison.
    """
    b = 1
    while (1 << b) < n:
        b += 1
    low = np.uint64((1 << b) - 1)
    for t in range(n):
        sk[t] = (tk[t] & ~low) | np.uint64(t)
    _sort_ints(sk, n, tmp)
    r0 = 0
    while r0 < n:
        r1 = r0 + 1
        top = sk[r0] & ~low
        while r1 < n and (sk[r1] & ~low) == top:
            r1 += 1
        for i in range(r0 + 1, r1):  # insertion sort of the tie run (usually 1-3 tokens)
            v = sk[i]
            x = np.int64(v & low)
            j = i - 1
            while j >= r0:
                y = np.int64(sk[j] & low)
                if not _less(codes, tk[x], tp[x], tk[y], tp[y]):
                    break
                sk[j + 1] = sk[j]
                j -= 1
            sk[j + 1] = v
        r0 = r1
    return low


@njit(cache=True, inline="always")
def _copy(out, o, codes, pos):
    """Write the token at packed position ``pos`` to out[o:]; returns the end."""
    s = pos >> 32
    for k in range(pos & 0xFFFFFFFF):
        out[o + k] = codes[s + k]
    return o + (pos & 0xFFFFFFFF)


@njit(cache=True, parallel=True)
def token_forms(codes, starts, space, n_blocks):
    """Both token forms of every document in one buffer: the n sorted-token forms, then the n
    token-set forms, each followed by a newline but the last (no form holds a newline: forms
    hold no whitespace but ' '). Returns (buffer, its used length).

    ``space[c]``: code point c is whitespace (``str.isspace``; codes beyond the table are not).
    Each document's two forms are first written to two slots of the buffer as long as the
    document plus one (a form is never longer than its document: each separator replaces at
    least one whitespace character), in parallel; then one pass moves them to the front.
    """
    n_docs = len(starts) - 1
    n_codes = len(codes)
    buf = np.empty(2 * (n_codes + n_docs), codes.dtype)
    lengths = np.zeros(2 * n_docs, np.int64)
    per = (n_docs + n_blocks - 1) // n_blocks
    for blk in prange(n_blocks):
        d0 = blk * per
        d1 = min(n_docs, d0 + per)
        most = 1
        for d in range(d0, d1):
            most = max(most, (starts[d + 1] - starts[d] + 1) // 2 + 1)
        tk = np.empty(most, np.uint64)
        tp = np.empty(most, np.int64)
        sk = np.empty(most, np.uint64)
        tmp = np.empty(most, np.uint64)
        for d in range(d0, d1):
            s, e = starts[d], starts[d + 1]
            n = _split_tokens(codes, s, e, space, tk, tp)
            low = _sort_tokens(codes, tk, tp, n, sk, tmp)
            o = s + d  # this document's slot for the sorted form
            q = n_codes + n_docs + s + d  # and for the token set
            o0, q0 = o, q
            prev = -1
            for t in range(n):
                x = np.int64(sk[t] & low)
                if t > 0:
                    buf[o] = _SPACE
                    o += 1
                o = _copy(buf, o, codes, tp[x])
                if t > 0 and not _less(codes, tk[prev], tp[prev], tk[x], tp[x]):
                    continue  # sorted: not greater than the previous token means equal
                prev = x
                if q > q0:
                    buf[q] = _SPACE
                    q += 1
                q = _copy(buf, q, codes, tp[x])
            lengths[d] = o - o0
            lengths[n_docs + d] = q - q0
    # move the forms to the front, in order (a form never moves right: a plain forward copy)
    w = 0
    for f in range(2 * n_docs):
        d = f if f < n_docs else f - n_docs
        r = starts[d] + d + (0 if f < n_docs else n_codes + n_docs)
        for k in range(lengths[f]):
            buf[w + k] = buf[r + k]
        w += lengths[f]
        if f < 2 * n_docs - 1:
            buf[w] = _NEWLINE
            w += 1
    return buf, w


# --------------------------------------------------------------------- word n-gram rows
@njit(cache=True, parallel=True)
def window_keys(ids, offsets, n, base, mixed):
    """Keys of every n-token window inside one document, in document order.

    ``ids``: token ids (0 <= id < base) of all documents back to back (document d's at
    offsets[d]:offsets[d+1]). The key of the window at token j packs the ids exactly,
    ((ids[j] * base + ids[j+1]) * base + ...), when base**n fits in int64; otherwise
    (``mixed``: a vocabulary of more than ~2M words for 3-grams) packing would wrap and could give
    two different windows one key, so the ids are mixed into a 64-bit FNV-1a-style hash instead
    (two distinct windows share a key with probability ~K^2 / 2^64 for K distinct windows, as for
    the token hashes). Returns (keys, window offsets per document).
    """
    n_docs = len(offsets) - 1
    woff = np.zeros(n_docs + 1, np.int64)
    for d in range(n_docs):
        woff[d + 1] = woff[d] + max(0, offsets[d + 1] - offsets[d] - n + 1)
    keys = np.empty(woff[n_docs], np.int64)
    for d in prange(n_docs):
        o = woff[d]
        for j in range(offsets[d], offsets[d + 1] - n + 1):
            if mixed:
                h = _FNV_OFFSET
                for k in range(n):
                    h = (h ^ np.uint64(ids[j + k])) * _FNV_PRIME
                keys[o] = np.int64(h)
            else:
                key = ids[j]
                for k in range(1, n):
                    key = key * base + ids[j + k]
                keys[o] = key
            o += 1
    return keys, woff


@njit(cache=True, inline="always")
def _count_le(splitters, lo, hi, key):
    """lo + the number of splitters[lo:hi] (sorted) that are <= key (binary search)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if splitters[mid] <= key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def _slot_of(key, bits):
    return np.int64((np.uint64(key) * _FIB) >> np.uint64(64 - bits))


@njit(cache=True)
def _rank_partition(keys, lo, hi, local, tab, full, used):
    """Dense ranks (in key order) of keys[lo:hi] written to local[lo:hi]; returns the number of
    distinct keys.

    An open-addressing table (``tab``/``full``, a power of two >= 2 * (hi - lo) slots, empty on
    entry and left empty: ``used`` lists the slots to clear) finds the distinct keys and each
    key's slot; only the distinct keys are sorted.
    """
    mask = len(tab) - 1
    bits = 0
    while (1 << bits) < len(tab):
        bits += 1
    fill = 0
    for i in range(lo, hi):
        key = keys[i]
        j = _slot_of(key, bits)
        while full[j] and tab[j] != key:
            j = (j + 1) & mask
        if not full[j]:
            tab[j] = key
            full[j] = True
            used[fill] = j
            fill += 1
        local[i] = j
    distinct = np.empty(fill, np.int64)
    for k in range(fill):
        distinct[k] = tab[used[k]]
    distinct.sort()
    rank = np.empty(fill, np.int64)  # a slot's rank, through ``tab`` reused below
    for r in range(fill):
        j = _slot_of(distinct[r], bits)
        while tab[j] != distinct[r]:
            j = (j + 1) & mask
        rank[r] = j
    for r in range(fill):
        tab[rank[r]] = r  # the table now holds ranks
    for i in range(lo, hi):
        local[i] = tab[local[i]]
    for k in range(fill):
        full[used[k]] = False
    return fill


@njit(cache=True, parallel=True)
def _range_counts(keys, splitters, kmin, shift, bucket_part, n_blocks, per, part):
    """(blocks x ranges) number of keys of each block of ``per`` keys in each value range;
    each key's range is left in ``part``.

    A key's range is found from its bucket (the high bits of key - kmin): ``bucket_part[b]``
    and ``bucket_part[b + 1]`` bound the ranges of bucket b's keys, so the binary search runs
    over the few splitters between (none, mostly) instead of all of them.
    """
    counts = np.zeros((n_blocks, len(splitters) + 1), np.int64)
    for b in prange(n_blocks):
        for i in range(b * per, min(len(keys), (b + 1) * per)):
            key = keys[i]
            k = np.int64((np.uint64(key) - np.uint64(kmin)) >> np.uint64(shift))
            p = _count_le(splitters, bucket_part[k], bucket_part[k + 1], key)
            part[i] = p
            counts[b, p] += 1
    return counts


@njit(cache=True, parallel=True)
def _range_scatter(keys, part, pos, per, part_keys, origin):
    """Move each key (and its position) to its range: block b's keys of range p go to
    ``pos[b, p]`` on, in order (a counting sort's second pass)."""
    for b in prange(pos.shape[0]):
        for i in range(b * per, min(len(keys), (b + 1) * per)):
            p = part[i]
            part_keys[pos[b, p]] = keys[i]
            origin[pos[b, p]] = i
            pos[b, p] += 1


@njit(cache=True, parallel=True)
def _rank_ranges(part_keys, bounds, local, n_blocks):
    """Each range's dense ranks (``_rank_partition``), blocks of ranges in parallel, one table
    per block; returns the ranges' distinct key counts."""
    n_parts = len(bounds) - 1
    n_distinct = np.zeros(n_parts, np.int64)
    per = (n_parts + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        p0, p1 = b * per, min(n_parts, (b + 1) * per)
        most = 1
        for p in range(p0, p1):
            most = max(most, bounds[p + 1] - bounds[p])
        cap = 16
        while cap < 2 * most:
            cap *= 2
        tab = np.empty(cap, np.int64)
        full = np.zeros(cap, np.bool_)
        used = np.empty(most, np.int64)
        for p in range(p0, p1):
            n_distinct[p] = _rank_partition(
                part_keys, bounds[p], bounds[p + 1], local, tab, full, used
            )
    return n_distinct


@njit(cache=True, parallel=True)
def _place_ranks(origin, local, bounds, first, cols):
    """cols[origin[i]] = first id of i's range + i's rank within the range."""
    for p in prange(len(bounds) - 1):
        for i in range(bounds[p], bounds[p + 1]):
            cols[origin[i]] = first[p] + local[i]


@njit(cache=True)
def dense_ranks(keys, n_parts, n_blocks):
    """Dense id of every key in key order (0 = the smallest distinct key) and the number of
    distinct keys: what a sort of the distinct keys and a join give, without sorting all keys.

    Keys are split into ``n_parts`` value ranges (splitters: quantiles of a
    sample), so that every range holds about as many keys and all keys of a range are below
    the next range's; a counting sort moves each key to its range (in parallel blocks), each
    range ranks its own keys (``_rank_partition``, in parallel), and a range's ids start after
    all earlier ranges'. (The steps are separate parallel kernels: numba 0.68's parallel array
    analysis mis-sized an array when they were one function.)
    """
    m = len(keys)
    cols = np.empty(m, np.int32)
    if m == 0:
        return cols, 0
    step = max(1, m // (64 * n_parts))
    sample = np.sort(keys[::step])
    splitters = np.empty(n_parts - 1, np.int64)
    for p in range(n_parts - 1):
        splitters[p] = sample[(p + 1) * len(sample) // n_parts]
    # value buckets of key - kmin (at most 2**16): the ranges each bucket's keys can fall in
    kmin, kmax = keys.min(), keys.max()
    span = np.uint64(kmax) - np.uint64(kmin)
    shift = 0
    while (span >> np.uint64(shift)) >= np.uint64(1 << 16):
        shift += 1
    n_buckets = np.int64(span >> np.uint64(shift)) + 1
    bucket_part = np.empty(n_buckets + 1, np.int64)
    for k in range(n_buckets):
        start = np.int64(np.uint64(kmin) + (np.uint64(k) << np.uint64(shift)))
        bucket_part[k] = _count_le(splitters, 0, n_parts - 1, start)
    bucket_part[n_buckets] = n_parts - 1
    per = (m + n_blocks - 1) // n_blocks
    part = np.empty(m, np.int32)
    counts = _range_counts(keys, splitters, kmin, shift, bucket_part, n_blocks, per, part)
    # where block b's keys of range p go: ranges in order, blocks in order within a range
    pos = np.empty((n_blocks, n_parts), np.int64)
    bounds = np.zeros(n_parts + 1, np.int64)
    total = 0
    for p in range(n_parts):
        bounds[p] = total
        for b in range(n_blocks):
            pos[b, p] = total
            total += counts[b, p]
    bounds[n_parts] = total
    part_keys = np.empty(m, np.int64)
    origin = np.empty(m, np.int32)
    _range_scatter(keys, part, pos, per, part_keys, origin)
    local = np.empty(m, np.int32)
    n_distinct = _rank_ranges(part_keys, bounds, local, n_blocks)
    first = np.zeros(n_parts + 1, np.int64)
    for p in range(n_parts):
        first[p + 1] = first[p] + n_distinct[p]
    _place_ranks(origin, local, bounds, first, cols)
    return cols, first[n_parts]


@njit(cache=True, parallel=True)
def sort_rows(cols, woff):
    """Sort each row's columns cols[woff[d]:woff[d+1]] in place; returns each row's number of
    distinct columns."""
    n_rows = len(woff) - 1
    nnz = np.zeros(n_rows, np.int64)
    for d in prange(n_rows):
        s, e = woff[d], woff[d + 1]
        if e - s > 1:
            _sort_ints(cols[s:e], e - s, np.empty(e - s, cols.dtype))
        k = 0
        for i in range(s, e):
            k += i == s or cols[i] != cols[i - 1]
        nnz[d] = k
    return nnz


@njit(cache=True, parallel=True)
def write_row_runs(cols, woff, col_offset, cursor, indices, data):
    """Append each row's sorted columns (``sort_rows``) as (column + col_offset, count) entries
    at ``cursor[d]`` of ``indices``/``data``, advancing the cursor."""
    for d in prange(len(woff) - 1):
        s, e = woff[d], woff[d + 1]
        o = cursor[d] - 1
        for i in range(s, e):
            if i == s or cols[i] != cols[i - 1]:
                o += 1
                indices[o] = cols[i] + col_offset
                data[o] = 0
            data[o] += 1
        cursor[d] = o + 1


# --------------------------------------------------------------------- UTF-8 text
@njit(cache=True, parallel=True)
def utf8_decode(data, offsets, starts, out, n_blocks):
    """Decode each (valid) UTF-8 text into out[starts[i]:starts[i+1]] (code points); returns
    False (and stops writing that text at its end) where a text has another length."""
    n = len(offsets) - 1
    per = (n + n_blocks - 1) // n_blocks
    ok = np.ones(n_blocks, np.bool_)
    for b in prange(n_blocks):
        for t in range(b * per, min(n, (b + 1) * per)):
            o = starts[t]
            i = offsets[t]
            end = offsets[t + 1]
            while i < end:
                if o == starts[t + 1]:
                    ok[b] = False
                    break
                c = np.uint32(data[i])
                if c < 0x80:
                    i += 1
                elif c < 0xE0:
                    c = ((c & 0x1F) << 6) | (np.uint32(data[i + 1]) & 0x3F)
                    i += 2
                elif c < 0xF0:
                    c = (
                        ((c & 0x0F) << 12)
                        | ((np.uint32(data[i + 1]) & 0x3F) << 6)
                        | (np.uint32(data[i + 2]) & 0x3F)
                    )
                    i += 3
                else:
                    c = (
                        ((c & 0x07) << 18)
                        | ((np.uint32(data[i + 1]) & 0x3F) << 12)
                        | ((np.uint32(data[i + 2]) & 0x3F) << 6)
                        | (np.uint32(data[i + 3]) & 0x3F)
                    )
                    i += 4
                out[o] = c
                o += 1
            ok[b] &= o == starts[t + 1]
    return ok.all()


# --------------------------------------------------------------------- whole texts
@njit(cache=True, parallel=True)
def map_codes(codes, lut, n_blocks):
    """lut[codes] (same dtype), in parallel blocks."""
    out = np.empty(len(codes), codes.dtype)
    per = (len(codes) + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        for i in range(b * per, min(len(codes), (b + 1) * per)):
            out[i] = lut[codes[i]]
    return out


@njit(cache=True, parallel=True)
def text_hashes(codes, starts, n_blocks):
    """A 64-bit FNV-1a hash of each text's code points and length (as int64)."""
    n = len(starts) - 1
    out = np.empty(n, np.int64)
    per = (n + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        for t in range(b * per, min(n, (b + 1) * per)):
            h = np.uint64(0xCBF29CE484222325)
            for i in range(starts[t], starts[t + 1]):
                h = (h ^ np.uint64(codes[i])) * np.uint64(0x100000001B3)
            h = (h ^ np.uint64(starts[t + 1] - starts[t])) * np.uint64(0x100000001B3)
            out[t] = np.int64(h)
    return out


@njit(cache=True, parallel=True)
def texts_equal(codes, starts, other, n_blocks):
    """Whether every text t equals text other[t] (code point by code point)."""
    n = len(starts) - 1
    ok = np.ones(n_blocks, np.bool_)
    per = (n + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        for t in range(b * per, min(n, (b + 1) * per)):
            u = other[t]
            if u == t:
                continue
            length = starts[t + 1] - starts[t]
            if starts[u + 1] - starts[u] != length:
                ok[b] = False
                continue
            for k in range(length):
                if codes[starts[t] + k] != codes[starts[u] + k]:
                    ok[b] = False
                    break
    return ok.all()


@njit(cache=True, parallel=True)
def gather_texts(codes, starts, which, new_starts, n_blocks):
    """The texts ``which`` back to back (at ``new_starts``)."""
    out = np.empty(new_starts[-1], codes.dtype)
    n = len(which)
    per = (n + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        for j in range(b * per, min(n, (b + 1) * per)):
            s = starts[which[j]]
            o = new_starts[j]
            for k in range(new_starts[j + 1] - o):
                out[o + k] = codes[s + k]
    return out
