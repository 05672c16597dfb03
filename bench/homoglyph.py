"""Benchmark: KenLM-scored homoglyph repair vs two baselines, and its speed.

    .venv/bin/python bench/homoglyph.py [--shared ../shared/data] [--speed-words 1000000]

1. Trains the char LM (textclean.lmtrain, modified Kneser-Ney, order 5) on the Russian and English
   word-frequency lists in ``<shared>/wordfreq/*.txt``.
2. Reads clean sentences from ``<shared>/sentences/*.txt`` (falls back to a small built-in sample
   when the folder is missing), normalises them, and corrupts words at 10/50/97% with each
   substitution class: ``tr39`` (Unicode TR39 pairs, both directions: Latin in Russian words and
   Cyrillic in English words), ``beyond`` (italic/OCR letters, digits and multi-character forms in
   Russian words; English words still get TR39 Cyrillic, they have no other disguise) and ``all``.
   A corrupted word gets each substitutable letter replaced with probability 1/2 (at least one).
3. Repairs, and prints word accuracy (all words, and corrupted words only), the rate of wrongly
   changed clean words, and the same for two baselines on the same text: the majority-script rule
   (a mixed word is mapped to the script most of its letters are in) and TR39 skeleton folding
   (every TR39-confusable letter is folded to the text's majority script).
4. Speed: a corpus of ``--speed-words`` words (sentences sampled with replacement, every
   occurrence corrupted independently at 97% with all classes - the worst case for the
   distinct-word cache; ``--variants N`` draws from N corrupted variants per sentence instead, as
   when sellers repeat their text) run end to end (normalise + repair; the compiled path,
   ``textclean.kernels``) vs a word-by-word implementation (same decisions, no caching) and the
   Python column path (``compiled=False``) on ``--baseline-words`` of it; both must give the
   same output.
"""

from __future__ import annotations

import argparse
import difflib
import random
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

import polars as pl

from textclean.confusables import TO_CYR, TO_LAT, is_cyrillic, is_latin
from textclean.normalize import normalize_column, normalize_text
from textclean.repair import HomoglyphRepairer, RepairConfig, word_pieces

ROOT = Path(__file__).resolve().parents[1]

_SAMPLE_SENTENCES = [
    "Молоко свежее для всей семьи, упаковка один литр.",
    "Продаю новый телефон в отличном состоянии, торг уместен.",
    "Кроссовки мужские для бега и спорта, размер сорок два.",
    "The quick brown fox jumps over the lazy dog.",
    "Fresh coffee beans from a small farm, roasted every morning.",
    "Средство для мытья посуды с ароматом лимона.",
    "Это самый лучший подарок для ребенка на праздник.",
    "Please check the size chart before you order.",
]


# ---------------------------------------------------------------- corruption
def _inverse(table: dict, classes: set[str]) -> dict[str, list[str]]:
    inv: dict[str, list[str]] = {}
    for written, options in table.items():
        for meant, cls in options:
            if cls in classes:
                inv.setdefault(meant, []).append(written)
    return inv


CLASS_SETS = {"tr39": {"tr39"}, "beyond": {"italic", "digit", "multi"}}
CLASS_SETS["all"] = CLASS_SETS["tr39"] | CLASS_SETS["beyond"]
# Cyrillic letter -> what a Russian word may show instead; Latin letter -> Cyrillic disguise.
RU_SUBS = {name: _inverse(TO_CYR, classes) for name, classes in CLASS_SETS.items()}
EN_SUBS = _inverse(TO_LAT, {"tr39"})
EN_SUBS = {
    k: [v for v in vs if "\u0400" <= v <= "\u044f" or v in "Ёё"] for k, vs in EN_SUBS.items()
}
EN_SUBS = {k: v for k, v in EN_SUBS.items() if v}


def corrupt_word(word: str, subs: dict[str, list[str]], rng: random.Random) -> str:
    """Replace each substitutable letter with probability 1/2 (at least one)."""
    pos = [i for i, ch in enumerate(word) if ch in subs]
    if not pos:
        return word
    chosen = [i for i in pos if rng.random() < 0.5] or [rng.choice(pos)]
    chars = list(word)
    for i in chosen:
        chars[i] = rng.choice(subs[word[i]])
    return "".join(chars)


def corrupt(sentence: str, rate: float, cls: str, rng: random.Random) -> tuple[str, list[bool]]:
    """Corrupted sentence and, per word, whether it was corrupted."""
    out, flags = [], []
    for piece in word_pieces(sentence):
        if not piece[0].isalnum():
            out.append(piece)
            continue
        subs = RU_SUBS[cls] if any(is_cyrillic(c) for c in piece) else EN_SUBS
        new = corrupt_word(piece, subs, rng) if rng.random() < rate else piece
        out.append(new)
        flags.append(new != piece)
    return "".join(out), flags


def split_sentences(sentences: list[str], part: str) -> list[str]:
    """The ``tune`` or ``test`` half of ``sentences``: a fixed hash of the text decides, so the
    halves are disjoint and stable whatever ``--max-sentences`` or the seed (``all``: both)."""
    if part == "all":
        return sentences
    want = 0 if part == "tune" else 1
    return [s for s in sentences if zlib.crc32(s.encode("utf-8")) % 2 == want]


def short_texts(sentences: list[str], lo: int = 2, hi: int = 7) -> list[str]:
    """``--short-texts``: each sentence cut into texts of ``lo``..``hi`` space-separated tokens
    (a fixed random stream, so the same cut every run). Short texts, like product titles, have
    few decisive letters and so a weak script context: the view that showed the clean-word
    errors of session 5 on the tune split (a lone ``а`` read as Latin)."""
    rng = random.Random(1000)
    out = []
    for s in sentences:
        toks = s.split(" ")
        i = 0
        while i < len(toks):
            k = rng.randint(lo, hi)
            out.append(" ".join(toks[i : i + k]))
            i += k
    return [t for t in out if any(c.isalnum() for c in t)]


def substitution_classes(orig: str, bad: str) -> str:
    """Which substitution classes turned ``orig`` into ``bad`` (for the error report)."""
    found: set[str] = set()
    sm = difflib.SequenceMatcher(a=orig, b=bad, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        meant, written = orig[i1:i2], bad[j1:j2]
        table = TO_CYR if any(is_cyrillic(c) for c in orig) else TO_LAT
        hit = [c for m, c in table.get(written, ()) if m == meant]
        if not hit and len(meant) == len(written):  # several one-letter swaps side by side
            hit = [
                c
                for w, m in zip(written, meant, strict=True)
                for mm, c in table.get(w, ())
                if mm == m
            ]
        found.update(hit or ["?"])
    lang = "ru" if any(is_cyrillic(c) for c in orig) else "en"
    return f"{lang}:{'+'.join(sorted(found))}"


# ---------------------------------------------------------------- baselines
def _first(table: dict, ch: str) -> str | None:
    opts = table.get(ch)
    return opts[0][0] if opts else None


def majority_rule(text: str) -> str:
    """Mixed words are mapped letter by letter to the script most of their letters are in."""
    out = []
    for piece in word_pieces(text):
        n_c = sum(is_cyrillic(c) for c in piece)
        n_l = sum(is_latin(c) for c in piece)
        if n_c and n_l:
            table, keep = (TO_CYR, is_cyrillic) if n_c >= n_l else (TO_LAT, is_latin)
            piece = "".join(c if keep(c) else (_first(table, c) or c) for c in piece)
        out.append(piece)
    return "".join(out)


_TR39_TO_CYR = {k: v[0][0] for k, v in TO_CYR.items() if v[0][1] == "tr39" and len(k) == 1}
_TR39_TO_LAT = {k: v[0][0] for k, v in TO_LAT.items() if v[0][1] == "tr39"}


def skeleton_fold(text: str) -> str:
    """TR39 skeleton folding: every TR39-confusable letter goes to the text's majority script."""
    n_c = sum(is_cyrillic(c) for c in text)
    n_l = sum(is_latin(c) for c in text)
    table = _TR39_TO_CYR if n_c >= n_l else _TR39_TO_LAT
    return "".join(table.get(c, c) for c in text)


# ---------------------------------------------------------------- scoring
def _glued_boundary(left: str, right: str) -> bool:
    """Whether a space between ``left`` and ``right`` is one the issue asks the cleaner to insert:
    a number glued to a Cyrillic word (``500мл``, ``2014го``) or Cyrillic glued to Latin
    (``средствоUniversal``, ``ULTRAготовый``). Digits glued to Latin (``A52``, ``4K``) are brand
    and model tokens the cleaner must leave alone, so a split there stays a change."""
    return (
        (left.isdigit() and is_cyrillic(right))
        or (is_cyrillic(left) and right.isdigit())
        or (is_cyrillic(left) and is_latin(right))
        or (is_latin(left) and is_cyrillic(right))
    )


def output_units(text: str, reference: set[str], longest: int = 4) -> list[str]:
    """Words of the output ``text``, with words split at a glued boundary joined back when the
    joined form is a word of the clean sentence (``reference``).

    So a word the cleaner split as the issue requires (clean ``100грамм`` -> ``100 грамм``)
    compares equal to the clean word, while a changed letter, a split anywhere else, or a split of
    words that were apart in the clean text all still count."""
    pieces = word_pieces(text)
    words: list[str] = []
    seps: list[str | None] = []  # the separator before each word (None: none, text start)
    sep = None
    for piece in pieces:
        if piece[0].isalnum():
            words.append(piece)
            seps.append(sep)
            sep = None
        else:
            sep = piece
    units: list[str] = []
    j = 0
    while j < len(words):
        joined, take = words[j], 1
        acc = words[j]
        for k in range(j + 1, min(j + longest, len(words))):
            if seps[k] != " " or not _glued_boundary(acc[-1], words[k][0]):
                break
            acc += words[k]
            if acc in reference:
                joined, take = acc, k - j + 1
        units.append(joined)
        j += take
    return units


def score(
    originals: list[str],
    outputs: list[str],
    flags: list[list[bool]],
    corrupted: list[str] | None = None,
    errors: list[tuple[bool, str, str, str]] | None = None,
    *,
    strict: bool = False,
) -> dict[str, float]:
    """Word accuracy (all / corrupted words) and the wrongly-changed-clean-word rate. With
    ``corrupted`` and ``errors``, every wrong word is appended to ``errors`` as (was corrupted,
    original, corrupted form, output).

    By default the output's words are read as ``output_units``: a split the issue asks for (a
    number or a Latin word glued to a Cyrillic one) is not a change. ``strict=True`` compares the words as
    written, so such a split counts as a wrongly changed word (the figure of sessions 1-3)."""
    total = correct = bad_total = bad_ok = clean_total = clean_changed = 0
    for k, (orig, out, fl) in enumerate(zip(originals, outputs, flags, strict=True)):
        a = [p for p in word_pieces(orig) if p[0].isalnum()]
        b = [p for p in word_pieces(out) if p[0].isalnum()] if strict else output_units(out, set(a))
        if len(a) == len(b):  # the usual case: compare word by word
            ok = [x == y for x, y in zip(a, b, strict=True)]
            got = b
        else:  # a word was split (or merged): align, unmatched words count as wrong
            ok = [False] * len(a)
            for blk in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks():
                for i in range(blk.a, blk.a + blk.size):
                    ok[i] = True
            got = ["<split/merged>"] * len(a)
        for i, (good, was_bad) in enumerate(zip(ok, fl, strict=True)):
            total += 1
            correct += good
            if was_bad:
                bad_total += 1
                bad_ok += good
            else:
                clean_total += 1
                clean_changed += not good
            if not good and errors is not None and corrupted is not None:
                c = [p for p in word_pieces(corrupted[k]) if p[0].isalnum()]
                errors.append((was_bad, a[i], c[i] if len(c) == len(a) else "?", got[i]))
    return {
        "correct": correct,
        "corrupted_words": bad_total,
        "corrupted_ok": bad_ok,
        "acc": correct / max(total, 1),
        "acc_corrupted": bad_ok / max(bad_total, 1),
        "clean_changed": clean_changed / max(clean_total, 1),
        "clean_changed_words": clean_changed,
        "clean_words": clean_total,
        "words": total,
    }


def _rates(c: Counter[str]) -> dict[str, float]:
    """The figures of ``score`` from word counts summed over several runs."""
    return dict(c) | {
        "acc": c["correct"] / max(c["words"], 1),
        "acc_corrupted": c["corrupted_ok"] / max(c["corrupted_words"], 1),
        "clean_changed": c["clean_changed_words"] / max(c["clean_words"], 1),
    }


def _score_line(cls: str, rate: float, name: str, m: dict, ms: dict) -> str:
    """One row of the figures table: default scoring, then strict (``score(strict=True)``)."""
    return (
        f"{cls:<7} {rate:>5.2f} | {name:<16} {m['acc']:>8.2%} "
        f"{m['acc_corrupted']:>9.2%} {m['clean_changed']:>9.3%} | "
        f"{ms['acc']:>11.2%} {ms['clean_changed']:>9.3%}"
        + (
            f"  ({m['clean_changed_words']} / {ms['clean_changed_words']} of "
            f"{m['clean_words']} clean words)"
            if name == "kenlm repair"
            else ""
        )
    )


def print_errors(errors: list[tuple[bool, str, str, str]], top: int) -> None:
    """Confusion of the remaining errors: by substitution class and language, then examples."""
    kinds: Counter[str] = Counter()
    for was_bad, orig, bad, out in errors:
        if not was_bad:
            kinds["clean word changed"] += 1
        elif out == "<split/merged>":
            kinds[f"{substitution_classes(orig, bad)} split"] += 1
        elif out == bad:
            kinds[f"{substitution_classes(orig, bad)} left as written"] += 1
        else:
            kinds[f"{substitution_classes(orig, bad)} misread"] += 1
    print(f"  errors: {len(errors)}")
    for kind, n in kinds.most_common():
        print(f"    {n:>5}  {kind}")
    words = Counter((was_bad, orig, bad, out) for was_bad, orig, bad, out in errors)
    print(f"  most frequent wrong words (corrupted?, original, as corrupted, output), top {top}:")
    for (was_bad, orig, bad, out), n in words.most_common(top):
        print(f"    {n:>4}  {'C' if was_bad else '-'}  {orig!r:<18} {bad!r:<18} -> {out!r}")


# ---------------------------------------------------------------- data
def load_data(shared: Path, max_sentences: int) -> tuple[list[str], list[tuple[str, int]], str]:
    sent_files = sorted((shared / "sentences").glob("*.txt"))
    word_files = sorted((shared / "wordfreq").glob("*.txt"))
    if not sent_files or not word_files:
        words = Counter(w.lower() for s in _SAMPLE_SENTENCES for w in word_pieces(s) if w.isalpha())
        return _SAMPLE_SENTENCES, sorted(words.items()), "built-in sample (shared data missing)"
    sentences: list[str] = []
    for f in sent_files:
        lines = [ln.strip() for ln in f.read_text(encoding="utf-8").splitlines()]
        sentences.extend([ln for ln in lines if ln][:max_sentences])
    counts: Counter[str] = Counter()
    for f in word_files:
        for line in f.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0].lower()] += int(parts[1])
    src = f"{len(sent_files)} sentence files, {len(word_files)} word lists under {shared}"
    return sentences, sorted(counts.items()), src


class _Forgetful(dict):
    """A cache that never keeps anything: every lookup misses."""

    def __setitem__(self, key, value) -> None:
        pass


class WordByWord(HomoglyphRepairer):
    """The same decisions without any caching: every word occurrence is decided from scratch
    (the repairer's own decide / lm, with caches that forget)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache = _Forgetful()
        self._lm_cache = _Forgetful()

    def repair_one(self, text: str) -> str:
        return self.repair_words(text) or ""


def repair_config(spec: str) -> RepairConfig:
    """``RepairConfig`` with the ``key=value`` overrides of ``--config`` (numbers and booleans;
    the type of each default decides how its value is read)."""
    cfg = RepairConfig()
    for item in filter(None, (x.strip() for x in spec.split(","))):
        key, _, value = item.partition("=")
        if not hasattr(cfg, key) or isinstance(getattr(cfg, key), dict):
            raise SystemExit(f"--config: no numeric RepairConfig field {key!r}")
        old = getattr(cfg, key)
        if isinstance(old, bool):
            new: object = value.lower() in ("1", "true", "yes")
        else:
            new = type(old)(float(value))
        setattr(cfg, key, new)
    return cfg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", default="../shared/data", help="reference data folder")
    ap.add_argument("--lm", help="use this char LM (ARPA) instead of training one")
    ap.add_argument("--max-sentences", type=int, default=5000, help="per sentence file")
    ap.add_argument("--rates", default="0.1,0.5,0.97")
    ap.add_argument("--speed-words", type=int, default=1_000_000)
    ap.add_argument("--baseline-words", type=int, default=50_000)
    ap.add_argument(
        "--variants",
        type=int,
        default=0,
        help="speed corpus: corrupted variants per sentence (0: every occurrence corrupted anew)",
    )
    ap.add_argument("--seed", type=int, default=7, help="corruption seed")
    ap.add_argument(
        "--seeds",
        default="",
        help="comma-separated corruption seeds (e.g. 1,2,3): per-seed figures, then every "
        "figure pooled over them (word counts summed); overrides --seed. The speed part uses "
        "the last seed's random stream",
    )
    ap.add_argument(
        "--split",
        choices=("test", "tune", "all"),
        default="test",
        help="sentences to score: the held-out half (default), the half constants are tuned on, "
        "or both",
    )
    ap.add_argument(
        "--errors",
        type=int,
        default=0,
        help="print the error confusion of the repair at the highest rate, with this many examples",
    )
    ap.add_argument(
        "--short-texts",
        action="store_true",
        help="cut the split's sentences into texts of 2-7 tokens (weak script context, as in "
        "titles)",
    )
    ap.add_argument(
        "--config",
        default="",
        help="comma-separated RepairConfig overrides, e.g. letter_lean=0,clean_margin=2: to "
        "measure what one constant trades (tune split)",
    )
    args = ap.parse_args(argv)

    shared = Path(args.shared)
    if not shared.is_absolute():
        shared = (ROOT / shared).resolve()
    sentences, word_counts, src = load_data(shared, args.max_sentences)
    sentences = [s for s in (normalize_text(s) for s in sentences) if s]
    n_all = len(sentences)
    sentences = split_sentences(sentences, args.split)
    if args.short_texts:
        sentences = short_texts(sentences)
    print(
        f"data: {src}: {len(sentences)} {'short texts' if args.short_texts else 'sentences'} "
        f"of {n_all} sentences ({args.split} split), "
        f"{len(word_counts)} word forms for the LM"
    )

    tmp = tempfile.TemporaryDirectory()
    if args.lm:
        lm_path = Path(args.lm)
    else:
        from textclean.lmtrain import train_char_lm

        t0 = time.perf_counter()
        lm_path = train_char_lm(word_counts, Path(tmp.name) / "char.arpa", order=5)
        print(f"char LM trained in {time.perf_counter() - t0:.1f}s -> {lm_path}")
    config = repair_config(args.config)
    if args.config:
        print(f"RepairConfig overrides: {args.config}")
    repairer = HomoglyphRepairer.from_arpa(lm_path, config)

    seeds = [int(x) for x in args.seeds.split(",")] if args.seeds else [args.seed]
    rates = [float(r) for r in args.rates.split(",")]
    header = (
        f"{'class':<7} {'rate':>5} | {'method':<16} {'acc':>8} {'acc(corr)':>9} {'clean chg':>9}"
        f" | {'strict: acc':>11} {'clean chg':>9}"
    )
    # word counts summed over the seeds, per (class, rate, method): default and strict scoring
    pooled: dict[tuple[str, float, str], list[Counter[str]]] = {}
    pooled_errors: dict[str, list[tuple[bool, str, str, str]]] = {}
    for seed in seeds:
        rng = random.Random(seed)
        if len(seeds) > 1:
            print(f"\nseed {seed} (kenlm repair only; pooled figures of every method below)")
        print("\n" + header + "\n" + "-" * len(header))
        for cls in ("tr39", "beyond", "all"):
            for rate in rates:
                pairs = [corrupt(s, rate, cls, rng) for s in sentences]
                bad = [p[0] for p in pairs]
                flags = [p[1] for p in pairs]
                repaired = repairer.repair_column(pl.Series(bad))["clean"].to_list()
                rows = {
                    "kenlm repair": repaired,
                    "majority rule": [majority_rule(t) for t in bad],
                    "tr39 skeleton": [skeleton_fold(t) for t in bad],
                    "no repair": bad,
                }
                for name, outs in rows.items():
                    m = score(sentences, outs, flags)
                    ms = score(sentences, outs, flags, strict=True)
                    acc = pooled.setdefault((cls, rate, name), [Counter(), Counter()])
                    acc[0].update(m)
                    acc[1].update(ms)
                    if len(seeds) == 1 or name == "kenlm repair":
                        print(_score_line(cls, rate, name, m, ms))
                if args.errors and rate == max(rates):
                    errors: list[tuple[bool, str, str, str]] = []
                    score(sentences, repaired, flags, bad, errors)
                    if len(seeds) == 1:
                        print_errors(errors, args.errors)
                    pooled_errors.setdefault(cls, []).extend(errors)
                if len(seeds) == 1:
                    print()
    if len(seeds) > 1:
        print(f"\npooled over seeds {','.join(map(str, seeds))} (word counts summed)")
        print("\n" + header + "\n" + "-" * len(header))
        for cls in ("tr39", "beyond", "all"):
            for rate in rates:
                for name in ("kenlm repair", "majority rule", "tr39 skeleton", "no repair"):
                    m, ms = (_rates(c) for c in pooled[(cls, rate, name)])
                    print(_score_line(cls, rate, name, m, ms))
                if args.errors and rate == max(rates):
                    print_errors(pooled_errors[cls], args.errors)
                print()
    if args.speed_words <= 0:
        return 0

    # ------------------------------------------------------------ speed
    words_per = [sum(p[0].isalnum() for p in word_pieces(s)) for s in sentences]
    corpus: list[str] = []
    n_words = 0
    pool: dict[tuple[int, int], str] = {}
    while n_words < args.speed_words:
        i = rng.randrange(len(sentences))
        if args.variants:
            key = (i, rng.randrange(args.variants))
            if key not in pool:
                pool[key] = corrupt(sentences[i], 0.97, "all", rng)[0]
            corpus.append(pool[key])
        else:
            corpus.append(corrupt(sentences[i], 0.97, "all", rng)[0])
        n_words += words_per[i]
    col = pl.Series("text", corpus)
    fresh = HomoglyphRepairer.from_arpa(lm_path, config)
    t0 = time.perf_counter()
    fresh.repair_column(col)
    dt = time.perf_counter() - t0
    info = fresh.cache_info()
    print(
        f"speed, end to end (normalise + repair), {n_words:,} words, {len(corpus):,} texts, "
        f"97% corrupted, cold cache, {fresh.threads} thread(s): {dt:.2f}s = "
        f"{n_words / dt:,.0f} words/s ({info['compiled_chunks']:,} distinct chunks decided by "
        f"the numba kernels, {info['lm_queries']:,} LM queries)"
    )
    t0 = time.perf_counter()
    warm_out = fresh.repair_column(col)
    dt2 = time.perf_counter() - t0
    print(f"speed, same corpus again (warm cache): {dt2:.2f}s = {n_words / dt2:,.0f} words/s")

    wbw = WordByWord(fresh._score_fn, config)
    sub, k = [], 0
    counts = (sum(p[0].isalnum() for p in word_pieces(t)) for t in corpus)
    for t, n in zip(corpus, counts, strict=False):
        if k >= args.baseline_words:
            break
        sub.append(t)
        k += n
    t0 = time.perf_counter()
    base_out = [wbw.repair_one(t) for t in sub]
    dt3 = time.perf_counter() - t0
    same = sum(a == b for a, b in zip(base_out, warm_out["clean"].to_list(), strict=False))
    print(
        f"speed, word-by-word (no caching), {k:,} words: {dt3:.2f}s = {k / dt3:,.0f} words/s "
        f"(same output on {same}/{len(sub)} texts)"
    )
    # the Python column path (polars + one Python decision per distinct chunk) on the same texts:
    # the compiled path must give the same frame, statistics included
    old = HomoglyphRepairer.from_arpa(lm_path, config)
    old.compiled = False
    sub_col = pl.Series("text", sub)
    t0 = time.perf_counter()
    old_out = old.repair_column(sub_col)
    dt4 = time.perf_counter() - t0
    new_out = HomoglyphRepairer.from_arpa(lm_path, config).repair_column(sub_col)
    print(
        f"speed, Python column path (compiled=False), {k:,} words, cold: {dt4:.2f}s = "
        f"{k / dt4:,.0f} words/s (same frame as the compiled path: {new_out.equals(old_out)})"
    )
    print(f"normalise only: {_time(lambda: normalize_column(col)):.2f}s")
    return 0


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    sys.exit(main())
