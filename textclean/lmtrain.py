"""Interpolated modified Kneser-Ney n-gram trainer that writes ARPA files for KenLM.

The PyPI ``kenlm`` package can query models but not build them (its trainer ``lmplz`` is C++ only),
so this module re-implements lmplz's estimation (Heafield et al. 2013, "Scalable Modified Kneser-Ney
Language Model Estimation") with numpy. The output matches lmplz's ARPA n-gram for n-gram and
probability for probability (checked against lmplz 0.3.0 fixtures in ``tests/textclean``).

What lmplz does, and therefore what :func:`estimate` does:

1. Every sentence becomes ``<s> w1 ... wk </s>``; every n-gram of it, n = 1..order, is counted
   (a sentence with count c counts c times). ``<s>``, ``</s>`` and ``<unk>`` inside the input are
   dropped (lmplz's ``--skip_symbols``) and counted in :class:`TrainStats`.
2. Adjusted counts: highest-order n-grams and n-grams that start with ``<s>`` keep their raw
   count; every other lower-order n-gram gets its continuation count, the number of distinct words
   seen to its left. The unigrams ``<s>`` and ``<unk>`` have adjusted count 0.
3. Discounts per order from the counts-of-counts n1..n4 of the adjusted counts:
   ``Y = n1 / (n1 + 2 n2)``, ``D_k = k - (k + 1) Y n_{k+1} / n_k`` for k = 1, 2, 3 (3 means 3+).
   One lmplz quirk is kept so the numbers match: the suffixes of the last highest-order n-gram
   (in lmplz's sort order) enter n1..n4 with their raw count (see ``_discount_counts``).
   When some n_k (k <= 3) is 0 or a D_k falls outside [0, k] (tiny or artificial data), lmplz
   stops unless given ``--discount_fallback``; here the fallback discounts (0.5, 1, 1.5) are
   used with a warning by default, or :class:`BadDiscountError` is raised when
   ``discount_fallback=None``. Word lists with large counts (every n-gram seen many times)
   often lack adjusted count 1 or 2 at some order and so use the fallback there.
4. ``u(w | c) = (a(c w) - D(a(c w))) / sum_x a(c x)`` and the interpolation weight
   ``gamma(c) = (D1 N1(c .) + D2 N2(c .) + D3 N3+(c .)) / sum_x a(c x)``; then
   ``p(w | c) = u(w | c) + gamma(c) p(w | c')`` with c' = c minus its first word, down to the
   uniform distribution ``1 / |V|`` over the vocabulary (``<unk>`` included, ``<s>`` excluded).
   ``<unk>`` gets only the uniform share; ``<s>`` gets probability 1 (log10 0), the lmplz
   convention that lets ``<s>`` be scored without cost.
5. The ARPA backoff of an n-gram is ``gamma`` of that n-gram as a context (log10 0 when it is
   never a context, or ends with ``</s>`` or ``<unk>``).

N-grams are numbered order by order: an n-gram's key is ``id(first n-1 words) * |V| + last word``
and ``np.unique`` over those int64 keys gives dense ids, so every step is a numpy column operation
(the only Python loops run over orders and over *distinct* input sentences).

Differences from lmplz, on purpose: tokens are split like ``kenlm.Model.score`` splits them
(:func:`split_tokens`: ASCII space, tab, CR, LF, VT, FF; lmplz keeps VT/FF inside tokens); empty
sentences are skipped and counted (lmplz trains ``<s> </s>`` for an empty line); ``<s>``/``</s>``/
``<unk>`` in the input are skipped (lmplz's ``--skip_symbols``; plain lmplz fails); fallback
discounts are on by default (lmplz's ``--discount_fallback``). Probabilities are computed in
float64 (lmplz: float32), so values differ from lmplz's by about 1e-6.

Character models: :func:`char_sentence` turns a word into a KenLM "sentence" of its characters.
Scoring must use the same function: ``model.score(char_sentence(word), bos=True, eos=True)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported where it is used: the CLI's --help stays fast
    import numpy as np

log = logging.getLogger(__name__)

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIAL_TOKENS = (UNK, BOS, EOS)
#: lmplz's ``--discount_fallback`` default discounts for adjusted counts 1, 2 and 3+.
DEFAULT_DISCOUNT_FALLBACK: tuple[float, float, float] = (0.5, 1.0, 1.5)
#: Highest order the PyPI ``kenlm`` query module loads (its build's KENLM_MAX_ORDER).
KENLM_MAX_ORDER = 6
#: What :func:`char_sentence` writes for a token separator (or NUL) inside a word.
SPACE_SYMBOL = "\u2581"  # "LOWER ONE EIGHTH BLOCK", as in SentencePiece

_SNIFF_LINES = 50
#: The characters that separate tokens. ``kenlm.Model.score`` encodes the sentence to UTF-8 and
#: calls ``bytes.split()``, which splits on exactly these; training splits the same way so a
#: model never holds a token the scorer cannot produce. (lmplz splits on space, tab, CR, LF and
#: NUL; non-ASCII whitespace such as U+00A0 is part of a token for all three.)
TOKEN_SEPARATORS = " \t\n\r\x0b\x0c"
_SEPARATOR_RUN = re.compile("[" + re.escape(TOKEN_SEPARATORS) + "]+")
_NOT_A_CHAR_TOKEN = re.compile("[" + re.escape(TOKEN_SEPARATORS) + "\x00]")


class BadDiscountError(ValueError):
    """Kneser-Ney discounts cannot be estimated from these counts (tiny or artificial data)."""


# --------------------------------------------------------------------------- sentences and corpora


def char_sentence(word: str) -> str:
    """Return ``word`` as a KenLM sentence of single characters separated by spaces.

    ``"кот" -> "к о т"``. Used both to train character models and to score words with them.
    The token separators (``TOKEN_SEPARATORS``: ASCII space, tab, CR, LF, VT, FF) and NUL
    cannot be KenLM tokens, so each is written as ``SPACE_SYMBOL`` ("▁"): ``"a b" -> "a ▁ b"``.
    Words never contain them in practice; the mapping just keeps scoring total. Every other
    character, non-ASCII whitespace such as U+00A0 included, is a token of its own. Case is kept.
    """
    if _NOT_A_CHAR_TOKEN.search(word) is not None:
        word = _NOT_A_CHAR_TOKEN.sub(SPACE_SYMBOL, word)
    return " ".join(word)


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into tokens exactly as ``kenlm.Model.score`` does (on TOKEN_SEPARATORS)."""
    text = text.strip(TOKEN_SEPARATORS)
    return _SEPARATOR_RUN.split(text) if text else []


def _wordlist_entry(line: str) -> tuple[str, str] | None:
    """``(word, count text)`` when ``line`` is two tokens and the second an integer, else None."""
    parts = split_tokens(line)
    if len(parts) == 2 and parts[1].removeprefix("-").isdecimal():
        return parts[0], parts[1]
    return None


def _sniff_kind(path: Path) -> str:
    """Guess "wordlist" (``word count`` lines) or "text" from the first non-empty lines."""
    seen = 0
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not split_tokens(line):
                continue
            if _wordlist_entry(line) is None:
                return "text"
            seen += 1
            if seen >= _SNIFF_LINES:
                break
    return "wordlist" if seen else "text"


def read_corpus(
    paths: Iterable[str | os.PathLike[str]], kind: str = "auto"
) -> Iterator[tuple[str, int]]:
    """Yield ``(word, count)`` pairs from word lists and/or plain-text files.

    kind: "wordlist" (each non-empty line is ``word count``; the same word may repeat, counts
    add up at training time), "text" (words are the tokens of :func:`split_tokens`, counted
    per file),
    or "auto" (per file: a word list when its first non-empty lines all look like
    ``word <integer>``, else text). Files are read as UTF-8, line by line.

    Raises FileNotFoundError naming a missing file, and ValueError naming file and line number for
    a malformed or non-positive count in a word list, or for bytes that are not UTF-8.
    """
    if kind not in ("auto", "wordlist", "text"):
        raise ValueError(f"kind must be 'auto', 'wordlist' or 'text', not {kind!r}")
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise FileNotFoundError(f"corpus file not found: {path}")
        file_kind = _sniff_kind(path) if kind == "auto" else kind
        if file_kind == "wordlist":
            yield from _read_wordlist(path)
        else:
            yield from _read_text_counts(path).items()


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line)`` of a UTF-8 file; bad bytes raise ValueError naming the line.

    Lines are decoded one by one (not by the text layer in chunks) so the line number is exact.
    """
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not UTF-8 ({exc.reason})") from exc
            yield lineno, line


def _read_wordlist(path: Path) -> Iterator[tuple[str, int]]:
    for lineno, line in _numbered_lines(path):
        if not split_tokens(line):
            continue
        entry = _wordlist_entry(line)
        if entry is None:
            raise ValueError(f"{path}:{lineno}: expected 'word count', got {line.rstrip()[:80]!r}")
        count = int(entry[1])
        if count < 1:
            raise ValueError(f"{path}:{lineno}: count must be >= 1, got {count}")
        yield entry[0], count


def _read_text_counts(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for _, line in _numbered_lines(path):
        counts.update(split_tokens(line))
    return counts


# --------------------------------------------------------------------------- estimation


@dataclass
class TrainStats:
    """What went into a model: shown by the CLI, useful in logs."""

    sentences: int = 0  # input sentences, counted with their weights
    distinct_sentences: int = 0
    tokens: int = 0  # words (not <s>/</s>), counted with weights
    skipped_empty: int = 0  # empty sentences (weighted), not trained on
    skipped_special: int = 0  # <s>, </s>, <unk> tokens found in the input and dropped
    ngram_counts: list[int] = field(default_factory=list)
    discounts: list[tuple[float, float, float]] = field(default_factory=list)
    fallback_orders: list[int] = field(default_factory=list)  # orders that used fallback discounts


@dataclass
class KNModel:
    """An estimated model: per order n (index n-1), the n-grams and their log10 values.

    ``words[n-1]`` is an (count, n) int array of vocabulary ids, ``logprob[n-1]`` the log10
    probabilities and ``backoff[n-1]`` the log10 backoffs (None for the highest order).
    """

    vocab: list[str]
    words: list[np.ndarray]
    logprob: list[np.ndarray]
    backoff: list[np.ndarray | None]
    stats: TrainStats

    @property
    def order(self) -> int:
        return len(self.words)


def _encode(
    sentences: Iterable[tuple[str, int]], stats: TrainStats
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate sentences and lay them out as one padded token-id array.

    Returns (vocab, tok, last, weight): ``tok`` holds ``<s> w.. </s>`` for every distinct sentence
    back to back; for each position, ``last`` is the index of its sentence's ``</s>`` and
    ``weight`` the sentence count.
    """
    import numpy as np
    import polars as pl

    agg: Counter[str] = Counter()
    for text, count in sentences:
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise ValueError(
                f"sentence count must be a positive integer, got {count!r} for {text!r}"
            )
        agg[text] += int(count)

    # Re-aggregate after tokenising: "a  b" and "a b" are the same sentence.
    special = set(SPECIAL_TOKENS)
    by_tokens: Counter[tuple[str, ...]] = Counter()
    for text, count in agg.items():  # loop over distinct sentences
        toks = split_tokens(text)
        if not special.isdisjoint(toks):
            kept = [t for t in toks if t not in special]
            stats.skipped_special += (len(toks) - len(kept)) * count
            toks = kept
        if not toks:
            stats.skipped_empty += count
            continue
        by_tokens[tuple(toks)] += count

    stats.distinct_sentences = len(by_tokens)
    if not by_tokens:
        raise ValueError("no training data: every sentence was empty")

    # Token strings -> ids in one columnar step (polars Enum over the distinct words). Ids follow
    # first appearance, as in lmplz: it matters for one lmplz quirk, see _discount_counts.
    flat = pl.Series("t", list(chain.from_iterable(by_tokens)), dtype=pl.String)
    words = flat.unique(maintain_order=True)
    vocab = [UNK, BOS, EOS, *words.to_list()]
    inner = flat.cast(pl.Enum(words)).to_physical().to_numpy().astype(np.int32) + len(
        SPECIAL_TOKENS
    )
    lengths = np.fromiter(map(len, by_tokens), dtype=np.int64, count=len(by_tokens))
    counts = np.fromiter(by_tokens.values(), dtype=np.int64, count=len(by_tokens))
    stats.sentences = int(counts.sum())
    stats.tokens = int((lengths * counts).sum())

    padded = lengths + 2
    starts = np.concatenate(([0], np.cumsum(padded)[:-1]))
    total = int(padded.sum())
    tok = np.empty(total, dtype=np.int32)
    tok[starts] = BOS_ID
    tok[starts + padded - 1] = EOS_ID
    inner_pos = np.ones(total, dtype=bool)
    inner_pos[starts] = False
    inner_pos[starts + padded - 1] = False
    tok[inner_pos] = inner
    last = np.repeat(starts + padded - 1, padded)
    weight = np.repeat(counts, padded)
    return vocab, tok, last, weight


def _discount_counts(
    words: list[np.ndarray], adjusted: list[np.ndarray], raw: list[np.ndarray]
) -> list[np.ndarray]:
    """The counts lmplz feeds into its counts-of-counts: the adjusted counts, with one quirk.

    lmplz (adjust_counts.cc) walks the highest-order n-grams in suffix order (last word first,
    word ids by first appearance, sentences padded with order-1 ``<s>``). The lower-order
    suffixes still open after the last entry are added to the statistics with their raw count
    instead of their adjusted count. Only the discounts see this; the probabilities use the
    adjusted counts. Reproduced so the output matches lmplz exactly.
    """
    import numpy as np

    order = len(words)
    full = words[-1]
    # Sentence-initial n-grams shorter than the order, left-padded with <s> as lmplz counts them.
    padded = [
        np.hstack([np.full((int(m.sum()), order - n), BOS_ID, dtype=w.dtype), w[m]])
        for n, w in enumerate(words[1:-1], start=2)
        if (m := w[:, 0] == BOS_ID).any()
    ]
    candidates = np.vstack([full, *padded])
    last = candidates[np.lexsort(candidates.T)[-1]]
    bos = np.flatnonzero(last[1:] == BOS_ID)
    open_len = order - 1 - int(bos[-1]) if len(bos) else order - 1
    out = [a.copy() for a in adjusted]
    for n in range(1, open_len + 1):
        suffix = last[order - n :]
        match = np.flatnonzero((words[n - 1] == suffix).all(axis=1))
        out[n - 1][match] = raw[n - 1][match]
    return out


def _discounts(
    adjusted: np.ndarray, order: int, fallback: Sequence[float] | None, stats: TrainStats
) -> np.ndarray:
    """D[0..3] (D[0] = 0) for one order from the counts-of-counts of its adjusted counts."""
    import numpy as np

    n = np.bincount(np.minimum(adjusted, 5), minlength=6)[:5].astype(np.float64)
    problem = None
    if (n[1:4] == 0).any():
        k = int(np.flatnonzero(n[1:4] == 0)[0]) + 1
        problem = f"no {order}-grams with adjusted count {k}"
    else:
        y = n[1] / (n[1] + 2.0 * n[2])
        d = np.array([0.0] + [k - (k + 1) * y * n[k + 1] / n[k] for k in (1, 2, 3)])
        # A zero discount leaves a context no mass for lower orders: its ARPA backoff would be
        # log10(0) = -inf, which KenLM refuses to load. Treat it as out of range too.
        bad = [k for k in (1, 2, 3) if not 0.0 < d[k] <= k]
        if not bad:
            return d
        problem = f"{order}-gram discount D{bad[0]}={d[bad[0]]:.4f} out of range"
    if fallback is None:
        raise BadDiscountError(
            f"cannot estimate Kneser-Ney discounts: {problem} (tiny or artificial data?); "
            "use fixed fallback discounts (discount_fallback=..., "
            "or train-lm without --strict-discounts)"
        )
    log.warning("%s; using fallback discounts %s for order %d", problem, tuple(fallback), order)
    stats.fallback_orders.append(order)
    return np.array([0.0, *[float(x) for x in fallback]])


def estimate(
    sentences: Iterable[tuple[str, int]],
    order: int,
    discount_fallback: Sequence[float] | None = DEFAULT_DISCOUNT_FALLBACK,
) -> KNModel:
    """Estimate an interpolated modified Kneser-Ney model of ``order`` like lmplz does.

    sentences: ``(text, count)`` pairs; text is split into tokens by :func:`split_tokens`.
    See the module docstring for the steps. ``discount_fallback``: discounts for adjusted
    counts 1, 2, 3+ used for an order whose closed-form discounts fail (None: raise
    :class:`BadDiscountError`).
    """
    import numpy as np

    if order < 2:
        raise ValueError(f"order must be >= 2, got {order}")
    if order > KENLM_MAX_ORDER:
        log.warning(
            "order %d: the PyPI kenlm module loads models up to order %d", order, KENLM_MAX_ORDER
        )
    if discount_fallback is not None and len(discount_fallback) != 3:
        raise ValueError("discount_fallback needs three values (for counts 1, 2 and 3+)")
    stats = TrainStats()
    vocab, tok, last, weight = _encode(sentences, stats)
    v = len(vocab)
    positions = np.arange(len(tok), dtype=np.int64)

    # Per order: distinct n-grams (prefix id, suffix id, last word, first word) and raw counts.
    prefix: list[np.ndarray] = [np.zeros(v, dtype=np.int64)]
    suffix: list[np.ndarray] = [np.zeros(v, dtype=np.int64)]
    first: list[np.ndarray] = [np.arange(v, dtype=np.int64)]
    lastw: list[np.ndarray] = [np.arange(v, dtype=np.int64)]
    raw: list[np.ndarray] = [np.bincount(tok, weights=weight, minlength=v).round().astype(np.int64)]
    ids_prev = tok.astype(np.int64)  # id of the (n-1)-gram starting at each position
    for n in range(2, order + 1):
        positions = positions[positions + n - 1 <= last[positions]]
        keys = ids_prev[positions] * v + tok[positions + n - 1]
        uniq, inv = np.unique(keys, return_inverse=True)
        inv = inv.reshape(-1)
        ids_n = np.full(len(tok), -1, dtype=np.int64)
        ids_n[positions] = inv
        suf = np.empty(len(uniq), dtype=np.int64)
        suf[inv] = ids_prev[positions + 1]
        prefix.append(uniq // v)
        lastw.append(uniq % v)
        suffix.append(suf)
        first.append(first[-1][uniq // v])
        raw.append(
            np.bincount(inv, weights=weight[positions], minlength=len(uniq))
            .round()
            .astype(np.int64)
        )
        ids_prev = ids_n

    # Adjusted counts: continuation counts below the highest order, except <s>-initial n-grams.
    adjusted: list[np.ndarray] = []
    for i in range(order):
        if i == order - 1:
            adj = raw[i]
        else:
            cont = np.bincount(suffix[i + 1], minlength=len(raw[i]))
            adj = np.where(first[i] == BOS_ID, raw[i], cont)
        if i == 0:
            adj = adj.copy()
            adj[BOS_ID] = 0
            adj[UNK_ID] = 0
        adjusted.append(adj.astype(np.int64))

    words: list[np.ndarray] = [np.arange(v, dtype=np.int32)[:, None]]
    for i in range(1, order):
        words.append(np.hstack([words[i - 1][prefix[i]], lastw[i][:, None].astype(np.int32)]))

    stat_counts = _discount_counts(words, adjusted, raw)
    discounts = [_discounts(stat_counts[i], i + 1, discount_fallback, stats) for i in range(order)]
    stats.discounts = [(float(d[1]), float(d[2]), float(d[3])) for d in discounts]

    # Uninterpolated probabilities u and interpolation weights gamma per context.
    probs: list[np.ndarray] = []
    gammas: list[np.ndarray] = []  # gammas[i][c]: weight of context c (an i-gram) at order i+1
    denoms: list[np.ndarray] = []
    for i in range(order):
        a = adjusted[i]
        d = discounts[i]
        dk = d[np.minimum(a, 3)]
        n_ctx = 1 if i == 0 else len(raw[i - 1])
        ctx = np.zeros(len(a), dtype=np.int64) if i == 0 else prefix[i]
        denom = np.bincount(ctx, weights=a, minlength=n_ctx)
        mass = np.bincount(ctx, weights=np.where(a > 0, dk, 0.0), minlength=n_ctx)
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = np.where(denom > 0, mass / denom, 0.0)
            u = np.where(denom[ctx] > 0, (a - dk) / denom[ctx], 0.0)
        if i == 0:
            uniform = 1.0 / (v - 1)  # <unk> included, <s> excluded
            p = u + gamma[0] * uniform
            p[BOS_ID] = 1.0
        else:
            p = u + gamma[ctx] * probs[i - 1][suffix[i]]
        probs.append(p)
        gammas.append(gamma)
        denoms.append(denom)

    logprob = []
    backoff: list[np.ndarray | None] = []
    for i in range(order):
        with np.errstate(divide="ignore"):
            logprob.append(np.minimum(0.0, np.log10(probs[i])))
        if i == order - 1:
            backoff.append(None)
            continue
        g = gammas[i + 1]
        is_ctx = (denoms[i + 1] > 0) & (lastw[i] != UNK_ID) & (lastw[i] != EOS_ID)
        with np.errstate(divide="ignore"):
            backoff.append(np.where(is_ctx, np.log10(np.where(is_ctx, g, 1.0)), 0.0))
    stats.ngram_counts = [len(w) for w in words]
    return KNModel(vocab=vocab, words=words, logprob=logprob, backoff=backoff, stats=stats)


# --------------------------------------------------------------------------- ARPA output


def write_arpa(model: KNModel, out_path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as an ARPA file (UTF-8), atomically (temp file + rename); return the path.

    Values are written with 7 decimals; log10 of probability 0 (impossible here) would be -99.
    """
    import numpy as np
    import polars as pl

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    vocab = pl.Series("w", model.vocab, dtype=pl.String)
    try:
        with tmp.open("wb") as fh:
            header = ["\\data\\"] + [f"ngram {i + 1}={len(w)}" for i, w in enumerate(model.words)]
            fh.write(("\n".join(header) + "\n\n").encode())
            for i, w in enumerate(model.words):
                fh.write(f"\\{i + 1}-grams:\n".encode())
                cols = {"p": np.maximum(model.logprob[i], -99.0)}
                cols |= {f"w{j}": vocab.gather(w[:, j]) for j in range(w.shape[1])}
                if model.backoff[i] is not None:
                    cols["b"] = model.backoff[i]
                words = [f"w{j}" for j in range(w.shape[1])]
                frame = pl.DataFrame(cols).select(
                    "p", pl.concat_str(words, separator=" ").alias("t"), pl.exclude("p", *words)
                )
                frame.write_csv(
                    fh,
                    separator="\t",
                    include_header=False,
                    quote_style="never",
                    float_precision=7,
                )
                fh.write(b"\n")
            fh.write(b"\\end\\\n")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


# --------------------------------------------------------------------------- public entry points


def train_arpa(
    sentences: Iterable[tuple[str, int]],
    order: int,
    out_path: str | os.PathLike[str],
    *,
    discount_fallback: Sequence[float] | None = DEFAULT_DISCOUNT_FALLBACK,
) -> Path:
    """Train a modified Kneser-Ney model of ``order`` on ``(sentence, count)`` pairs; write ARPA.

    Sentences are strings of tokens separated by spaces (see :func:`split_tokens`), e.g.
    ``("к о т", 12)``. Returns the ARPA path.
    """
    return write_arpa(estimate(sentences, order, discount_fallback), out_path)


def train_char_lm(
    word_counts: Iterable[tuple[str, int]],
    out_path: str | os.PathLike[str],
    order: int = 5,
    *,
    discount_fallback: Sequence[float] | None = DEFAULT_DISCOUNT_FALLBACK,
) -> Path:
    """Train a character model of words (one "sentence" per word, see :func:`char_sentence`)."""
    sentences = ((char_sentence(w), c) for w, c in word_counts)
    return train_arpa(sentences, order, out_path, discount_fallback=discount_fallback)


def train_word_lm(
    lines: Iterable[str],
    out_path: str | os.PathLike[str],
    order: int = 3,
    *,
    discount_fallback: Sequence[float] | None = DEFAULT_DISCOUNT_FALLBACK,
) -> Path:
    """Train a word model: one sentence per line (tokens: :func:`split_tokens`).

    Empty lines are skipped (lmplz would train ``<s> </s>`` for them).
    """
    sentences = ((line, 1) for line in lines)
    return train_arpa(sentences, order, out_path, discount_fallback=discount_fallback)


# --------------------------------------------------------------------------- CLI


def add_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``train-lm`` on an argparse subparsers object (handler in ``args.handler``)."""
    p = subparsers.add_parser(
        "train-lm",
        help="train a modified Kneser-Ney char/word n-gram model and write ARPA for KenLM",
        description=(
            "Train an interpolated modified Kneser-Ney model (as KenLM's lmplz does) and write it "
            "as ARPA. --unit char: corpus files are word lists ('word count' lines) or plain "
            "text (words counted), one character sentence per word. --unit word: corpus files "
            "are plain text, one sentence per line."
        ),
    )
    p.add_argument("--corpus", nargs="+", required=True, metavar="FILE", help="input files")
    p.add_argument("--out", required=True, metavar="MODEL.arpa", help="output ARPA path")
    p.add_argument("--order", type=int, default=None, help="n-gram order (char 5, word 3)")
    p.add_argument("--unit", choices=("char", "word"), default="char", help="default: char")
    p.add_argument(
        "--kind",
        choices=("auto", "wordlist", "text"),
        default="auto",
        help="char unit: how to read corpus files (default: auto-detect per file)",
    )
    p.add_argument(
        "--strict-discounts",
        action="store_true",
        help="fail like lmplz when discounts cannot be estimated, instead of using 0.5/1/1.5",
    )
    p.set_defaults(handler=_train_lm_command)


def _iter_lines(paths: Sequence[str]) -> Iterator[str]:
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise FileNotFoundError(f"corpus file not found: {path}")
        for _, line in _numbered_lines(path):
            yield line


def _train_lm_command(args: argparse.Namespace) -> int:
    import sys

    existing = os.path.dirname(os.path.abspath(args.out))
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):  # e.g. --out words.txt/lm.arpa: no folder can be made
        print(f"cardfeatures train-lm: --out {args.out}: {existing} is a file", file=sys.stderr)
        return 2
    if os.path.isdir(args.out):  # found before training, not at the final rename
        print(
            f"cardfeatures train-lm: --out {args.out} is a folder; give a file path",
            file=sys.stderr,
        )
        return 2
    t0 = time.perf_counter()
    order = args.order if args.order is not None else (5 if args.unit == "char" else 3)
    fallback = None if args.strict_discounts else DEFAULT_DISCOUNT_FALLBACK
    if args.unit == "char":
        pairs = ((char_sentence(w), c) for w, c in read_corpus(args.corpus, kind=args.kind))
    else:
        pairs = ((line, 1) for line in _iter_lines(args.corpus))
    try:
        model = estimate(pairs, order, fallback)
    except (FileNotFoundError, ValueError) as exc:
        print(f"cardfeatures train-lm: {exc}", file=sys.stderr)
        return 2
    t1 = time.perf_counter()
    out = write_arpa(model, args.out)
    t2 = time.perf_counter()
    s = model.stats
    print(
        f"train-lm: {args.unit} {order}-gram from {s.sentences} sentences "
        f"({s.distinct_sentences} distinct, {s.tokens} tokens), vocabulary {len(model.vocab)}"
    )
    for i, (count, d) in enumerate(zip(s.ngram_counts, s.discounts, strict=True), start=1):
        note = "  (fallback)" if i in s.fallback_orders else ""
        print(f"  {i}-grams: {count:>10}  D1={d[0]:.4f} D2={d[1]:.4f} D3+={d[2]:.4f}{note}")
    if s.skipped_empty or s.skipped_special:
        print(f"  skipped: {s.skipped_empty} empty sentences, {s.skipped_special} <s>/</s>/<unk>")
    print(f"  wrote {out} (estimate {t1 - t0:.2f}s, write {t2 - t1:.2f}s)")
    return 0


__all__ = [
    "BadDiscountError",
    "DEFAULT_DISCOUNT_FALLBACK",
    "KENLM_MAX_ORDER",
    "KNModel",
    "SPACE_SYMBOL",
    "TOKEN_SEPARATORS",
    "TrainStats",
    "add_command",
    "char_sentence",
    "estimate",
    "read_corpus",
    "split_tokens",
    "train_arpa",
    "train_char_lm",
    "train_word_lm",
    "write_arpa",
]
