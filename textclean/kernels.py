"""Compiled (numba) form of the per-word homoglyph decision, for all distinct chunks at once.

``HomoglyphRepairer._decide`` (Python) is the reference; this module makes exactly the same
decisions, bit for bit (same float operations in the same order, same tie breaks), without a
Python call per word. It works on *character ids*: every code point of a batch (and of the
confusables tables) gets an id in code point order, so comparing ids compares text the way
Python compares ``str``, and every character property the decision needs (script, case, digit)
is one array lookup.

Two passes, because the LM (kenlm) is called from Python:

1. ``analyze_chunks`` cuts each chunk into words, classifies each word, builds its readings in
   both scripts (the same capped dynamic programme as ``_readings_dp``) and its glue split (whose
   parts become words of their own), settles every word that needs no LM score, and lists the
   letter runs whose LM score the remaining decisions need (``spans``).
2. Python scores the distinct span strings once (``HomoglyphRepairer.lm``, cached).
3. ``decide_chunks`` weighs the readings with those scores, exactly as ``_decide`` does, and
   writes each chunk's output text and its four counts.

Words longer than ``MAX_WORD`` characters are not handled here: the caller sends their chunks to
the Python path (``fallback`` flag).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from textclean.confusables import DECISIVE_CYR, DECISIVE_LAT, TO_CYR, TO_LAT, is_cyrillic, is_latin

MAX_WORD = 64
ADDRESS_CTX = -3  # textclean.repair.ADDRESS_CTX: Latin context, no Cyrillic reading
KEEP_CTX = -4  # textclean.repair.KEEP_CTX: a number or unit symbol by its neighbours, kept

# character kinds (as textclean.repair._kind)
K_DIGIT, K_CYR, K_LAT, K_OTHER = 0, 1, 2, 3
# word codes
C_OTHER, C_NUMBER, C_NORAW, C_ONERAW, C_LM = 0, 1, 2, 3, 4
# property bits
P_UP, P_LOW, P_TITLE, P_ALPHA, P_ALNUM, P_ISDIGIT, P_JOIN, P_LOOK, P_MARK = (
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
    256,
)
# ... and those of the text-level pass (the regular expressions of textclean.repair)
P_W = 1 << 9  # \p{L} or \p{N} (a word character for the polars/Rust patterns)
P_DECC = 1 << 10  # DECISIVE_CYR
P_DECL = 1 << 11  # DECISIVE_LAT
P_CNONDEC = 1 << 12  # Cyrillic letter with a Latin reading (_CYR_NONDEC)
P_LMAP = 1 << 13  # Latin letter with a Cyrillic reading (_LAT_MAPPABLE)
P_OTHERW = 1 << 14  # word character of another script (OTHER_WORD_PATTERN)
P_SENT = 1 << 15  # . ! ? ...
P_CLOSE = 1 << 16  # ) " '
P_OPEN = 1 << 17  # " ' (
P_ONEWORD = 1 << 18  # Cyrillic letter that is a word on its own (textclean.repair.ONE_LETTER_WORDS)
# Latin letter with no Cyrillic look-alike, or a non-Russian Cyrillic letter read only as Latin
# (textclean.repair._SURE_LAT, _CYR_LAT_ONLY)
P_SURELAT = 1 << 19
P_CAPMAP = 1 << 20  # capital Latin letter with one (textclean.repair._LAT_CAPS_MAPPABLE)
P_STRESS = 1 << 21  # stress-marked Latin look-alike (textclean.repair._LAT_STRESSED)
START_ID, KEEP_ID = 1, 2  # START_MARK, KEEP_MARK (textclean.repair)


@njit(cache=True)
def _less_text(buf, s1, e1, s2, e2):
    """buf[s1:e1] < buf[s2:e2] as Python compares strings (ids are in code point order)."""
    n1, n2 = e1 - s1, e2 - s2
    m = min(n1, n2)
    for i in range(m):
        a, b = buf[s1 + i], buf[s2 + i]
        if a != b:
            return a < b
    return n1 < n2


@njit(cache=True)
def _eq_text(buf, s1, e1, s2, e2):
    if e1 - s1 != e2 - s2:
        return False
    for i in range(e1 - s1):  # noqa: SIM110 (no generators in numba)
        if buf[s1 + i] != buf[s2 + i]:
            return False
    return True


@njit(cache=True)
def _is_upper_str(w, props):
    """str.isupper(): no lower-case or title-case character, at least one upper-case one."""
    cased = False
    for c in w:
        p = props[c]
        if p & (P_LOW | P_TITLE):
            return False
        if p & P_UP:
            cased = True
    return cased


@njit(cache=True)
def _is_lower_slice(buf, s, e, props):
    """str.islower() of buf[s:e]."""
    cased = False
    for i in range(s, e):
        p = props[buf[i]]
        if p & (P_UP | P_TITLE):
            return False
        if p & P_LOW:
            cased = True
    return cased


@njit(cache=True)
def _workspace(max_word, cap, limit):
    """Scratch arrays for ``_readings`` (one set per batch, reused for every word)."""
    maxnodes = (max_word + 1) * cap + 1
    return (
        np.empty(maxnodes, np.int32),
        np.empty(maxnodes, np.int32),
        np.empty(maxnodes, np.int32),
        np.empty(maxnodes, np.float64),
        np.empty((max_word + 1, cap), np.int32),
        np.zeros(max_word + 1, np.int32),
        np.empty((cap, 2 * max_word + 1), np.int32),
        np.zeros(cap, np.int32),
        np.empty(2 * max_word + 1, np.int32),
        np.empty(cap, np.float64),
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
        np.empty(limit * (2 * max_word + 1), np.int32),
        np.empty(limit + 1, np.int64),
        np.empty(limit, np.float64),
        np.empty(cap, np.int32),
        np.empty(cap, np.int32),
        np.empty(cap, np.float64),
    )


@njit(cache=True)
def _readings(
    w,
    script,
    tab,
    start,
    kind,
    props,
    opt_off,
    opt_m0,
    opt_m1,
    opt_cls,
    mul_off,
    mul_second,
    mul_m0,
    mul_cls,
    cls_cost,
    sub,
    limit,
    cap,
    ws,
):
    """All-``script`` readings of ``w`` (the ``_readings_dp`` programme), cheapest first, at
    most ``limit``: their number; texts, offsets and costs are in ``ws[12]``, ``ws[13]``,
    ``ws[14]``."""
    par, a0, a1, pen, st, cnt, texts, lens, tmp, keyp, uniq, order, flat, offs, costs = ws[:15]
    om0, om1, oc = ws[15], ws[16], ws[17]
    n = w.size
    nal = 0
    allup = True
    for c in w:
        if props[c] & P_ALPHA:
            nal += 1
            if not props[c] & P_UP:
                allup = False
    upper = nal >= 2 and allup
    cnt[: n + 1] = 0
    par[0] = -1
    a0[0] = -1
    a1[0] = -1
    pen[0] = 0.0
    st[0, 0] = 0
    cnt[0] = 1
    nn = 1
    for i in range(n):
        k = cnt[i]
        if k == 0:
            continue
        if k > limit:  # stable sort by cost, keep the cheapest ``limit``
            for a in range(1, k):
                x = st[i, a]
                px = pen[x]
                b = a - 1
                while b >= 0 and pen[st[i, b]] > px:
                    st[i, b + 1] = st[i, b]
                    b -= 1
                st[i, b + 1] = x
            k = limit
            cnt[i] = limit
        ch = w[i]
        f0, f1 = opt_off[tab, ch], opt_off[tab, ch + 1]
        digit = kind[ch] == K_DIGIT
        nopt = 0
        keep = kind[ch] == K_CYR if script == 0 else kind[ch] == K_LAT
        if keep or (digit and (script == 1 or f1 == f0)):
            om0[0] = ch
            om1[0] = -1
            oc[0] = 0.0
            nopt = 1
        want = -1
        if digit and f1 > f0:
            capital = upper or (start and i == 0)
            nmatch = 0
            for j in range(f0, f1):
                if ((props[opt_m0[j]] & P_UP) != 0) == capital:
                    nmatch += 1
            if nmatch > 0:
                want = 1 if capital else 0
        for j in range(f0, f1):
            if want >= 0 and ((props[opt_m0[j]] & P_UP) != 0) != (want == 1):
                continue
            om0[nopt] = opt_m0[j]
            om1[nopt] = opt_m1[j]
            oc[nopt] = sub + cls_cost[opt_cls[j]]
            nopt += 1
        if nopt:
            for s in range(k):
                node = st[i, s]
                for o in range(nopt):
                    par[nn] = node
                    a0[nn] = om0[o]
                    a1[nn] = om1[o]
                    pen[nn] = pen[node] + oc[o]
                    st[i + 1, cnt[i + 1]] = nn
                    cnt[i + 1] += 1
                    nn += 1
        if i + 1 < n:
            g0, g1 = mul_off[tab, ch], mul_off[tab, ch + 1]
            for j in range(g0, g1):
                if mul_second[j] != w[i + 1]:
                    continue
                for s in range(k):
                    node = st[i, s]
                    par[nn] = node
                    a0[nn] = mul_m0[j]
                    a1[nn] = -1
                    pen[nn] = pen[node] + sub + cls_cost[mul_cls[j]]
                    st[i + 2, cnt[i + 2]] = nn
                    cnt[i + 2] += 1
                    nn += 1
    k = cnt[n]
    for s in range(k):
        node = st[n, s]
        m = 0
        while par[node] >= 0:
            if a1[node] >= 0:
                tmp[m] = a1[node]
                m += 1
            tmp[m] = a0[node]
            m += 1
            node = par[node]
        for j in range(m):
            texts[s, j] = tmp[m - 1 - j]
        lens[s] = m
    # distinct texts with their lowest cost
    nu = 0
    for s in range(k):
        node = st[n, s]
        found = -1
        for u in range(nu):
            t = uniq[u]
            if lens[t] == lens[s]:
                same = True
                for j in range(lens[s]):
                    if texts[t, j] != texts[s, j]:
                        same = False
                        break
                if same:
                    found = u
                    break
        if found < 0:
            uniq[nu] = s
            keyp[nu] = pen[node]
            nu += 1
        elif pen[node] < keyp[found]:
            keyp[found] = pen[node]
    # sort by (cost, text)
    for a in range(nu):
        order[a] = a
    for a in range(1, nu):
        x = order[a]
        b = a - 1
        while b >= 0:
            y = order[b]
            if keyp[y] > keyp[x]:
                pass
            elif keyp[y] == keyp[x]:
                # compare texts uniq[y] vs uniq[x]
                ty, tx = uniq[y], uniq[x]
                ly, lx = lens[ty], lens[tx]
                gt = False
                decided = False
                for j in range(min(ly, lx)):
                    if texts[ty, j] != texts[tx, j]:
                        gt = texts[ty, j] > texts[tx, j]
                        decided = True
                        break
                if not decided:
                    gt = ly > lx
                if not gt:
                    break
            else:
                break
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = x
    nr = min(nu, limit)
    p = 0
    offs[0] = 0
    for r in range(nr):
        t = uniq[order[r]]
        for j in range(lens[t]):
            flat[p] = texts[t, j]
            p += 1
        offs[r + 1] = p
        costs[r] = keyp[order[r]]
    return nr


@njit(cache=True)
def _prior(script, ctx, length, ctx_weight):
    w = ctx_weight * ctx / 2.0 * min(1.0, 2.0 / max(length, 1))
    return w if script == 0 else -w


@njit(cache=True, nogil=True)
def analyze_chunks(
    ids,
    chunk_off,
    ctxs,
    diss,
    kind,
    props,
    opt_off,
    opt_m0,
    opt_m1,
    opt_cls,
    mul_off,
    mul_second,
    mul_m0,
    mul_cls,
    fcls,
    fcfg,
    icfg,
):
    """Pass 1 (see the module docstring). ``fcfg`` = (ctx_weight, subst_cost, cost tr39,
    italic, digit, multi); ``icfg`` = (max_readings, cap, max_lookalike_number,
    clean_text_tr39_only, max_word, the capacities for words, readings, arena and LM
    spans, letter_lean). ``status`` 1: a capacity was too small, call again with larger
    ones."""
    ctx_weight = fcfg[0]
    sub = fcfg[1]
    cls_cost = fcfg[2:6].copy()
    limit = icfg[0]
    cap = icfg[1]
    max_look = icfg[2]
    tr39_flag = icfg[3] != 0
    max_word = icfg[4]
    letter_lean = icfg[9]
    n_chunks = ctxs.size
    fallback = np.zeros(n_chunks, np.bool_)
    ch_e0 = np.zeros(n_chunks + 1, np.int64)  # entries of chunk c: ch_e0[c] .. ch_e0[c + 1]
    ch_nw = np.zeros(n_chunks, np.int64)  # its top-level words come first
    cap_e = icfg[5]
    cap_r = icfg[6]
    cap_a = icfg[7]
    cap_sp = icfg[8]
    status = 0
    e_s = np.empty(cap_e, np.int64)
    e_e = np.empty(cap_e, np.int64)
    e_ctx = np.empty(cap_e, np.int64)
    e_dis = np.empty(cap_e, np.int64)
    e_start = np.empty(cap_e, np.int64)
    e_code = np.empty(cap_e, np.int64)
    e_flags = np.empty(cap_e, np.int64)  # 1 mixed, 2 clean, 4 has C, 8 has L, 16 has D, 32 part
    e_own = np.empty(cap_e, np.int64)
    e_p0 = np.empty(cap_e, np.int64)  # first part entry, -1 without split
    e_np = np.empty(cap_e, np.int64)
    e_r0 = np.empty(cap_e, np.int64)  # readings r0 .. r1
    e_r1 = np.empty(cap_e, np.int64)
    e_as = np.empty(cap_e, np.int64)  # as-written text in arena
    e_ae = np.empty(cap_e, np.int64)
    e_lm0 = np.empty(cap_e, np.int64)  # first LM span of the as-written runs, -1: none
    r_s = np.empty(cap_r, np.int64)
    r_e = np.empty(cap_r, np.int64)
    r_cost = np.empty(cap_r, np.float64)
    r_prior = np.empty(cap_r, np.float64)
    r_lm0 = np.empty(cap_r, np.int64)
    arena = np.empty(cap_a, np.int32)
    na = 0
    sp_s = np.empty(cap_sp, np.int64)
    sp_e = np.empty(cap_sp, np.int64)
    nsp = 0
    ne = 0
    nr = 0
    ws = _workspace(max_word, cap, limit)
    flat, offs, costs = ws[12], ws[13], ws[14]
    cuts = np.empty(max_word + 1, np.int64)
    for c in range(n_chunks):
        c0, c1 = chunk_off[c], chunk_off[c + 1]
        ch_e0[c] = ne
        if ne + (c1 - c0) > cap_e:
            status = 1
            break
        # an address chunk (://, www., @): its words take the Latin context
        cctx = ctxs[c]
        for i in range(c0, c1):
            x = ids[i]
            if x == 64 or (
                x == 58 and i + 2 < c1 and ids[i + 1] == 47 and ids[i + 2] == 47
            ) or (
                x == 119 and i + 3 < c1 and ids[i + 1] == 119 and ids[i + 2] == 119
                and ids[i + 3] == 46
            ):  # fmt: skip
                cctx = ADDRESS_CTX
                break
        # words of the chunk (alnum runs), the sentence-start and keep marks before them
        startflag = False
        keepflag = False
        i = c0
        bad = False
        nw0 = ne
        while i < c1:
            alnum = (props[ids[i]] & P_ALNUM) != 0
            j = i
            while j < c1 and ((props[ids[j]] & P_ALNUM) != 0) == alnum:
                j += 1
            if not alnum:
                for q in range(i, j):
                    if ids[q] == START_ID:
                        startflag = True
                    elif ids[q] == KEEP_ID:
                        keepflag = True
            else:
                if j - i > max_word:
                    bad = True
                # disguised unless part of a longer number (textclean.repair._in_number)
                alldig = True
                for q in range(i, j):
                    if not props[ids[q]] & P_ISDIGIT:
                        alldig = False
                        break
                innum = False
                if alldig:
                    before = (
                        i - c0 >= 2
                        and (props[ids[i - 1]] & P_JOIN) != 0
                        and (props[ids[i - 2]] & P_ISDIGIT) != 0
                    )
                    after = (
                        j + 1 < c1
                        and (props[ids[j]] & P_JOIN) != 0
                        and (props[ids[j + 1]] & P_ISDIGIT) != 0
                    )
                    innum = before or after
                # an abbreviation or a numeral suffix (textclean.repair._abbrev_at)
                abbrev = (j < c1 and ids[j] == 46) or (
                    i - c0 >= 2 and ids[i - 1] == 45 and kind[ids[i - 2]] == K_DIGIT
                )
                e_s[ne] = i
                e_e[ne] = j
                e_ctx[ne] = KEEP_CTX if keepflag else cctx
                e_dis[ne] = 1 if (diss[c] and not innum) else 0
                # bit 1: opens a sentence (a leading digit), bit 2: abbreviation / suffix
                e_start[ne] = (1 if (startflag and kind[ids[i]] == K_DIGIT) else 0) | (
                    2 if (abbrev and j - i == 1) else 0
                )
                e_flags[ne] = 0
                ne += 1
                startflag = False
                keepflag = False
            i = j
        ch_nw[c] = ne - nw0
        if bad:
            fallback[c] = True
            ne = nw0
            ch_nw[c] = 0
            continue
        q = nw0
        while q < ne:  # the chunk's words, then the parts of their splits
            s, e = e_s[q], e_e[q]
            w = ids[s:e]
            n = e - s
            # room for this word's parts, readings, texts and LM spans
            if (
                ne + n + 1 > cap_e
                or nr + 2 * limit > cap_r
                or na + n + 4 * limit * n + 2 > cap_a
                or nsp + (2 * limit + 1) * n + 1 > cap_sp
            ):
                status = 1
                break
            ctx = e_ctx[q]
            dis = e_dis[q] != 0
            has_c = has_l = has_d = has_o = False
            look = True
            for x in w:
                k = kind[x]
                if k == K_CYR:
                    has_c = True
                elif k == K_LAT:
                    has_l = True
                elif k == K_DIGIT:
                    has_d = True
                else:
                    has_o = True
                if not props[x] & P_LOOK:
                    look = False
            mixed = has_c and has_l
            fl = e_flags[q] & 32
            if mixed:
                fl |= 1
            if has_c:
                fl |= 4
            if has_l:
                fl |= 8
            if has_d:
                fl |= 16
            clean = not mixed and not has_d
            if clean:
                fl |= 2
            e_flags[q] = fl
            e_p0[q] = -1
            e_np[q] = 0
            e_r0[q] = nr
            e_r1[q] = nr
            e_lm0[q] = -1
            # as-written text into the arena
            for t in range(n):
                arena[na + t] = w[t]
            e_as[q] = na
            e_ae[q] = na + n
            na += n
            if has_o:
                e_code[q] = C_OTHER
                q += 1
                continue
            if ctx == KEEP_CTX:  # textclean.repair.kept_words: kept as written
                e_code[q] = C_NUMBER
                q += 1
                continue
            if not has_c and not has_l and not (dis and ctx >= 1 and n <= max_look and look):
                e_code[q] = C_NUMBER
                q += 1
                continue
            if has_d and not has_c and ctx < 1:
                e_code[q] = C_NUMBER
                q += 1
                continue
            own = -1
            if clean:
                own = 0 if has_c else 1
            if not clean and not mixed and not has_c:
                own = 1
            e_own[q] = own
            tr39 = 1 if (tr39_flag and clean and not dis) else 0
            start = (e_start[q] & 1) != 0
            # a clean one-letter Latin word: Cyrillic readings only as a one-letter word
            one_letter = clean and own == 1 and n == 1 and (e_start[q] & 2) == 0
            # a clean Latin word with a stress-marked letter: no Cyrillic reading
            stressed = False
            if clean and own == 1:
                for x in w:
                    if props[x] & P_STRESS:
                        stressed = True
            for script in range(2):
                if script == own or (script == 0 and (ctx == ADDRESS_CTX or stressed)):
                    continue
                # a clean one-letter Russian word: Latin only where the text leans Latin
                if (
                    script == 1
                    and clean
                    and n == 1
                    and not props[w[0]] & P_SURELAT
                    and letter_lean > 0
                    and ctx > -letter_lean
                ):
                    continue
                prior = _prior(script, ctx, n, ctx_weight)
                # one reading without the programme when every character has at most one
                # (fcls: 0 none at all, 1 kept, 2 one reading, 3 needs the programme)
                tb = script * 2 + tr39
                worst = 1
                for x in w:
                    f = fcls[tb, x]
                    if f == 0:
                        worst = 0
                        break
                    if f == 3:
                        worst = 3
                if worst == 0:
                    nread = 0
                elif worst == 3:
                    nread = _readings(
                        w, script, tb, start, kind, props, opt_off, opt_m0, opt_m1, opt_cls,
                        mul_off, mul_second, mul_m0, mul_cls, cls_cost, sub, limit, cap, ws,
                    )  # fmt: skip
                else:
                    pz = 0.0
                    m = 0
                    for x in w:
                        if fcls[tb, x] == 1:
                            flat[m] = x
                            m += 1
                        else:
                            j = opt_off[tb, x]
                            flat[m] = opt_m0[j]
                            m += 1
                            if opt_m1[j] >= 0:
                                flat[m] = opt_m1[j]
                                m += 1
                            pz = pz + (sub + cls_cost[opt_cls[j]])
                    offs[0] = 0
                    offs[1] = m
                    costs[0] = pz
                    nread = 1
                for r in range(nread):
                    a, b = offs[r], offs[r + 1]
                    if one_letter and script == 0 and not props[flat[a]] & P_ONEWORD:
                        continue
                    if b - a == n:
                        same = True
                        for t in range(n):
                            if flat[a + t] != w[t]:
                                same = False
                                break
                        if same:
                            continue
                    for t in range(b - a):
                        arena[na + t] = flat[a + t]
                    r_s[nr] = na
                    r_e[nr] = na + (b - a)
                    na += b - a
                    r_cost[nr] = costs[r]
                    r_prior[nr] = prior
                    r_lm0[nr] = -1
                    nr += 1
            e_r1[q] = nr
            # glue split (textclean.repair.HomoglyphRepairer._split); parts never split again
            ncut = 0
            if not (fl & 32):
                part_start = 0
                a_s = 0
                a_k = kind[w[0]]
                t = 1
                while t <= n:
                    if t < n and kind[w[t]] == a_k:
                        t += 1
                        continue
                    if t == n:
                        break
                    # run a = [a_s, t), run b starts at t
                    b_k = kind[w[t]]
                    u = t
                    while u < n and kind[w[u]] == b_k:
                        u += 1
                    la, lb = t - a_s, u - t
                    if a_k == K_DIGIT or b_k == K_DIGIT:
                        ok = a_k == K_DIGIT and a_s == part_start and lb >= 2
                    else:
                        cc = ((props[w[t - 1]] & P_LOW) != 0) != ((props[w[t]] & P_LOW) != 0)
                        ok = la >= 2 and lb >= 2 and (cc or (la >= 4 and lb >= 4))
                    if ok:
                        cuts[ncut] = t
                        ncut += 1
                        part_start = t
                    a_s = t
                    a_k = b_k
                    t += 1
            if ncut:
                e_p0[q] = ne
                e_np[q] = ncut + 1
                ps = 0
                for t in range(ncut + 1):
                    pe = cuts[t] if t < ncut else n
                    alld = True
                    for x in range(s + ps, s + pe):
                        if kind[ids[x]] != K_DIGIT:
                            alld = False
                            break
                    e_s[ne] = s + ps
                    e_e[ne] = s + pe
                    e_ctx[ne] = ctx
                    e_dis[ne] = 1 if (dis and not alld) else 0
                    e_start[ne] = 0
                    e_flags[ne] = 32
                    ne += 1
                    ps = pe
            nraw = e_r1[q] - e_r0[q]
            part = (fl & 32) != 0
            if nraw == 0:
                e_code[q] = C_NORAW
            elif mixed and ncut == 0 and nraw == 1:
                e_code[q] = C_ONERAW
            else:
                e_code[q] = C_LM
            # LM spans: letter runs of the texts the decision (or the split of the parent) scores
            need_as = part or (
                e_code[q] == C_LM and (clean or (not mixed and ncut == 0 and (has_c or has_l)))
            )
            need_r = part or e_code[q] == C_LM
            ntexts = (1 if need_as else 0) + (nraw if need_r else 0)
            for tt in range(ntexts):
                if need_as and tt == 0:
                    ts, te = e_as[q], e_ae[q]
                    e_lm0[q] = nsp
                else:
                    r = e_r0[q] + tt - (1 if need_as else 0)
                    ts, te = r_s[r], r_e[r]
                    r_lm0[r] = nsp
                x = ts
                while x < te:
                    isd = kind[arena[x]] == K_DIGIT
                    y = x
                    while y < te and (kind[arena[y]] == K_DIGIT) == isd:
                        y += 1
                    if not isd:
                        sp_s[nsp] = x
                        sp_e[nsp] = y
                        nsp += 1
                    x = y
            q += 1
        if status:
            break
    ch_e0[n_chunks] = ne
    return (
        status,
        fallback,
        ch_e0,
        ch_nw,
        e_s[:ne],
        e_e[:ne],
        e_ctx[:ne],
        e_dis[:ne],
        e_code[:ne],
        e_flags[:ne],
        e_own[:ne],
        e_p0[:ne],
        e_np[:ne],
        e_r0[:ne],
        e_r1[:ne],
        e_as[:ne],
        e_ae[:ne],
        e_lm0[:ne],
        r_s[:nr],
        r_e[:nr],
        r_cost[:nr],
        r_prior[:nr],
        r_lm0[:nr],
        arena[:na],
        sp_s[:nsp],
        sp_e[:nsp],
    )


@njit(cache=True)
def _runs_score(arena, ts, te, lm, lm0, kind, props, number_score, glued, glued_lower):
    """``HomoglyphRepairer._runs_score`` of arena[ts:te]; letter runs take the LM scores
    ``lm[lm0], lm[lm0 + 1], ...`` in order."""
    total = 0.0
    x = ts
    idx = 0
    prev_s = -1
    prev_e = -1
    k = lm0
    while x < te:
        isd = kind[arena[x]] == K_DIGIT
        y = x
        while y < te and (kind[arena[y]] == K_DIGIT) == isd:
            y += 1
        if not isd:
            total += lm[k]
            k += 1
        else:
            total += number_score
            if idx > 0:
                inside = (
                    y < te
                    and (props[arena[prev_e - 1]] & P_LOW) != 0
                    and (props[arena[y]] & P_LOW) != 0
                )
                long_lower = prev_e - prev_s >= 3 and _is_lower_slice(
                    arena, prev_e - 3, prev_e, props
                )
                total -= glued_lower if inside or long_lower else glued
        prev_s, prev_e = x, y
        idx += 1
        x = y
    return total


@njit(cache=True, nogil=True)
def decide_chunks(
    ids,
    chunk_off,
    fallback,
    ch_e0,
    ch_nw,
    e_s,
    e_e,
    e_ctx,
    e_dis,
    e_code,
    e_flags,
    e_own,
    e_p0,
    e_np,
    e_r0,
    e_r1,
    e_as,
    e_ae,
    e_lm0,
    r_s,
    r_e,
    r_cost,
    r_prior,
    r_lm0,
    arena,
    lm,
    kind,
    props,
    space_id,
    fcfg,
):
    """Pass 2 (see the module docstring): (output ids, offsets per chunk, counts (n, 4):
    mixed, repaired, ambiguous, broken). ``fcfg`` = (ctx_weight, number_score,
    lookalike_number_score, split_cost, glued_digit_cost, glued_digit_lower_cost,
    ambiguity_margin, digit_margin, letter_margin, caps_margin, disguised_caps_margin,
    clean_margin, disguised_margin, disguised_letter_margin)."""
    ctx_weight = fcfg[0]
    number_score = fcfg[1]
    look_score = fcfg[2]
    split_cost = fcfg[3]
    glued = fcfg[4]
    glued_lower = fcfg[5]
    amb_margin = fcfg[6]
    digit_margin = fcfg[7]
    letter_margin = fcfg[8]
    caps_margin = fcfg[9]
    dcaps_margin = fcfg[10]
    clean_margin = fcfg[11]
    dclean_margin = fcfg[12]
    dletter_margin = fcfg[13]
    ne = e_s.size
    # decisions: output text span in ``buf`` (arena plus split texts), score, flags
    buf = np.empty(arena.size + 3 * ids.size + 16, np.int32)  # a split text is <= 3x its word
    buf[: arena.size] = arena
    nb = arena.size
    d_s = np.empty(ne, np.int64)
    d_e = np.empty(ne, np.int64)
    d_score = np.empty(ne, np.float64)
    d_changed = np.zeros(ne, np.bool_)
    d_amb = np.zeros(ne, np.bool_)
    nan = np.nan
    maxc = 1
    for q in range(ne):
        maxc = max(maxc, e_r1[q] - e_r0[q] + 2)
    c_s = np.empty(maxc, np.int64)
    c_e = np.empty(maxc, np.int64)
    c_sc = np.empty(maxc, np.float64)
    c_base = np.empty(maxc, np.bool_)
    order = np.empty(maxc, np.int64)
    for q in range(ne - 1, -1, -1):  # parts (appended after their words) first
        code = e_code[q]
        fl = e_flags[q]
        a_s, a_e = e_as[q], e_ae[q]
        n = a_e - a_s
        if code <= C_NUMBER:  # C_OTHER, C_NUMBER
            d_s[q], d_e[q] = a_s, a_e
            d_score[q] = number_score if code == C_NUMBER else nan
            continue
        mixed = (fl & 1) != 0
        clean = (fl & 2) != 0
        has_c = (fl & 4) != 0
        has_l = (fl & 8) != 0
        dis = e_dis[q] != 0
        np_ = e_np[q]
        # the split candidate
        sp_s = -1
        sp_e = -1
        sp_total = 0.0
        if np_ > 0:
            p0 = e_p0[q]
            sp_total = -split_cost * (np_ - 1)
            sp_s = nb
            for p in range(p0, p0 + np_):
                if p > p0:
                    buf[nb] = space_id
                    nb += 1
                for t in range(d_s[p], d_e[p]):
                    buf[nb] = buf[t]
                    nb += 1
                sc = d_score[p]
                if np.isnan(sc):
                    # the part's output is its own text or its only reading
                    if d_s[p] == e_as[p]:
                        sc = _runs_score(
                            buf, d_s[p], d_e[p], lm, e_lm0[p], kind, props,
                            number_score, glued, glued_lower,
                        )  # fmt: skip
                    else:
                        r = e_r0[p]
                        sc = _runs_score(
                            buf, d_s[p], d_e[p], lm, r_lm0[r], kind, props,
                            number_score, glued, glued_lower,
                        )  # fmt: skip
                sp_total += sc
            sp_e = nb
        r0, r1 = e_r0[q], e_r1[q]
        if code == C_NORAW:
            if np_ > 0:
                d_s[q], d_e[q] = sp_s, sp_e
                d_changed[q] = True
            else:
                d_s[q], d_e[q] = a_s, a_e
            d_amb[q] = mixed and np_ == 0
            d_score[q] = nan
            continue
        if code == C_ONERAW:
            d_s[q], d_e[q] = r_s[r0], r_e[r0]
            d_score[q] = nan
            d_changed[q] = True
            continue
        # candidates: as written, readings, split
        nc = 0
        own = e_own[q]
        if clean:
            c_s[nc], c_e[nc] = a_s, a_e
            c_sc[nc] = (lm[e_lm0[q]] - 0.0) + _prior(own, e_ctx[q], n, ctx_weight)
            c_base[nc] = True
            nc += 1
        elif not has_c and not has_l:
            c_s[nc], c_e[nc] = a_s, a_e
            c_sc[nc] = look_score - 0.0 + 0.0
            c_base[nc] = True
            nc += 1
        elif not mixed and np_ == 0:
            c_s[nc], c_e[nc] = a_s, a_e
            c_sc[nc] = (
                _runs_score(
                    buf, a_s, a_e, lm, e_lm0[q], kind, props, number_score, glued, glued_lower
                )
                - 0.0
                + 0.0
            )
            c_base[nc] = True
            nc += 1
        for r in range(r0, r1):
            c_s[nc], c_e[nc] = r_s[r], r_e[r]
            sc = _runs_score(
                buf, r_s[r], r_e[r], lm, r_lm0[r], kind, props, number_score, glued, glued_lower
            )
            c_sc[nc] = sc - r_cost[r] + r_prior[r]
            c_base[nc] = False
            nc += 1
        if np_ > 0:
            c_s[nc], c_e[nc] = sp_s, sp_e
            c_sc[nc] = sp_total - 0.0 + 0.0
            c_base[nc] = True
            nc += 1
        # stable sort by (-score, text)
        for a in range(nc):
            order[a] = a
        for a in range(1, nc):
            x = order[a]
            b = a - 1
            while b >= 0:
                y = order[b]
                if c_sc[y] < c_sc[x] or (
                    c_sc[y] == c_sc[x] and _less_text(buf, c_s[x], c_e[x], c_s[y], c_e[y])
                ):
                    order[b + 1] = y
                    b -= 1
                else:
                    break
            order[b + 1] = x
        best = order[0]
        if mixed:
            rival = -1
            for a in range(1, nc):
                if not _eq_text(buf, c_s[order[a]], c_e[order[a]], c_s[best], c_e[best]):
                    rival = order[a]
                    break
            d_amb[q] = rival >= 0 and c_sc[best] - c_sc[rival] < amb_margin
            d_s[q], d_e[q] = c_s[best], c_e[best]
            d_score[q] = c_sc[best]
            d_changed[q] = not _eq_text(buf, c_s[best], c_e[best], a_s, a_e)
            continue
        base = -1
        for a in range(nc):
            if c_base[order[a]]:
                base = order[a]
                break
        w = buf[a_s:a_e]
        if not clean:
            margin = digit_margin
        elif n == 1 and _is_upper_str(w, props):
            margin = dletter_margin if dis else letter_margin
        elif n >= 2 and _is_upper_str(w, props):
            margin = dcaps_margin if dis else caps_margin
        else:
            margin = dclean_margin if dis else clean_margin
        if best != base and c_sc[best] - c_sc[base] >= margin:
            d_s[q], d_e[q] = c_s[best], c_e[best]
            d_score[q] = c_sc[best]
            d_changed[q] = True
            continue
        rival = -1
        for a in range(nc):
            o = order[a]
            if o != base and not _eq_text(buf, c_s[o], c_e[o], c_s[base], c_e[base]):
                rival = o
                break
        d_amb[q] = clean and rival >= 0 and c_sc[rival] - c_sc[base] > -amb_margin
        d_s[q], d_e[q] = c_s[base], c_e[base]
        d_score[q] = c_sc[base]
        d_changed[q] = not _eq_text(buf, c_s[base], c_e[base], a_s, a_e)
    # chunk outputs
    n_chunks = chunk_off.size - 1
    out = np.empty(3 * ids.size + 16, np.int32)
    no = 0
    out_off = np.zeros(n_chunks + 1, np.int64)
    counts = np.zeros((n_chunks, 4), np.int32)
    for c in range(n_chunks):
        out_off[c] = no
        if fallback[c]:
            continue
        c0, c1 = chunk_off[c], chunk_off[c + 1]
        q = ch_e0[c]
        i = c0
        while i < c1:
            alnum = (props[ids[i]] & P_ALNUM) != 0
            j = i
            while j < c1 and ((props[ids[j]] & P_ALNUM) != 0) == alnum:
                j += 1
            if not alnum:
                for t in range(i, j):
                    if not props[ids[t]] & P_MARK:
                        out[no] = ids[t]
                        no += 1
            else:
                for t in range(d_s[q], d_e[q]):
                    out[no] = buf[t]
                    no += 1
                mixed = (e_flags[q] & 1) != 0
                counts[c, 0] += mixed
                counts[c, 1] += d_changed[q]
                counts[c, 2] += d_amb[q]
                counts[c, 3] += mixed or d_changed[q]
                q += 1
            i = j
    out_off[n_chunks] = no
    return out[:no], out_off, counts


# ---------------------------------------------------------------------- Python-side tables
_CLASS_IDS = {"tr39": 0, "italic": 1, "digit": 2, "multi": 3}
_LOW_LIMIT = 0x530  # every character of a reading or of a word that gets readings is below this
_NUMBER_JOINERS = ".,:/-"
START_MARK = "\x01"


def _char_props(ch: str) -> tuple[int, int]:
    """(kind, property bits) of one character, as the Python decision and the polars
    patterns of ``textclean.repair`` see it."""
    import unicodedata

    from textclean.repair import (
        _CYR_LAT_ONLY,
        _CYR_NONDEC,
        _LAT_CAPS_MAPPABLE,
        _LAT_MAPPABLE,
        _LAT_STRESSED,
        _SURE_LAT,
        KEEP_MARK,
        ONE_LETTER_WORDS,
    )

    if "0" <= ch <= "9":
        k = K_DIGIT
    elif is_cyrillic(ch):
        k = K_CYR
    elif is_latin(ch):
        k = K_LAT
    else:
        k = K_OTHER
    p = 0
    for flag, ok in (
        (P_UP, ch.isupper()),
        (P_LOW, ch.islower()),
        (P_TITLE, ch.istitle() and not ch.isupper()),
        (P_ALPHA, ch.isalpha()),
        (P_ALNUM, ch.isalnum()),
        (P_ISDIGIT, ch.isdigit()),
        (P_JOIN, ch in _NUMBER_JOINERS),
        (P_LOOK, ch in "0346"),
        (P_MARK, ch in (START_MARK, KEEP_MARK)),
        (P_W, unicodedata.category(ch)[0] in "LN"),
        (P_DECC, ch in DECISIVE_CYR),
        (P_DECL, ch in DECISIVE_LAT),
        (P_CNONDEC, ch in _CYR_NONDEC),
        (P_LMAP, ch in _LAT_MAPPABLE),
        (P_OTHERW, unicodedata.category(ch)[0] in "LN" and k == K_OTHER),
        (P_SENT, ch in ".!?\u2026"),
        (P_CLOSE, ch in ")\"'"),
        (P_OPEN, ch in "\"'("),
        (P_ONEWORD, ch in ONE_LETTER_WORDS),
        (P_SURELAT, ch in _SURE_LAT or ch in _CYR_LAT_ONLY),
        (P_CAPMAP, ch in _LAT_CAPS_MAPPABLE),
        (P_STRESS, ch in _LAT_STRESSED),
    ):
        if ok:
            p |= flag
    return k, p


_TABLES: list[CharTables] = []


def char_tables() -> CharTables:
    """The process-wide :class:`CharTables` (built on first use; they depend on no setting)."""
    if not _TABLES:
        _TABLES.append(CharTables())
    return _TABLES[0]


class CharTables:
    """Character properties (indexed by code point, filled lazily for characters above
    U+052F) and the confusables tables in array form for the kernels."""

    def __init__(self) -> None:
        self.kind = np.full(0x110000, K_OTHER, np.int8)
        self.props = np.zeros(0x110000, np.int32)
        self.known = np.zeros(0x110000, np.bool_)
        for cp in range(_LOW_LIMIT):
            self.kind[cp], self.props[cp] = _char_props(chr(cp))
        self.known[:_LOW_LIMIT] = True
        self.lower = np.arange(_LOW_LIMIT, dtype=np.int32)
        for cp in range(_LOW_LIMIT):
            low = chr(cp).lower()
            if len(low) == 1:
                self.lower[cp] = ord(low)
        from textclean.repair import _TR39_TABLES  # the tables ``_readings_dp`` reads

        tabs = [TO_CYR, _TR39_TABLES["C"], TO_LAT, _TR39_TABLES["L"]]
        size = _LOW_LIMIT + 1
        self.opt_off = np.zeros((4, size), np.int64)
        self.mul_off = np.zeros((4, size), np.int64)
        m0: list[int] = []
        m1: list[int] = []
        cl: list[int] = []
        g2: list[int] = []
        g0: list[int] = []
        gc: list[int] = []
        most_opts, most_multi = 0, 0
        for t, table in enumerate(tabs):
            singles: dict[int, list] = {}
            multis: dict[int, list] = {}
            for key, opts in table.items():
                if len(key) == 1:
                    singles[ord(key)] = list(opts)
                    most_opts = max(most_opts, len(opts))
                elif len(key) == 2:
                    multis.setdefault(ord(key[0]), []).extend((ord(key[1]), o) for o in opts)
                    most_multi = max(most_multi, len(opts))
                else:
                    raise ValueError(f"confusables key {key!r} longer than 2 characters")
            for cp in range(_LOW_LIMIT):
                self.opt_off[t, cp] = len(m0)
                for meant, c in singles.get(cp, ()):
                    if not 1 <= len(meant) <= 2 or max(map(ord, meant)) >= _LOW_LIMIT:
                        raise ValueError(f"confusables reading {meant!r} not supported")
                    m0.append(ord(meant[0]))
                    m1.append(ord(meant[1]) if len(meant) == 2 else -1)
                    cl.append(_CLASS_IDS[c])
                self.mul_off[t, cp] = len(g0)
                for second, (meant, c) in multis.get(cp, ()):
                    if len(meant) != 1:
                        raise ValueError(f"multi-character reading {meant!r} not supported")
                    g2.append(second)
                    g0.append(ord(meant))
                    gc.append(_CLASS_IDS[c])
            self.opt_off[t, _LOW_LIMIT] = len(m0)
            self.mul_off[t, _LOW_LIMIT] = len(g0)
        self.opt_m0 = np.array(m0, np.int32)
        self.opt_m1 = np.array(m1, np.int32)
        self.opt_cls = np.array(cl, np.int64)
        self.mul_second = np.array(g2, np.int32)
        self.mul_m0 = np.array(g0, np.int32)
        self.mul_cls = np.array(gc, np.int64)
        self.width = 1 + most_opts + most_multi  # DP states per reading kept, at most
        # per table and character: 0 no reading at all, 1 kept as written, 2 exactly one
        # reading (and no multi-character rule), 3 needs the reading programme
        in_multi = [{ord(c) for key in table if len(key) == 2 for c in key} for table in tabs]
        multi_first = [{ord(key[0]) for key in table if len(key) == 2} for table in tabs]
        self.fcls = np.zeros((4, size), np.int8)
        for t in range(4):
            keep = K_CYR if t < 2 else K_LAT
            for cp in range(_LOW_LIMIT):
                nopt = self.opt_off[t, cp + 1] - self.opt_off[t, cp]
                if self.kind[cp] == keep:
                    if nopt:
                        raise ValueError(f"confusables: {chr(cp)!r} has a reading in its script")
                    self.fcls[t, cp] = 1
                elif self.kind[cp] == K_DIGIT or nopt >= 2 or cp in multi_first[t]:
                    self.fcls[t, cp] = 3
                elif nopt == 1:
                    self.fcls[t, cp] = 2
                else:
                    self.fcls[t, cp] = 3 if cp in in_multi[t] else 0

    def learn(self, cps: np.ndarray) -> None:
        """Fill the properties of the code points of ``cps`` not seen before."""
        high = cps[cps >= _LOW_LIMIT]
        if high.size == 0:
            return
        new = np.unique(high[~self.known[high]])
        for cp in new.tolist():
            self.kind[cp], self.props[cp] = _char_props(chr(cp))
        self.known[new] = True


# ---------------------------------------------------------------------- text-level passes
@njit(cache=True, nogil=True)
def utf8_decode(data, offsets, n):
    """Code points of ``n`` UTF-8 strings (Arrow buffers) and their code point offsets."""
    base = offsets[0]
    cps = np.empty(offsets[n] - base, np.int32)
    off = np.empty(n + 1, np.int64)
    m = 0
    for t in range(n):
        off[t] = m
        i = offsets[t]
        end = offsets[t + 1]
        while i < end:
            b = np.int32(data[i])
            if b < 0x80:
                cps[m] = b
                i += 1
            elif b < 0xE0:
                cps[m] = ((b & 0x1F) << 6) | (np.int32(data[i + 1]) & 0x3F)
                i += 2
            elif b < 0xF0:
                cps[m] = (
                    ((b & 0x0F) << 12)
                    | ((np.int32(data[i + 1]) & 0x3F) << 6)
                    | (np.int32(data[i + 2]) & 0x3F)
                )
                i += 3
            else:
                cps[m] = (
                    ((b & 0x07) << 18)
                    | ((np.int32(data[i + 1]) & 0x3F) << 12)
                    | ((np.int32(data[i + 2]) & 0x3F) << 6)
                    | (np.int32(data[i + 3]) & 0x3F)
                )
                i += 4
            m += 1
    off[n] = m
    return cps[:m], off


@njit(cache=True)
def _count_mixed(cps, s, e, props, kind):
    """count_matches of MIXED_WORD_PATTERN in cps[s:e] (leftmost-first, non-overlapping):
    ``[C]\\w*[L]`` ends at the last Latin letter of the word run after the start, ``[L]\\w*[C]``
    at its last Cyrillic character (the one just after the run included), ``[C][0346]+[C]``
    after the Cyrillic character that follows the digits."""
    count = 0
    p = s
    r = -1  # the word run after p: (p, r), with the last Latin / Cyrillic position in (p, r]
    last_l = -1
    last_c = -1
    while p < e:
        k = kind[cps[p]]
        end = -1
        if k in (K_CYR, K_LAT):
            if p + 1 >= r:  # a new run: find its end and its last Latin / Cyrillic characters
                r = p + 1
                last_l = -1
                last_c = -1
                while r < e and props[cps[r]] & P_W:
                    kr = kind[cps[r]]
                    if kr == K_LAT:
                        last_l = r
                    elif kr == K_CYR:
                        last_c = r
                    r += 1
                if r < e and kind[cps[r]] == K_CYR:
                    last_c = r
            last = last_l if k == K_CYR else last_c
            if last > p:
                end = last + 1
            elif k == K_CYR:
                d = p + 1
                while d < e and props[cps[d]] & P_LOOK:
                    d += 1
                if d > p + 1 and d < e and kind[cps[d]] == K_CYR:
                    end = d + 1
        if end >= 0:
            count += 1
            p = end
        else:
            p += 1
    return count


@njit(cache=True)
def _needs_decision(cps, s, e, props, kind):
    """Whether cps[s:e] (a marked chunk) matches NEEDS_DECISION."""
    cyr_open = False  # a Cyrillic character reaches here through word characters
    lat_open = False  # ... a Latin letter or digit
    i = s
    while i < e:
        c = cps[i]
        k = kind[c]
        p = props[c]
        if p & P_MARK:
            return True
        lat_or_d = k in (K_LAT, K_DIGIT)
        if cyr_open and lat_or_d:
            return True
        if lat_open and k == K_CYR:
            return True
        if i + 1 < e:
            k2 = kind[cps[i + 1]]
            if (k == K_DIGIT and k2 == K_LAT) or (k == K_LAT and k2 == K_DIGIT):
                return True
        w = (p & P_W) != 0
        cyr_open = k == K_CYR or (cyr_open and w)
        lat_open = lat_or_d or (lat_open and w)
        i += 1
    # maximal word runs made only of look-alike letters / look-alike digits
    i = s
    while i < e:
        if not props[cps[i]] & P_W:
            i += 1
            continue
        j = i
        all_cnd = True
        all_lmd = True
        has_lm = False
        all_look = True
        while j < e and props[cps[j]] & P_W:
            c = cps[j]
            p = props[c]
            if not p & P_CNONDEC:
                all_cnd = False
            if p & P_LMAP:
                has_lm = True
            elif kind[c] != K_DIGIT:
                all_lmd = False
            if not p & P_LOOK:
                all_look = False
            j += 1
        if all_cnd or (all_lmd and has_lm) or all_look:
            return True
        i = j
    return False


@njit(cache=True)
def _opens_sentence(cps, t0, p, props):
    """SENTENCE_START_DIGIT: the digit at ``p`` opens a sentence of the text starting at t0."""
    if p == t0:
        return True
    q = p - 1
    while q >= t0 and props[cps[q]] & P_OPEN:
        q -= 1
    if q < t0 or cps[q] != 32:
        return False
    q -= 1
    while q >= t0 and props[cps[q]] & P_CLOSE:
        q -= 1
    return q >= t0 and (props[cps[q]] & P_SENT) != 0


@njit(cache=True)
def _sure_latin(cps, a, b, kind, props):
    """``textclean.repair._sure_latin`` of the word cps[a:b]."""
    for k in range(a, b):
        if kind[cps[k]] != K_LAT and not props[cps[k]] & P_CNONDEC:
            return False
    for k in range(a, b):
        x = cps[k]
        if props[x] & P_SURELAT:
            return True
        if (x == 105 or x == 73 or x == 108) and (
            k == a or (cps[k - 1] != 98 and cps[k - 1] != 66)
        ):  # i I l, not after b B
            return True
    return False


@njit(cache=True)
def _kept_word(cps, i, e, props, kind, prev_dig, prev_sure, deg):
    """``textclean.repair.kept_words`` for the word starting at ``i`` (text ends at ``e``):
    ``prev_dig`` / ``prev_sure`` the previous word is all digits / surely Latin, ``deg`` a
    degree sign lies between them."""
    j = i
    alld = True
    caps = True
    while j < e and props[cps[j]] & P_ALNUM:
        x = cps[j]
        if kind[x] != K_DIGIT:
            alld = False
        if not props[x] & P_CAPMAP:
            caps = False
        j += 1
    if alld:
        if prev_dig:
            return True
        k = j
        while k < e and not props[cps[k]] & P_ALNUM:
            if cps[k] == 0xB0 or cps[k] == 37:  # degree sign, percent
                return True
            k += 1
        if k == e:
            return False
        while k < e and props[cps[k]] & P_ALNUM:
            if kind[cps[k]] != K_DIGIT:
                return False
            k += 1
        return True
    if j - i == 1 and deg:
        return True
    if not caps or not (j - i >= 2 or (j < e and cps[j] == 46)):
        return False
    if prev_sure:
        return True
    k = j
    while k < e and not props[cps[k]] & P_ALNUM:
        k += 1
    if k == e:
        return False
    m = k
    while m < e and props[cps[m]] & P_ALNUM:
        m += 1
    return _sure_latin(cps, k, m, kind, props)


@njit(cache=True, nogil=True)
def text_pass(cps, off, valid, props, kind, share):
    """Per text: context bucket, disguise flag, word and other-script word counts; the texts'
    space-separated chunks with sentence-start digits marked; the distinct chunks that need a
    decision (keyed by chunk text, context, disguise). Returns (ctx, dis, words, other,
    marked code points, chunk starts, chunk ends, chunk -> distinct id or -1, chunks per text
    offsets, distinct chunk first occurrences, their ctx, their dis)."""
    n = off.size - 1
    ctx = np.zeros(n, np.int64)
    dis = np.zeros(n, np.bool_)
    words = np.zeros(n, np.int64)
    other = np.zeros(n, np.int64)
    marked = np.empty(3 * cps.size + 1, np.int32)
    nm = 0
    nchunk_max = 0
    for t in range(n):
        for i in range(off[t], off[t + 1]):
            if cps[i] == 32:
                nchunk_max += 1
        nchunk_max += 1
    c_s = np.empty(nchunk_max, np.int64)
    c_e = np.empty(nchunk_max, np.int64)
    c_u = np.full(nchunk_max, -1, np.int64)
    t_c = np.zeros(n + 1, np.int64)
    nc = 0
    bits = 4
    while (1 << bits) < 2 * nchunk_max + 2:
        bits += 1
    size = 1 << bits
    # slot -> (distinct id or -1, hash, chunk start, length/ctx/dis): one cache line a probe
    table = np.full((size, 4), -1, np.int64)
    u_first = np.empty(nchunk_max, np.int64)
    u_ctx = np.empty(nchunk_max, np.int64)
    u_dis = np.empty(nchunk_max, np.bool_)
    nu = 0
    for t in range(n):
        t_c[t] = nc
        if not valid[t]:
            continue
        s, e = off[t], off[t + 1]
        dc = 0
        dl = 0
        nw = 0
        no = 0
        i = s
        while i < e:  # word runs (WORD_PATTERN) and those of other scripts
            if props[cps[i]] & P_W:
                j = i
                oth = False
                wc = 0  # decisive letters of this word; its Latin ones count only when it
                wl = 0  # holds no Cyrillic one (textclean.repair.context_bucket)
                while j < e and props[cps[j]] & P_W:
                    p = props[cps[j]]
                    if p & P_OTHERW:
                        oth = True
                    if p & P_DECC:
                        wc += 1
                    elif p & P_DECL:
                        wl += 1
                    j += 1
                dc += wc
                if wc == 0:
                    dl += wl
                nw += 1
                no += oth
                i = j
            else:
                i += 1
        fc = np.float64(dc)
        fl = np.float64(dl)
        cx = np.int64(np.floor((fc - fl) / (fc + fl + 2.0) * 2.0 + 0.5))
        mixed = _count_mixed(cps, s, e, props, kind)
        if share <= 0:
            dz = mixed > 0
        else:
            dz = mixed > 0 and np.float64(mixed) >= share * np.float64(nw)
        ctx[t] = cx
        dis[t] = dz
        words[t] = nw
        other[t] = no
        # chunks, with the sentence-start mark before digits that open a sentence and the
        # keep mark before words that textclean.repair.kept_words flags
        cs = nm
        wend = s  # end of the current word (alnum run)
        prev_dig = False  # the previous word is all digits
        prev_sure = False  # ... is surely Latin
        deg = False  # a degree sign since the previous word
        for i in range(s, e + 1):
            if i == e or cps[i] == 32:
                c_s[nc] = cs
                c_e[nc] = nm
                nc += 1
                cs = nm
                continue
            c = cps[i]
            if kind[c] == K_DIGIT and _opens_sentence(cps, s, i, props):
                marked[nm] = START_ID
                nm += 1
            if props[c] & P_ALNUM:
                if i >= wend:  # a word starts: look at it (one pass) and, if it may be
                    # kept, at what follows
                    j = i
                    alld = True
                    caps = True
                    allat = True
                    surec = False
                    while j < e and props[cps[j]] & P_ALNUM:
                        x = cps[j]
                        kx = kind[x]
                        if kx != K_DIGIT:
                            alld = False
                        if not props[x] & P_CAPMAP:
                            caps = False
                        if kx != K_LAT and not props[x] & P_CNONDEC:
                            allat = False
                        elif props[x] & P_SURELAT or (
                            (x == 105 or x == 73 or x == 108)
                            and (j == i or (cps[j - 1] != 98 and cps[j - 1] != 66))
                        ):  # as _sure_latin
                            surec = True
                        j += 1
                    if (alld or caps or (deg and j - i == 1)) and _kept_word(
                        cps, i, e, props, kind, prev_dig, prev_sure, deg
                    ):
                        marked[nm] = KEEP_ID
                        nm += 1
                    wend = j
                    prev_dig = alld
                    prev_sure = allat and surec
                    deg = False
            elif c == 0xB0:
                deg = True
            marked[nm] = c
            nm += 1
        # distinct chunks that need a decision
        for q in range(t_c[t], nc):
            a, b = c_s[q], c_e[q]
            if not _needs_decision(marked, a, b, props, kind):
                continue
            h = np.uint64(14695981039346656037) ^ np.uint64(cx + 8) ^ (np.uint64(dz) << 8)
            for x in range(a, b):
                h = (h ^ np.uint64(marked[x])) * np.uint64(1099511628211)
            hk = np.int64(h >> np.uint64(1))
            meta = ((b - a) << 5) | ((cx + 8) << 1) | (1 if dz else 0)  # length, ctx, dis
            slot = np.int64((h * np.uint64(11400714819323198485)) >> np.uint64(64 - bits))
            while True:
                u = table[slot, 0]
                if u < 0:
                    table[slot, 0] = nu
                    table[slot, 1] = hk
                    table[slot, 2] = a
                    table[slot, 3] = meta
                    u_first[nu] = q
                    u_ctx[nu] = cx
                    u_dis[nu] = dz
                    c_u[q] = nu
                    nu += 1
                    break
                if table[slot, 1] == hk and table[slot, 3] == meta:
                    f0 = table[slot, 2]
                    same = True
                    for x in range(b - a):
                        if marked[f0 + x] != marked[a + x]:
                            same = False
                            break
                    if same:
                        c_u[q] = u
                        break
                slot = (slot + 1) & (size - 1)
    t_c[n] = nc
    return (
        ctx,
        dis,
        words,
        other,
        marked[:nm],
        c_s[:nc],
        c_e[:nc],
        c_u[:nc],
        t_c,
        u_first[:nu],
        u_ctx[:nu],
        u_dis[:nu],
    )


@njit(cache=True, nogil=True)
def gather(buf, starts, ends):
    """The spans ``buf[starts[i]:ends[i]]`` side by side, and their offsets."""
    n = starts.size
    off = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):
        off[i] = m
        m += ends[i] - starts[i]
    off[n] = m
    out = np.empty(m, np.int32)
    for i in range(n):
        out[off[i] : off[i + 1]] = buf[starts[i] : ends[i]]
    return out, off


@njit(cache=True, nogil=True)
def assemble(marked, c_s, c_e, c_u, t_c, valid, d_out, d_s, d_e, d_counts):
    """Each text's output as UTF-8 (Arrow offsets and bytes): its chunks joined by spaces, a
    decided chunk replaced by its output; and the per-text sums of the chunk counts."""
    n = t_c.size - 1
    counts = np.zeros((n, 4), np.int64)
    total = 0
    for q in range(c_s.size):
        u = c_u[q]
        total += 4 * ((d_e[u] - d_s[u]) if u >= 0 else (c_e[q] - c_s[q])) + 1
    data = np.empty(total + 1, np.uint8)
    offs = np.zeros(n + 1, np.int64)
    m = 0
    for t in range(n):
        offs[t] = m
        if not valid[t]:
            continue
        for q in range(t_c[t], t_c[t + 1]):
            if q > t_c[t]:
                data[m] = 32
                m += 1
            u = c_u[q]
            if u >= 0:
                src = d_out
                a, b = d_s[u], d_e[u]
                for k in range(4):
                    counts[t, k] += d_counts[u, k]
            else:
                src = marked
                a, b = c_s[q], c_e[q]
            for x in range(a, b):
                c = src[x]
                if c < 0x80:
                    data[m] = c
                    m += 1
                elif c < 0x800:
                    data[m] = 0xC0 | (c >> 6)
                    data[m + 1] = 0x80 | (c & 0x3F)
                    m += 2
                elif c < 0x10000:
                    data[m] = 0xE0 | (c >> 12)
                    data[m + 1] = 0x80 | ((c >> 6) & 0x3F)
                    data[m + 2] = 0x80 | (c & 0x3F)
                    m += 3
                else:
                    data[m] = 0xF0 | (c >> 18)
                    data[m + 1] = 0x80 | ((c >> 12) & 0x3F)
                    data[m + 2] = 0x80 | ((c >> 6) & 0x3F)
                    data[m + 3] = 0x80 | (c & 0x3F)
                    m += 4
    offs[n] = m
    return data[:m], offs, counts


@njit(cache=True, nogil=True)
def dedupe_spans(buf, sp_s, sp_e, lower):
    """Distinct spans of ``buf`` up to case (``lower`` maps a code point below U+0530 to its
    one-character lower case): (index of each distinct span's first occurrence, distinct id of
    every span). Spans equal here have equal ``str.lower()``, so they share one LM score."""
    n = sp_s.size
    bits = 4
    while (1 << bits) < 2 * n + 2:
        bits += 1
    size = 1 << bits
    table = np.full(size, -1, np.int64)
    first = np.empty(n, np.int64)
    inv = np.empty(n, np.int64)
    nu = 0
    nl = lower.size
    for i in range(n):
        a, b = sp_s[i], sp_e[i]
        h = np.uint64(14695981039346656037)
        for x in range(a, b):
            c = buf[x]
            lc = lower[c] if c < nl else c
            h = (h ^ np.uint64(lc)) * np.uint64(1099511628211)
        slot = np.int64((h * np.uint64(11400714819323198485)) >> np.uint64(64 - bits))
        while True:
            u = table[slot]
            if u < 0:
                table[slot] = nu
                first[nu] = i
                inv[i] = nu
                nu += 1
                break
            f = first[u]
            fa, fb = sp_s[f], sp_e[f]
            if fb - fa == b - a:
                same = True
                for x in range(b - a):
                    c1, c2 = buf[fa + x], buf[a + x]
                    l1 = lower[c1] if c1 < nl else c1
                    l2 = lower[c2] if c2 < nl else c2
                    if l1 != l2:
                        same = False
                        break
                if same:
                    inv[i] = u
                    break
            slot = (slot + 1) & (size - 1)
    return first[:nu], inv
