"""Compiled (numba) kernels over whitespace and word tokens of the per-field documents.

* ``token_forms``: each document's whitespace tokens sorted (Python string order) and joined by
  one space, with and without repeated tokens: what rapidfuzz's token scorers compare. Exactly
  ``" ".join(sorted(t.split()))`` and ``" ".join(dict.fromkeys(sorted(t.split())))``.

Kernels run in parallel over documents (``numba.prange``) and are cached on disk after the first
compilation. Texts are code point arrays back to back (uint8, uint16 or uint32, see
``text._code_points``) with the start of each document and the end.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_SPACE = 32
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
