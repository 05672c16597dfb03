"""Cyrillic/Latin homoglyph repair scored by a character KenLM model.

How one word is decided (``HomoglyphRepairer.decide``):

1. The word is classified by its characters: Cyrillic, Latin, digits, other scripts.
2. Candidate readings are built from the confusables tables (``textclean.confusables``): every way
   to read the word as all-Cyrillic and as all-Latin (capped), each with a substitution cost that
   grows with how unusual the substitution class is (TR39 pairs cheapest; italic, digit and
   multi-character look-alikes dearer). Cheaper readings change fewer letters, which is the
   word's own majority-script prior.
3. For words that also mix scripts or digits at a plausible boundary (``средствоUniversal``,
   ``ULTRAготовый``, ``500мл``) a split reading is a candidate too: the parts, each decided on its
   own, joined by spaces. So repair runs together with glue splitting and ``мoлоко`` (one Latin
   ``o``) is read as ``молоко``, never split.
4. Each reading is scored by the char LM (log10 of the lower-cased word with sentence bounds) plus
   a context prior: the text's balance of *decisive* letters (letters with no look-alike in the
   other alphabet; the Latin ones of a word holding a decisive Cyrillic letter are disguise and
   do not count), so ``TOBAP`` beside Russian words leans Cyrillic and ``сор`` beside English
   words leans Latin. The text also says whether it *shows disguise* (at least
   ``disguise_share`` of its words mix scripts or hide look-alike digits inside Cyrillic letters):
   there clean-looking words need a smaller margin to change, and short numbers made of look-alike
   digits (``0`` = ``о``, ``06`` = ``об``) are weighed like words unless joined to other digits
   (``0,5``). A leading digit of a word that opens a sentence may read as a capital (``0н`` ->
   ``Он``). Digits kept inside or after lower-case letters (``пр0руби``, ``дубн0``) cost more.
5. Words of an address chunk (a web address, an e-mail, an @handle) get no Cyrillic reading
   and a Latin context (``ADDRESS_CTX``) whatever the text: ``chn.ge/2JRea20`` and
   ``@yabloko`` stay Latin, ``httрs://`` is still read as ``https://``.
6. Mixed words take the best reading. Clean single-script words and tokens with digits are left
   alone unless the other reading wins by a margin (larger for all-caps tokens, which are often
   brands, and for capital one-letter words in clean text: ``X век``, ``962 °C``); Latin letters
   with digits (``iPhone15``, ``A52``, ``4K``) are never touched outside Cyrillic context.
7. Neighbouring words can settle a word (``kept_words``; the column paths put ``KEEP_MARK``
   before it): a digit word next to another digit word or before ``°`` / ``%`` (``0 -- 1 -- 2``,
   ``0 ° C``), a one-letter word after ``°`` and an all-caps look-alike Latin word next to a
   surely Latin word, disguised or not (``HTC Evo``, ``H. руlоri``) are kept as written
   (``KEEP_CTX``).
8. A clean one-letter Latin word reads as Cyrillic only as a Russian one-letter word or unit
   letter, as a capital only as a word that opens sentences (``ONE_LETTER_WORDS``), unless a
   '.' follows or it follows a digit and '-' (``п.``, ``1960-х``): a formula's ``n`` is not a
   disguised ``п``, the size ``M`` not a disguised ``М``. A clean one-letter Russian word reads
   as Latin only in a text whose context leans Latin (``RepairConfig.letter_lean``): ``а`` of
   ``а nо`` stays, whatever the LM says of ``a`` against ``а``.
9. A clean Latin word with a stress-marked letter (``népe``, ``café``: ``_LAT_STRESSED``) gets
   no Cyrillic reading: a Russian word disguised down to its stress mark is far rarer than a
   word of a Latin-script language.

Per-text statistics: ``words`` (letter/digit tokens), ``mixed_words`` (Cyrillic and Latin letters
in one token), ``repaired_words`` (tokens whose text changed), ``ambiguous_words`` (tokens whose
best reading beat the runner-up by less than ``ambiguity_margin``, or clean tokens kept although
the other-script reading was nearly as good), ``broken_share`` (share of tokens that were mixed or
changed; NaN for a text without tokens), ``other_words`` (tokens with letters of other scripts,
left as written).

The batch form (:meth:`HomoglyphRepairer.repair_column`) decides each distinct (space-separated
chunk, context bucket, disguise flag) once per call. By default it runs compiled
(``textclean.kernels``, numba): one pass over the texts' code points finds each text's context,
disguise flag and counts and the distinct chunks that need a decision, two passes decide those
chunks (readings, glue splits and weighing exactly as ``_decide``, the LM called once per
distinct letter run), one pass writes the texts as Arrow; a long column is cut into one slice per
core. ``compiled=False`` gives the Python column path (polars, one :meth:`decide_chunk` call per
distinct chunk; chunks that are one mixed word with exactly one possible reading,
``FORCED_CYRILLIC`` / ``FORCED_LATIN``, by polars ``replace_many``).
:meth:`HomoglyphRepairer.repair_words` is the word-by-word reference both column paths must equal
(tested, and checked by the bench). Every constant of ``RepairConfig`` was tuned on the ``tune``
half of the benchmark sentences (``bench/homoglyph.py --split tune``).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from textclean.confusables import (
    DECISIVE_CYR,
    DECISIVE_LAT,
    TO_CYR,
    TO_LAT,
    is_cyrillic,
    is_latin,
)
from textclean.normalize import normalize_column

_DEC_CYR = f"[{DECISIVE_CYR}]"
_DEC_LAT = f"[{DECISIVE_LAT}]"
# Letters that cannot take part in a Cyrillic reading (``i``/``l`` can: ``bl`` -> ``ы``).
_SURE_LAT = "".join(c for c in DECISIVE_LAT if c not in "iIl")
_CYR_NONDEC = "".join(sorted(c for c in TO_LAT if is_cyrillic(c)))
# Latin letters with a stress mark whose Cyrillic reading is a look-alike plus that mark (``ó`` ->
# ``о́``, see ``textclean.confusables``). A word of Latin letters only that holds one is a word of
# a Latin-script language (``népe``, ``café``): it gets no Cyrillic reading.
_LAT_STRESSED = "".join(
    sorted(c for c, v in TO_CYR.items() if len(c) == 1 and is_latin(c) and len(v[0][0]) == 2)
)
# Cyrillic letters that are not Russian and are read only as Latin (``і ј ѕ һ``: TR39 disguises
# of Latin letters): like ``_SURE_LAT`` they show that a word is Latin.
_CYR_LAT_ONLY = "".join(c for c in _CYR_NONDEC if not ("а" <= c.lower() <= "я" or c in "ёЁ"))
_LAT_MAPPABLE = "".join(sorted({c for c in TO_CYR if len(c) == 1 and is_latin(c)} | set("iIl")))
_W = r"[\p{L}\p{N}]"
_NW = r"[^\p{L}\p{N}]"
_CYR_R = r"\x{0400}-\x{052f}"
_LAT_R = r"A-Za-z\x{00c0}-\x{00d6}\x{00d8}-\x{00f6}\x{00f8}-\x{024f}"
#: A space-separated chunk needs a Python decision when one of its words mixes Cyrillic with Latin
#: or digits, or is made only of letters that have a look-alike in the other alphabet.
NEEDS_DECISION = (
    rf"[{_CYR_R}]{_W}*[{_LAT_R}0-9]|[{_LAT_R}0-9]{_W}*[{_CYR_R}]"
    rf"|(?:^|{_NW})[{_CYR_NONDEC}]+(?:$|{_NW})"
    rf"|(?:^|{_NW})[{_LAT_MAPPABLE}0-9]*[{_LAT_MAPPABLE}][{_LAT_MAPPABLE}0-9]*(?:$|{_NW})"
    rf"|[0-9][{_LAT_R}]|[{_LAT_R}][0-9]"
    r"|(?:^|[^\p{L}\p{N}])[0346]+(?:$|[^\p{L}\p{N}])|[\x01\x02]"
)
WORD_PATTERN = r"[\p{L}\p{N}]+"
#: A word mixing Cyrillic and Latin letters, or with a look-alike digit inside Cyrillic letters:
#: a text holding one "shows disguise" (``disguised`` in :meth:`HomoglyphRepairer.decide`).
MIXED_WORD_PATTERN = (
    rf"[{_CYR_R}]{_W}*[{_LAT_R}]|[{_LAT_R}]{_W}*[{_CYR_R}]|[{_CYR_R}][0346]+[{_CYR_R}]"
)
_re_mixed_word = re.compile(
    "[\u0400-\u052f][^\\W_]*[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"
    "|[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f][^\\W_]*[\u0400-\u052f]"
    "|[\u0400-\u052f][0346]+[\u0400-\u052f]"
)
#: Where a sentence starts with a digit (text start, or after . ! ? ... and a space, quotes and
#: brackets allowed): the column form marks it with ``START_MARK`` so that the decision of the
#: chunk knows (``0н`` -> ``Он``). Normalised text holds no control characters, so the mark is free.
SENTENCE_START_DIGIT = r"(^|[.!?\x{2026}][)\"']* [\"'(]*)([0-9])"
START_MARK = "\x01"
_re_sentence_start = re.compile(r"(?:^|[.!?\u2026][)\"']* [\"'(]*)$")
#: A word holding a letter or digit of a script other than Cyrillic/Latin (counted as other_words).
OTHER_WORD_PATTERN = rf"{_W}*[[\p{{L}}\p{{N}}]--[0-9{_CYR_R}{_LAT_R}]]{_W}*"
_re_pieces = re.compile(r"[^\W_]+|[\W_]+")
#: A text in which ``kept_words`` may flag a word (a digit word with a digit word next to it,
#: a ° or % sign, or two capital Latin letters / one and a '.').
KEEP_CANDIDATE = r"[0-9][^\p{L}\p{N}]+[0-9]|\x{00b0}|%|\p{Lu}\.|\p{Lu}\p{Lu}"
_re_runs = re.compile(r"[0-9]+|[^0-9 ]+")
_re_marks = re.compile("[\u0300-\u036f]")

STAT_COLUMNS = (
    "words",
    "mixed_words",
    "repaired_words",
    "ambiguous_words",
    "broken_share",
    "other_words",
)


@dataclass(frozen=True)
class Decision:
    """What happened to one word form: its output text and the flags the statistics count."""

    out: str
    score: float
    changed: bool = False
    mixed: bool = False
    ambiguous: bool = False
    other: bool = False

    @property
    def broken(self) -> bool:
        return self.mixed or self.changed


@dataclass(frozen=True)
class Candidate:
    """One reading of a word, for ``explain``."""

    text: str
    how: str  # "as written", "cyrillic", "latin", "split"
    lm: float
    cost: float
    prior: float

    @property
    def score(self) -> float:
        return self.lm - self.cost + self.prior


@dataclass
class RepairConfig:
    """Scoring constants (log10 units). Defaults were tuned on the ``tune`` half of the benchmark
    sentences; the bench reports the other half."""

    ctx_weight: float = 2.0  # prior for the context's script, per unit of context strength
    clean_margin: float = 1.5  # a clean word changes only if the other reading wins by this
    caps_margin: float = 3.0  # ... and by this for all-caps tokens (often brands, PC, XL)
    # The same two margins in a text that shows disguise (it has a word mixing scripts): there a
    # clean-looking word is much more likely to be disguised too.
    disguised_margin: float = 0.5
    # A text shows disguise when at least this share of its words mix scripts (and one does).
    disguise_share: float = 0.15
    # Capital one-letter words in a text without disguise (Roman numerals, units: X век,
    # 962 °C, point P) are Latin on purpose far more often than disguised.
    letter_margin: float = 4.0
    # Read clean words of a text without disguise through the TR39 pairs only. Off: on the tuning
    # sentences it lost more disguised one-letter words (b = в, u = и) than it saved clean ones.
    clean_text_tr39_only: bool = False
    # All-caps tokens in a text that shows disguise keep caps_margin's 3.0 (session 4, was 1.5):
    # a look-alike acronym (OP, APEC) changed there costs the clean-word rate far more than the
    # few fully disguised capitals it misses cost accuracy (tune split, 8 corruption seeds: clean
    # words changed halved at 50% and 97%, accuracy -0.005 to -0.008%).
    disguised_caps_margin: float = 3.0
    # Capital one-letter words in a text that shows disguise (letter_margin's twin there). Not
    # raised: 2.0 costs 0.07% accuracy at 97% (all classes) and saves no clean word on the tune
    # split; the capitals there are mostly disguised sentence openers (B = В, C = С).
    disguised_letter_margin: float = 0.5
    # A clean one-letter Russian word (а, с, у, А, В) has no LM evidence of its own: it takes a
    # Latin reading only where the text's context leans Latin (bucket <= -letter_lean; 0: no
    # such rule). Session 5, tune split cut into short texts: texts with no lean read а / с / А
    # as Latin (beyond-class corruption leaves few decisive Cyrillic letters). Not applied to
    # Latin one-letter words, whose disguised Russian twins (b = в, u = и) are far more common
    # than an English a disguised as а.
    letter_lean: int = 1
    digit_margin: float = 1.0  # Cyrillic-with-digits tokens: reading must beat the split by this
    ambiguity_margin: float = 1.0
    subst_cost: float = 0.25  # every substituted character
    class_cost: dict[str, float] = field(
        default_factory=lambda: {"tr39": 0.0, "italic": 0.75, "digit": 1.0, "multi": 0.5}
    )
    split_cost: float = 2.5  # each space inserted between glued parts
    number_score: float = -2.0  # LM-like score of a digits-only part
    # Extra cost of digits kept as written right after letters: after an upper-case run (model
    # codes: ГАЗ3110) or a short unit (м3, см2) ...
    glued_digit_cost: float = 1.0
    # ... and inside a lower-case word or after three or more lower-case letters (пр0руби, дубн0),
    # where a digit is almost always a disguised letter.
    glued_digit_lower_cost: float = 3.0
    max_lookalike_number: int = 3  # digit-only tokens up to this long may read as a word (0 = о)
    lookalike_number_score: float = -3.5  # ... and score this as a number (in disguised text)
    max_readings: int = 16


#: A word holding a decisive Cyrillic letter: its Latin letters are disguise (``бbIлuhе``: the
#: ``I`` of ``bI`` = ``ы``), not evidence of Latin text, so the context counts none of them.
_CYR_WORD = rf"[\p{{L}}\p{{N}}]*{_DEC_CYR}[\p{{L}}\p{{N}}]*"


def context_bucket_expr(text: pl.Expr) -> pl.Expr:
    """Context of each text as an integer -2..2 (Latin .. Cyrillic) from its decisive letters:
    every decisive Cyrillic letter, and the decisive Latin letters of words that hold no
    decisive Cyrillic letter."""
    c = text.str.count_matches(_DEC_CYR).cast(pl.Float64)
    lat = text.str.replace_all(_CYR_WORD, "").str.count_matches(_DEC_LAT).cast(pl.Float64)
    return ((c - lat) / (c + lat + 2.0) * 2.0 + 0.5).floor().fill_null(0).cast(pl.Int8)


_re_dec_cyr = re.compile(_DEC_CYR)
_re_dec_lat = re.compile(_DEC_LAT)
_re_cyr_word = re.compile(rf"[^\W_]*{_DEC_CYR}[^\W_]*")


def context_bucket(text: str) -> int:
    """Python form of :func:`context_bucket_expr` for one text."""
    c = len(_re_dec_cyr.findall(text))
    lat = len(_re_dec_lat.findall(_re_cyr_word.sub("", text)))
    return int(math.floor((c - lat) / (c + lat + 2.0) * 2.0 + 0.5))


_KINDS: dict[str, str] = {}
#: Every character that appears in a confusables key, per reading script.
_KEY_CHARS = {"C": set("".join(TO_CYR)), "L": set("".join(TO_LAT))}
#: The TR39 pairs alone: the only readings a clean word gets in a text that shows no disguise.
_TR39_TABLES = {
    script: {k: v2 for k, v in table.items() if (v2 := tuple(mc for mc in v if mc[1] == "tr39"))}
    for script, table in (("C", TO_CYR), ("L", TO_LAT))
}
#: Digits that look like a Cyrillic letter (0 = о, 3 = з, 6 = б, 4 = ч).
_LOOKALIKE_DIGITS = frozenset(k for k in TO_CYR if k.isdigit())


def _unique_readings(table: dict[str, tuple[tuple[str, str], ...]]) -> dict[str, str]:
    """Single characters with exactly one reading that starts no multi-character rule."""
    firsts = {k[0] for k in table if len(k) > 1}
    return {
        k: v[0][0]
        for k, v in table.items()
        if len(k) == 1 and len(v) == 1 and k not in firsts and not k.isdigit()
    }


_TO_CYR_FAST = _unique_readings(TO_CYR)
_TO_LAT_FAST = _unique_readings(TO_LAT)


def _cls(chars: Iterable[str]) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in sorted(set(chars)))


_ALNUM = r"\p{L}\p{N}"
_CYR_W = rf"[{_CYR_R}&&[{_ALNUM}]]"
_LAT_W = rf"[{_LAT_R}&&[{_ALNUM}]]"
_CYR_NO_LAT = rf"[{_CYR_R}&&[{_ALNUM}]--[{_cls(k for k in TO_LAT if len(k) == 1)}]]"
_LAT_NO_CYR = rf"[{_LAT_R}&&[{_ALNUM}]--[{_cls(''.join(TO_CYR))}]]"


def _forced(own: str, only: str, fast: dict[str, str]) -> str:
    """A chunk that is one word (punctuation around it allowed) made of ``own``-script letters
    and letters with a single reading in that script, holding at least one of each kind and a
    letter (``only``) that has no reading in the other script: such a word has exactly one
    reading and nothing to weigh."""
    b = f"[{_cls(fast)}]"
    w = f"(?:{own}|{b})"
    return rf"^[^{_ALNUM}]*{w}*(?:{only}{w}*{b}|{b}{w}*{only}){w}*[^{_ALNUM}]*$"


#: One-word chunks decided without Python (see ``_forced``): read as Cyrillic / as Latin.
FORCED_CYRILLIC = _forced(_CYR_W, _CYR_NO_LAT, _TO_CYR_FAST)
FORCED_LATIN = _forced(_LAT_W, _LAT_NO_CYR, _TO_LAT_FAST)


def _splittable() -> str:
    """A cut that ``HomoglyphRepairer._split`` may make between a Cyrillic and a Latin run: both
    runs at least two letters long and a case change at the cut, or both at least four long."""
    c, lat = f"[{_CYR_R}]", f"[{_LAT_R}]"
    # "upper" is "not lower-case", as str.islower() sees it
    cl, cu = f"[{_CYR_R}&&\\p{{Ll}}]", f"[{_CYR_R}--\\p{{Ll}}]"
    ll, lu = f"[{_LAT_R}&&\\p{{Ll}}]", f"[{_LAT_R}--\\p{{Ll}}]"
    return "|".join(
        [
            f"{c}{cl}{lu}{lat}",
            f"{c}{cu}{ll}{lat}",
            f"{lat}{ll}{cu}{c}",
            f"{lat}{lu}{cl}{c}",
            f"{c}{{4}}{lat}{{4}}",
            f"{lat}{{4}}{c}{{4}}",
        ]
    )


_SPLITTABLE = _splittable()


def _py_splittable() -> re.Pattern[str]:
    """Python ``re`` form of ``_SPLITTABLE`` (no class intersections there: spelled out)."""
    cyr = [chr(c) for c in range(0x0400, 0x0530)]
    lat = [chr(c) for c in range(0x0041, 0x0250) if is_latin(chr(c))]

    def cls(chars: list[str]) -> str:
        return "[" + "".join(re.escape(c) for c in chars) + "]"

    c, lat_ = cls(cyr), cls(lat)
    cl, cu = cls([x for x in cyr if x.islower()]), cls([x for x in cyr if not x.islower()])
    ll, lu = cls([x for x in lat if x.islower()]), cls([x for x in lat if not x.islower()])
    return re.compile(
        f"{c}{cl}{lu}{lat_}|{c}{cu}{ll}{lat_}|{lat_}{ll}{cu}{c}|{lat_}{lu}{cl}{c}"
        f"|{c}{{4}}{lat_}{{4}}|{lat_}{{4}}{c}{{4}}"
    )


_re_splittable = _py_splittable()
_re_ascii_digit = re.compile("[0-9]")


def _kind(ch: str) -> str:
    """ "D" digit, "C" Cyrillic, "L" Latin, "O" anything else (memoised)."""
    k = _KINDS.get(ch)
    if k is None:
        k = _KINDS[ch] = _kind_uncached(ch)
    return k


def _kind_uncached(ch: str) -> str:
    if "0" <= ch <= "9":
        return "D"
    if is_cyrillic(ch):
        return "C"
    if is_latin(ch):
        return "L"
    return "O"


class HomoglyphRepairer:
    """Repairs Cyrillic/Latin look-alike substitutions with a char LM (see module docstring).

    ``score_fn`` maps a lower-case word to its log10 probability; :meth:`from_arpa` builds it from
    a KenLM model. ``normalize`` runs ``normalize_column`` before repair (on by default: repair
    needs zero-width characters and soft hyphens gone from inside words).
    """

    def __init__(
        self,
        score_fn: Callable[[str], float],
        config: RepairConfig | None = None,
        *,
        normalize: bool = True,
        compiled: bool = True,
        threads: int | None = None,
    ) -> None:
        self._score_fn = score_fn
        self.config = config or RepairConfig()
        self.normalize = normalize
        self._lm_cache: dict[str, float] = {}
        self._cache: dict[tuple[str, int], Decision] = {}
        self._fast_tables: dict[str, dict[str, tuple[str, float]]] = {}
        self._chunk_cache: dict[tuple[str, int, bool], tuple[str, int, int, int, int]] = {}
        self._fast_decisions = 0
        self._compiled_chunks = 0
        self._tables = None
        #: Decide distinct chunks with the numba kernels (``textclean.kernels``); False: the
        #: Python reference path (polars for one-reading words, ``decide_chunk`` for the rest).
        self.compiled = compiled
        #: Slices of a long column repaired side by side by the compiled path.
        self.threads = threads or _default_threads()
        self._lock = threading.Lock()

    @classmethod
    def from_arpa(
        cls, path: str | Path, config: RepairConfig | None = None, *, normalize: bool = True
    ) -> HomoglyphRepairer:
        """Load a char LM (ARPA or KenLM binary); a bad file raises ``ArpaError`` naming it."""
        from textclean.arpa import load_kenlm

        model = load_kenlm(path)
        from textclean.lmtrain import char_sentence  # the trainer's word -> "sentence" format

        def score(word: str) -> float:
            return model.score(char_sentence(word), bos=True, eos=True)

        return cls(score, config, normalize=normalize)

    # ------------------------------------------------------------------ scoring helpers
    def lm(self, word: str) -> float:
        """Cached LM log10 score of ``word`` lower-cased (stress marks left out)."""
        key = word.lower()
        s = self._lm_cache.get(key)
        if s is None:
            q = key if key.isalnum() else _re_marks.sub("", key)
            s = self._lm_cache[key] = float(self._score_fn(q))
        return s

    def _prior(self, script: str, ctx: int, length: int = 1) -> float:
        """Context prior: +/- ctx_weight at full context strength for words of up to 2
        characters, falling off as 2/length for longer words (whose LM evidence is stronger)."""
        w = self.config.ctx_weight * ctx / 2.0 * min(1.0, 2.0 / max(length, 1))
        return w if script == "C" else -w

    def readings(
        self, word: str, script: str, *, tr39_only: bool = False, start: bool = False
    ) -> list[tuple[str, float]]:
        """All-``script`` readings of ``word`` (``"C"`` or ``"L"``) with their substitution cost,
        cheapest first, at most ``config.max_readings``; empty if a character has no reading.
        ``tr39_only`` uses only the TR39 pairs; ``start`` (the word opens a sentence) lets a
        leading digit read as a capital (``0н`` -> ``Он``)."""
        fast = self._fast(script, tr39_only)
        keep = is_cyrillic if script == "C" else is_latin
        out, pen = [], 0.0
        for ch in word:  # fast path: every character has at most one reading
            if "0" <= ch <= "9":
                break
            if keep(ch):
                out.append(ch)
                continue
            hit = fast.get(ch)
            if hit is None:
                if ch not in _KEY_CHARS[script]:
                    return []  # a character with no reading at all
                break
            out.append(hit[0])
            pen += hit[1]
        else:
            return [("".join(out), pen)]
        return self._readings_dp(word, script, tr39_only, start)

    def _table(self, script: str, tr39_only: bool) -> dict[str, tuple[tuple[str, str], ...]]:
        table = TO_CYR if script == "C" else TO_LAT
        if not tr39_only:
            return table
        return _TR39_TABLES[script]

    def _fast(self, script: str, tr39_only: bool = False) -> dict[str, tuple[str, float]]:
        """Characters with exactly one reading in ``script`` and no multi-character rule."""
        cached = self._fast_tables.get((script, tr39_only))
        if cached is None:
            table = self._table(script, tr39_only)
            firsts = {k[0] for k in table if len(k) > 1}
            cost = self.config.class_cost
            cached = {
                k: (v[0][0], self.config.subst_cost + cost[v[0][1]])
                for k, v in table.items()
                if len(k) == 1 and len(v) == 1 and k not in firsts and not k.isdigit()
            }
            self._fast_tables[(script, tr39_only)] = cached
        return cached

    def _readings_dp(
        self, word: str, script: str, tr39_only: bool = False, start: bool = False
    ) -> list[tuple[str, float]]:
        table = self._table(script, tr39_only)
        keep = is_cyrillic if script == "C" else is_latin
        cost = self.config.class_cost
        sub = self.config.subst_cost
        limit = self.config.max_readings
        n = len(word)
        letters = [ch for ch in word if ch.isalpha()]
        upper = len(letters) >= 2 and all(ch.isupper() for ch in letters)
        states: list[list[tuple[str, float]]] = [[] for _ in range(n + 1)]
        states[0].append(("", 0.0))
        for i in range(n):
            here = states[i]
            if not here:
                continue
            if len(here) > limit:
                here.sort(key=lambda t: t[1])
                del here[limit:]
            ch = word[i]
            found = table.get(ch, ())
            # A digit may stay a digit in a Latin reading (4gаmer -> 4gamer); in a Cyrillic one
            # only a digit with no Cyrillic look-alike (км2), so that 0 3 6 4 must be letters.
            digit = "0" <= ch <= "9"
            opts = [(ch, 0.0)] if keep(ch) or (digit and (script == "L" or not found)) else []
            if digit:  # a digit takes the case of the word's letters (0 -> о or О) ...
                cap = upper or (start and i == 0)  # ... or opens a sentence as a capital
                found = tuple(mc for mc in found if mc[0].isupper() == cap) or found
            opts.extend((m, sub + cost[c]) for m, c in found)
            if opts:
                nxt = states[i + 1]
                for text, pen in here:
                    for o, c in opts:
                        nxt.append((text + o, pen + c))
            if i + 1 < n:
                multi = table.get(word[i : i + 2])
                if multi:
                    nxt2 = states[i + 2]
                    for text, pen in here:
                        for m, c in multi:
                            nxt2.append((text + m, pen + sub + cost[c]))
        best: dict[str, float] = {}
        for text, pen in states[n]:
            if text not in best or pen < best[text]:
                best[text] = pen
        return sorted(best.items(), key=lambda t: (t[1], t[0]))[:limit]

    # ------------------------------------------------------------------ deciding one word
    def decide(
        self,
        word: str,
        ctx: int = 0,
        *,
        disguised: bool = False,
        start: bool = False,
        abbrev: bool = False,
    ) -> Decision:
        """Decide one word form in a text context: ``ctx`` the script bucket (-2..2, Latin ..
        Cyrillic), ``disguised`` whether the text has a word mixing scripts, ``start`` whether
        the word opens a sentence (only matters for a leading digit), ``abbrev`` whether a '.'
        follows it or it follows a digit and '-' (only matters for a one-letter word:
        ``ONE_LETTER_WORDS``). Cached."""
        start = start and "0" <= word[:1] <= "9"
        abbrev = abbrev and len(word) == 1
        key = (word, ctx, disguised, start, abbrev)
        d = self._cache.get(key)
        if d is None:
            d = self._cache[key] = self._decide(
                word, ctx, disguised=disguised, start=start, abbrev=abbrev
            )[0]
        return d

    def _decide(
        self,
        word: str,
        ctx: int,
        explain: bool = False,
        *,
        disguised: bool = False,
        start: bool = False,
        abbrev: bool = False,
    ) -> tuple[Decision, list[Candidate]]:
        cfg = self.config
        kinds = {_kind(ch) for ch in word}
        mixed = "C" in kinds and "L" in kinds
        if "O" in kinds:
            return Decision(word, self.lm(word), mixed=mixed, other=True), []
        if ctx == KEEP_CTX:  # a number or unit symbol by its neighbours (``kept_words``)
            return Decision(word, cfg.number_score, mixed=mixed), []
        # A number - unless the text shows disguise, leans Cyrillic and this is a short run of
        # look-alike digits (0 = о, 06 = об), which is then weighed like any other token.
        if (
            "C" not in kinds
            and "L" not in kinds
            and not (
                disguised
                and ctx >= 1
                and len(word) <= cfg.max_lookalike_number
                and all(ch in _LOOKALIKE_DIGITS for ch in word)
            )
        ):
            return Decision(word, cfg.number_score), []
        if "D" in kinds and "C" not in kinds and ctx < 1:
            # Latin letters with digits: brand and model tokens (iPhone15, A52, 4K) stay; in a
            # Cyrillic text they may still be disguised words (n0 = по), decided below.
            return Decision(word, cfg.number_score), []

        clean = not mixed and "D" not in kinds
        own = ("C" if "C" in kinds else "L") if clean else None
        if not clean and not mixed and "C" not in kinds:
            own = "L"  # Latin with digits in a Cyrillic context: only the Cyrillic reading
        # Optionally, a clean word in a text without disguise is read through the TR39 pairs only.
        tr39_only = cfg.clean_text_tr39_only and clean and not disguised
        # A clean one-letter Latin word reads as Cyrillic only as a Russian one-letter word or
        # unit letter, or as an abbreviation / numeral suffix (п., 1960-х): a formula's n is
        # not a disguised п.
        one_letter = clean and own == "L" and len(word) == 1 and not abbrev
        # A clean Latin word with a stress-marked letter (népe, café) is not disguised Russian.
        stressed = clean and own == "L" and any(ch in _LAT_STRESSED for ch in word)
        raw: list[tuple[str, str, float, float]] = []  # (text, how, cost, prior)
        for script in ("C", "L"):
            if script == own or (script == "C" and (ctx == ADDRESS_CTX or stressed)):
                continue
            name = "cyrillic" if script == "C" else "latin"
            if (
                script == "L"
                and clean
                and len(word) == 1
                and word not in _CYR_LAT_ONLY
                and cfg.letter_lean > 0
                and ctx > -cfg.letter_lean
            ):
                continue  # a lone Russian letter reads as Latin only where the text leans so
            prior = self._prior(script, ctx, len(word))
            for text, cost in self.readings(word, script, tr39_only=tr39_only, start=start):
                if one_letter and script == "C" and text[0] not in ONE_LETTER_WORDS:
                    continue
                if text != word:  # keeping every digit gives the word itself back
                    raw.append((text, name, cost, prior))
        split = self._split(word, ctx, disguised)
        if not explain and not raw:
            # Nothing to weigh: keep (or split glued digits); the LM is not needed.
            out = split.text if split is not None else word
            return Decision(out, math.nan, out != word, mixed, mixed and split is None), []
        if not explain and mixed and split is None and len(raw) == 1:
            return Decision(raw[0][0], math.nan, raw[0][0] != word, True, False), []
        cands: list[Candidate] = []
        if clean:
            cands.append(
                Candidate(word, "as written", self.lm(word), 0.0, self._prior(own, ctx, len(word)))
            )
        elif "C" not in kinds and "L" not in kinds:  # a short look-alike number (0, 06)
            cands.append(Candidate(word, "as written", cfg.lookalike_number_score, 0.0, 0.0))
        elif not mixed and split is None:
            # Letters with digits (3л, м0локо, n0): as written, scored run by run.
            cands.append(Candidate(word, "as written", self._runs_score(word), 0.0, 0.0))
        cands.extend(
            Candidate(t, how, self._score_text(t), cost, prior) for t, how, cost, prior in raw
        )
        if split is not None:  # for glued digits (500мл) the split form is the baseline
            cands.append(split)
        if not cands:
            return Decision(word, self.lm(word), mixed=mixed, ambiguous=mixed), []
        cands.sort(key=lambda c: (-c.score, c.text))
        best = cands[0]
        if mixed:
            rival = next((c for c in cands[1:] if c.text != best.text), None)
            amb = rival is not None and best.score - rival.score < cfg.ambiguity_margin
            return Decision(best.text, best.score, best.text != word, True, amb), cands
        # Clean words and Cyrillic-with-digits tokens: the as-written (or split) reading stays
        # unless a reading in the other script beats it by a margin.
        base = next(c for c in cands if c.how in ("as written", "split"))
        if not clean:
            margin = cfg.digit_margin
        elif len(word) == 1 and word.isupper():
            margin = cfg.disguised_letter_margin if disguised else cfg.letter_margin
        elif len(word) >= 2 and word.isupper():
            margin = cfg.disguised_caps_margin if disguised else cfg.caps_margin
        else:
            margin = cfg.disguised_margin if disguised else cfg.clean_margin
        if best is not base and best.score - base.score >= margin:
            return Decision(best.text, best.score, True, False, False), cands
        rival = next((c for c in cands if c is not base and c.text != base.text), None)
        amb = clean and rival is not None and rival.score - base.score > -cfg.ambiguity_margin
        return Decision(base.text, base.score, base.text != word, False, amb), cands

    def _score_text(self, text: str) -> float:
        """LM score of a reading; readings that kept digits are scored run by run."""
        return self._runs_score(text) if any("0" <= ch <= "9" for ch in text) else self.lm(text)

    def _runs_score(self, word: str) -> float:
        """Score of a token read run by run (digit runs as numbers, letter runs by the LM).

        Digits right after letters are rarer than a number before a unit: they cost
        ``glued_digit_cost``, or ``glued_digit_lower_cost`` inside a lower-case word or after
        three or more lower-case letters (сел0, пр0руби), where they are nearly always letters."""
        cfg = self.config
        runs = _re_runs.findall(word)
        total = 0.0
        for i, run in enumerate(runs):
            if not run[0].isdigit():
                total += self.lm(run)
                continue
            total += cfg.number_score
            if i == 0:
                continue
            before = runs[i - 1]
            inside = i + 1 < len(runs) and before[-1].islower() and runs[i + 1][0].islower()
            long_lower = len(before) >= 3 and before[-3:].islower()
            total -= cfg.glued_digit_lower_cost if inside or long_lower else cfg.glued_digit_cost
        return total

    def _split(self, word: str, ctx: int, disguised: bool = False) -> Candidate | None:
        """The glued-word reading: cut at script/digit boundaries between long enough runs."""
        if _re_ascii_digit.search(word) is None and _re_splittable.search(word) is None:
            return None  # no digits and no Cyrillic/Latin boundary that may be cut
        runs: list[list] = []  # [kind, start, end]
        for i, ch in enumerate(word):
            k = _kind(ch)
            if runs and runs[-1][0] == k:
                runs[-1][2] = i + 1
            else:
                runs.append([k, i, i + 1])
        if len(runs) < 2:
            return None
        cuts = []
        part_start = 0
        for a, b in zip(runs, runs[1:], strict=False):
            la, lb = a[2] - a[1], b[2] - b[1]
            if a[0] == "D" or b[0] == "D":
                # only a whole number followed by a word (500мл); км2, Tele2, A52 and the
                # В0 of В0лoгда stay whole
                ok = a[0] == "D" and a[1] == part_start and lb >= 2
            else:
                case_change = word[a[2] - 1].islower() != word[b[1]].islower()
                ok = la >= 2 and lb >= 2 and (case_change or (la >= 4 and lb >= 4))
            if ok:
                cuts.append(a[2])
                part_start = a[2]
        if not cuts:
            return None
        bounds = [0, *cuts, len(word)]
        parts = [word[s:e] for s, e in zip(bounds, bounds[1:], strict=False)]
        cfg = self.config
        texts, total = [], -cfg.split_cost * (len(parts) - 1)
        for p in parts:
            # the number of a number+word split (500мл, 0ver) stays a number
            d = self.decide(p, ctx, disguised=disguised and not p.isdigit())
            texts.append(d.out)
            total += d.score if not math.isnan(d.score) else self._runs_score(d.out)
        return Candidate(" ".join(texts), "split", total, 0.0, 0.0)

    # ------------------------------------------------------------------ texts and columns
    def repair_text(self, s: str | None) -> tuple[str | None, dict[str, float | int | None]]:
        """Repair one text; returns (repaired text, statistics dict with ``STAT_COLUMNS``)."""
        from textclean.normalize import normalize_text

        if self.normalize and s is not None:
            s = normalize_text(s)  # also replaces lone surrogates, which polars cannot hold
        out = self._repair(pl.Series("text", [s], dtype=pl.String), normalize=False)
        row = out.row(0, named=True)
        return row.pop("clean"), row

    def repair_column(self, col: pl.Series) -> pl.DataFrame:
        """Repair every text of a string column; returns ``clean`` plus ``STAT_COLUMNS``."""
        return self._repair(col, normalize=self.normalize)

    def _repair(self, col: pl.Series, *, normalize: bool) -> pl.DataFrame:
        if not normalize:
            col = col.cast(pl.String)
            if col.str.contains(_MARKS_CLASS).any():
                return self._repair_with_marks(col)
        if self.compiled:
            return self._repair_compiled(col, normalize=normalize)
        text = col.cast(pl.String)
        if normalize:
            text = normalize_column(text)
        # Normalised text has single spaces: its space-separated chunks are decided (once per
        # distinct chunk and context) only when they may hold a broken word.
        frame = pl.DataFrame({"text": text}).with_row_index("row")
        frame = frame.with_columns(
            context_bucket_expr(pl.col("text")).alias("ctx"),
            disguised_expr(pl.col("text"), self.config.disguise_share).alias("dis"),
        )
        marked = pl.col("text").str.replace_all(SENTENCE_START_DIGIT, f"${{1}}{START_MARK}${{2}}")
        # words whose neighbours show a number or a unit get KEEP_MARK (only texts that may
        # hold one are looked at in Python)
        may = pl.col("text").str.contains(KEEP_CANDIDATE).fill_null(False)
        marked = (
            pl.when(may)
            .then(marked.map_elements(mark_kept_words, return_dtype=pl.String, skip_nulls=True))
            .otherwise(marked)
        )
        chunks = frame.select("row", "ctx", "dis", marked.str.split(" ").alias("chunk")).explode(
            "chunk"
        )
        todo = (
            chunks.filter(pl.col("chunk").str.contains(NEEDS_DECISION))
            .select("chunk", "ctx", "dis")
            .unique()
        )
        table = self._decide_table(todo)
        cols = ("out", "mixed", "repaired", "ambiguous", "broken")
        agg = (
            chunks.join(table, on=["chunk", "ctx", "dis"], how="left", maintain_order="left")
            .group_by("row", maintain_order=True)
            .agg(
                pl.coalesce("out", "chunk").str.join(" ").alias("out"),
                *[pl.col(c).sum().cast(pl.Int32) for c in cols[1:]],
            )
        )
        has_other = text.str.contains(OTHER_WORD_PATTERN).fill_null(False)
        other = (
            text.str.count_matches(OTHER_WORD_PATTERN)
            if has_other.any()
            else pl.zeros(len(text), pl.UInt32, eager=True)
        )
        full = frame.select(
            "row",
            pl.col("text").is_null().alias("null"),
            pl.col("text").str.count_matches(WORD_PATTERN).cast(pl.Int32).alias("words"),
            pl.lit(other).cast(pl.Int32).alias("other_words"),
        ).join(agg, on="row", how="left", maintain_order="left")
        nul = pl.col("null")

        def stat(c: str, name: str | None = None) -> pl.Expr:
            expr = pl.when(nul).then(None).otherwise(pl.col(c).fill_null(0))
            return expr.cast(pl.Int32).alias(name or c)

        return full.select(
            pl.when(nul).then(None).otherwise(pl.col("out").fill_null("")).alias("clean"),
            stat("words"),
            stat("mixed", "mixed_words"),
            stat("repaired", "repaired_words"),
            stat("ambiguous", "ambiguous_words"),
            pl.when(nul)
            .then(None)
            .when(pl.col("words") == 0)
            .then(float("nan"))
            .otherwise(pl.col("broken").fill_null(0) / pl.col("words"))
            .cast(pl.Float32)
            .alias("broken_share"),
            stat("other_words"),
        )

    def _repair_with_marks(self, col: pl.Series) -> pl.DataFrame:
        """``_repair`` of unnormalised texts that hold ``START_MARK`` / ``KEEP_MARK`` themselves
        (U+0001 is Hive's field separator): the column paths would read them as their own marks
        and drop them. They stand in as two other control characters absent from the column
        (the same kind of character for every rule) and are put back in the output."""
        free = [c for c in _MARK_STAND_INS if not col.str.contains(c, literal=True).any()]
        if len(free) < 2:
            raise ValueError(
                f"repair: column {col.name!r} holds U+0001/U+0002 and every control character "
                "they could stand in as; normalise it (normalize=True) first"
            )
        sub = col.str.replace_many([START_MARK, KEEP_MARK], free[:2])
        out = self._repair(sub, normalize=False)
        clean = out["clean"].str.replace_many(free[:2], [START_MARK, KEEP_MARK])
        return out.with_columns(clean)

    def _decide_table(self, todo: pl.DataFrame) -> pl.DataFrame:
        """Decisions for distinct (chunk, ctx, dis) rows: ``out`` and the four counts.

        Chunks that are one mixed word with a single possible reading (see ``FORCED_CYRILLIC``
        and ``FORCED_LATIN``) are decided by polars string operations; the rest in Python, one
        :meth:`decide_chunk` call each."""
        cols = ("out", "mixed", "repaired", "ambiguous", "broken")
        schema = {"chunk": pl.String, "ctx": pl.Int8, "dis": pl.Boolean, "out": pl.String}
        schema |= dict.fromkeys(cols[1:], pl.Int32)
        chunk = pl.col("chunk")
        whole = ~chunk.str.contains(_SPLITTABLE) & ~chunk.str.contains(ADDRESS_PATTERN)
        forced_c = whole & chunk.str.contains(FORCED_CYRILLIC)
        forced_l = whole & ~forced_c & chunk.str.contains(FORCED_LATIN)
        todo = todo.with_columns(forced_c.alias("fc"), forced_l.alias("fl"))
        fast = todo.filter(pl.col("fc") | pl.col("fl"))
        self._fast_decisions += fast.height
        one = pl.lit(1, pl.Int32)
        fast = fast.select(
            "chunk",
            "ctx",
            "dis",
            pl.when(pl.col("fc"))
            .then(chunk.str.replace_many(_TO_CYR_FAST))
            .otherwise(chunk.str.replace_many(_TO_LAT_FAST))
            .alias("out"),
            one.alias("mixed"),
            one.alias("repaired"),
            pl.lit(0, pl.Int32).alias("ambiguous"),
            one.alias("broken"),
        )
        slow = todo.filter(~(pl.col("fc") | pl.col("fl")))
        decided = [
            self.decide_chunk(c, x, d) for c, x, d in slow.select("chunk", "ctx", "dis").iter_rows()
        ]
        slow_table = pl.DataFrame(
            {"chunk": slow["chunk"], "ctx": slow["ctx"], "dis": slow["dis"]}
            | {name: [d[i] for d in decided] for i, name in enumerate(cols)},
            schema=schema,
        )
        return pl.concat([fast.cast(schema), slow_table])

    def _repair_compiled(self, col: pl.Series, *, normalize: bool) -> pl.DataFrame:
        """``_repair`` through the numba kernels (``textclean.kernels``), same output: one pass
        over the texts' code points finds each text's context, disguise flag and counts and the
        distinct chunks that need a decision; two passes decide those chunks (the LM called
        once per distinct letter run that a decision weighs); one pass writes the texts.

        Long columns are cut into slices (one per thread, and at most ``_MAX_SLICE_BYTES`` of
        text each) repaired side by side (the kernels and polars release the GIL); a chunk seen
        in two slices is decided in both, the same way."""
        from concurrent.futures import ThreadPoolExecutor

        n = col.len()
        n_bytes = int(col.cast(pl.String).str.len_bytes().sum() or 0)
        workers = min(self.threads, max(1, n // _MIN_TEXTS_PER_THREAD))
        # slices of bounded size keep the kernels' scratch memory bounded on long columns
        parts = min(max(workers, -(-n_bytes // _MAX_SLICE_BYTES)), max(n, 1))
        if parts <= 1:
            return self._repair_compiled_part(col, normalize=normalize)
        step = -(-n // parts)
        slices = [col.slice(i, step) for i in range(0, n, step)]
        if self._tables is None:
            from textclean import kernels as K

            self._tables = K.char_tables()
        with ThreadPoolExecutor(max(1, workers)) as pool:
            frames = list(
                pool.map(lambda c: self._repair_compiled_part(c, normalize=normalize), slices)
            )
        return pl.concat(frames, rechunk=True)

    def _repair_compiled_part(self, col: pl.Series, *, normalize: bool) -> pl.DataFrame:
        """:meth:`_repair_compiled` of one slice."""
        import numpy as np
        import pyarrow as pa

        from textclean import kernels as K

        text = col.cast(pl.String)
        if normalize:
            text = normalize_column(text)
        text = text.rechunk()
        n = text.len()
        if self._tables is None:
            self._tables = K.char_tables()
        tab = self._tables
        arr = text.to_arrow()
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arr = arr.cast(pa.large_string())
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], np.int64)[arr.offset : arr.offset + n + 1]
        data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
        valid = text.is_not_null().to_numpy()
        cps, off = K.utf8_decode(data, offsets, n)
        tab.learn(cps)
        ctx, dis, words, other, marked, c_s, c_e, c_u, t_c, u_first, u_ctx, u_dis = K.text_pass(
            cps, off, valid, tab.props, tab.kind, float(self.config.disguise_share)
        )
        ids, uoff = K.gather(marked, c_s[u_first], c_e[u_first])
        d_out, d_s, d_e, d_counts = self._decide_spans(ids, uoff, u_ctx, u_dis)
        data, offs, counts = K.assemble(
            marked, c_s, c_e, c_u, t_c, valid, d_out, d_s, d_e, d_counts
        )
        clean = pl.Series(
            "clean",
            pa.LargeStringArray.from_buffers(n, pa.py_buffer(offs), pa.py_buffer(data)),
            dtype=pl.String,
        )
        nul = ~pl.Series(valid)
        words_f = words.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(words == 0, np.nan, counts[:, 3] / words_f)

        frame = pl.DataFrame(
            {
                "clean": clean,
                "words": pl.Series(words, dtype=pl.Int32),
                "mixed_words": pl.Series(counts[:, 0], dtype=pl.Int32),
                "repaired_words": pl.Series(counts[:, 1], dtype=pl.Int32),
                "ambiguous_words": pl.Series(counts[:, 2], dtype=pl.Int32),
                "broken_share": pl.Series(share).cast(pl.Float32),
                "other_words": pl.Series(other, dtype=pl.Int32),
            }
        )
        if not valid.all():
            frame = frame.with_columns(
                pl.when(pl.lit(nul)).then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns
            )
        return frame

    def _decide_spans(self, ids, off, ctx, dis):
        """Decide the distinct chunks ``ids[off[i]:off[i + 1]]`` (code points) in contexts
        ``ctx`` / ``dis``: (output code points, start, end of each chunk's output in them,
        counts (n, 4): mixed, repaired, ambiguous, broken). Chunks with a word longer than
        ``kernels.MAX_WORD`` go to :meth:`decide_chunk`."""
        import numpy as np

        from textclean import kernels as K

        tab = self._tables
        cfg = self.config
        n = ctx.size
        cc = cfg.class_cost
        fcfg1 = np.array(
            [cfg.ctx_weight, cfg.subst_cost, cc["tr39"], cc["italic"], cc["digit"], cc["multi"]]
        )
        limit = cfg.max_readings
        size = ids.size + 16
        caps = [size // 2, size, 4 * size, size]  # words, readings, arena, LM spans
        while True:
            icfg1 = np.array(
                [limit, limit * tab.width, cfg.max_lookalike_number, cfg.clean_text_tr39_only,
                 K.MAX_WORD, *caps, cfg.letter_lean],
                np.int64,
            )  # fmt: skip
            res = K.analyze_chunks(
                ids, off, ctx, dis, tab.kind, tab.props, tab.opt_off, tab.opt_m0, tab.opt_m1,
                tab.opt_cls, tab.mul_off, tab.mul_second, tab.mul_m0, tab.mul_cls, tab.fcls,
                fcfg1, icfg1,
            )  # fmt: skip
            if res[0] == 0:
                break
            caps = [2 * c for c in caps]  # rare: more readings or parts than estimated
        res = res[1:]
        arena, sp_s, sp_e = res[-3], res[-2], res[-1]
        # LM scores of the letter runs the decisions weigh: each distinct one scored once
        first, inv = K.dedupe_spans(arena, sp_s, sp_e, tab.lower)
        if first.size:
            big = arena.astype("<u4").tobytes().decode("utf-32-le")
            lm = self.lm
            starts, ends = sp_s[first].tolist(), sp_e[first].tolist()
            uniq = np.array([lm(big[a:b]) for a, b in zip(starts, ends, strict=True)], np.float64)
            scores = uniq[inv]
        else:
            scores = np.zeros(0, np.float64)
        fcfg2 = np.array(
            [
                cfg.ctx_weight, cfg.number_score, cfg.lookalike_number_score, cfg.split_cost,
                cfg.glued_digit_cost, cfg.glued_digit_lower_cost, cfg.ambiguity_margin,
                cfg.digit_margin, cfg.letter_margin, cfg.caps_margin, cfg.disguised_caps_margin,
                cfg.clean_margin, cfg.disguised_margin, cfg.disguised_letter_margin,
            ]
        )  # fmt: skip
        fallback = res[0]
        out, out_off, counts = K.decide_chunks(
            ids, off, *res[:-3], arena, scores, tab.kind, tab.props, ord(" "), fcfg2
        )
        d_s, d_e = out_off[:-1].copy(), out_off[1:].copy()
        if fallback.any():
            extra = []
            pos = out.size
            for i in np.flatnonzero(fallback).tolist():
                chunk = ids[off[i] : off[i + 1]].astype("<u4").tobytes().decode("utf-32-le")
                o, m, r, a, b = self.decide_chunk(chunk, int(ctx[i]), bool(dis[i]))
                cp = np.frombuffer(o.encode("utf-32-le"), np.uint32).astype(np.int32)
                extra.append(cp)
                d_s[i], d_e[i] = pos, pos + cp.size
                pos += cp.size
                counts[i] = (m, r, a, b)
            out = np.concatenate([out, *extra])
        with self._lock:
            self._compiled_chunks += n
        return out, d_s, d_e, counts

    def decide_chunk(
        self, chunk: str, ctx: int, disguised: bool = False
    ) -> tuple[str, int, int, int, int]:
        """Decide every word of one space-free chunk: (output, mixed, repaired, ambiguous,
        broken) counts. Cached per (chunk, context). A ``START_MARK`` in the chunk says that
        the next word opens a sentence; it is dropped from the output."""
        key = (chunk, ctx, disguised)
        hit = self._chunk_cache.get(key)
        if hit is not None:
            return hit
        out, mixed, rep, amb, broken = [], 0, 0, 0, 0
        start = kept = False
        if _is_address(chunk):
            ctx = ADDRESS_CTX
        for m in _re_pieces.finditer(chunk):
            piece = m.group()
            if not piece[0].isalnum():
                if START_MARK in piece:
                    start = True
                    piece = piece.replace(START_MARK, "")
                if KEEP_MARK in piece:
                    kept = True
                    piece = piece.replace(KEEP_MARK, "")
                out.append(piece)
                continue
            dis = disguised and not _in_number(chunk, m.start(), m.end())
            d = self.decide(
                piece,
                KEEP_CTX if kept else ctx,
                disguised=dis,
                start=start,
                abbrev=_abbrev_at(chunk, m.start(), m.end()),
            )
            start = kept = False
            out.append(d.out)
            mixed += d.mixed
            rep += d.changed
            amb += d.ambiguous
            broken += d.broken
        res = self._chunk_cache[key] = ("".join(out), mixed, rep, amb, broken)
        return res

    # ------------------------------------------------------------------ explanations
    def explain(self, s: str | None) -> list[str]:
        """Human-readable lines for each word that changed or was ambiguous in ``s``: the word,
        its output and every reading considered with LM score, substitution cost and prior."""
        if s is None:
            return []
        from textclean.normalize import normalize_text

        if self.normalize:
            s = normalize_text(s) or ""
        ctx, dis = context_bucket(s), text_disguised(s, self.config.disguise_share)
        lines = []
        for w, wctx, start, in_number, abbrev in _words_with_starts(s):
            d, cands = self._decide(
                w,
                ctx if wctx is None else wctx,
                explain=True,
                disguised=dis and not in_number,
                start=start,
                abbrev=abbrev and len(w) == 1,
            )
            if not (d.changed or d.ambiguous or d.mixed):
                continue
            flags = [n for n, v in (("mixed", d.mixed), ("ambiguous", d.ambiguous)) if v]
            if dis:
                flags.insert(0, "text disguised")
            tail = ", ".join([f"context {ctx:+d}", *flags])
            lines.append(f"{w} -> {d.out}  [{tail}]")
            for c in cands:
                mark = "*" if c.text == d.out else " "
                lines.append(
                    f"  {mark} {c.how:<10} {c.text:<24} score {c.score:7.2f} = lm {c.lm:7.2f}"
                    f" - cost {c.cost:.2f} + prior {c.prior:+.2f}"
                )
        return lines

    def repair_words(self, s: str | None) -> str | None:
        """Reference form of the repair: word by word in Python, no chunk table (the bench's
        word-by-word baseline; ``repair_column`` must give the same text)."""
        if s is None:
            return None
        from textclean.normalize import normalize_text

        if self.normalize:
            s = normalize_text(s) or ""
        ctx, dis = context_bucket(s), text_disguised(s, self.config.disguise_share)
        out, pos = [], 0
        kept = kept_words(s)
        for i, m in enumerate(_re_word.finditer(s)):
            w = m.group()
            start = "0" <= w[0] <= "9" and _opens_sentence(s, m.start())
            d = dis and not _in_number(s, m.start(), m.end())
            address = _is_address(_chunk_at(s, m.start(), m.end()))
            c = KEEP_CTX if kept[i] else ADDRESS_CTX if address else ctx
            abbrev = _abbrev_at(s, m.start(), m.end())
            out.append(s[pos : m.start()])
            out.append(self.decide(w, c, disguised=d, start=start, abbrev=abbrev).out)
            pos = m.end()
        out.append(s[pos:])
        return "".join(out)

    def cache_info(self) -> dict[str, int]:
        """Sizes of the per-run caches (distinct decisions made in Python, distinct LM queries),
        the number of distinct chunks decided by polars string operations (Python path) and
        the number of distinct chunks decided by the numba kernels (compiled path)."""
        return {
            "decisions": len(self._cache),
            "fast_decisions": self._fast_decisions,
            "compiled_chunks": self._compiled_chunks,
            "lm_queries": len(self._lm_cache),
        }


_re_word = re.compile(r"[^\W_]+")
_MARKS_CLASS = "[\x01\x02]"
#: Control characters that no rule treats differently from U+0001/U+0002 as text (not
#: whitespace, not word characters): see ``_repair_with_marks``.
_MARK_STAND_INS = [chr(c) for c in (*range(0x03, 0x09), *range(0x0E, 0x1C))]
#: A column is cut into slices for threads only when each gets at least this many texts.
_MIN_TEXTS_PER_THREAD = 5000
#: ... and into slices of at most about this much UTF-8 text, whatever the threads: the scratch
#: arrays of the compiled path grow with the slice (reserved generously, mostly untouched).
_MAX_SLICE_BYTES = 8 << 20


def _default_threads() -> int:
    """The cores this process may use (``os.sched_getaffinity`` where there is one)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def text_disguised(text: str, share: float = 0.0) -> bool:
    """Whether ``text`` shows disguise: it has words mixing scripts (``MIXED_WORD_PATTERN``
    matches), at least ``share`` of its words. Python form of :func:`disguised_expr`."""
    mixed = len(_re_mixed_word.findall(text))
    return mixed > 0 and mixed >= share * len(_re_word.findall(text))


def disguised_expr(text: pl.Expr, share: float = 0.0) -> pl.Expr:
    """Column form of :func:`text_disguised` (False for null text)."""
    mixed = text.str.count_matches(MIXED_WORD_PATTERN)
    if share <= 0:
        return text.str.contains(MIXED_WORD_PATTERN).fill_null(False)
    words = text.str.count_matches(WORD_PATTERN)
    return ((mixed > 0) & (mixed.cast(pl.Float64) >= share * words)).fill_null(False)


def _opens_sentence(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens a sentence (as ``SENTENCE_START_DIGIT`` marks it)."""
    return _re_sentence_start.search(text, max(0, pos - 64), pos) is not None


def _in_number(text: str, start: int, end: int) -> bool:
    """Whether the digits at ``text[start:end]`` are part of a longer number (0,508 / 1.0 /
    12:00 / 0-3): then they are a number even in a disguised text, never letters."""
    if not text[start:end].isdigit():
        return False
    before = start >= 2 and text[start - 1] in _NUMBER_JOINERS and text[start - 2].isdigit()
    after = end + 1 < len(text) and text[end] in _NUMBER_JOINERS and text[end + 1].isdigit()
    return before or after


_NUMBER_JOINERS = ".,:/-"


def _words_with_starts(text: str) -> Iterable[tuple[str, int | None, bool, bool, bool]]:
    """(word, context override (``KEEP_CTX`` for ``kept_words``, ``ADDRESS_CTX`` inside an
    address, else None), opens a sentence, part of a longer number, an abbreviation or numeral
    suffix (``_abbrev_at``)) for each word of ``text``."""
    kept = kept_words(text)
    for i, m in enumerate(_re_word.finditer(text)):
        w = m.group()
        start = "0" <= w[0] <= "9" and _opens_sentence(text, m.start())
        address = _is_address(_chunk_at(text, m.start(), m.end()))
        ctx = KEEP_CTX if kept[i] else ADDRESS_CTX if address else None
        abbrev = _abbrev_at(text, m.start(), m.end())
        yield w, ctx, start, _in_number(text, m.start(), m.end()), abbrev


#: Russian one-letter words and the unit letters written without a dot (г, т, м, р: грамм or
#: год, тонна, метр, рубль); as capitals only the words that open sentences (А В И К С О У Я):
#: a capital unit letter or particle is not a word. A clean one-letter Latin word is read as
#: Cyrillic only as one of these, unless it is an abbreviation or a numeral suffix
#: (``_abbrev_at``: ``п.``, ``1960-х``): a formula's ``n``, the chromosome ``X`` or the size
#: ``M`` are not a disguised ``п``, ``Х`` or ``М``.
ONE_LETTER_WORDS = "авиксоуяжбгтмрАВИКСОУЯ"


def _abbrev_at(text: str, start: int, end: int) -> bool:
    """Whether the word at ``text[start:end]`` is followed by '.' (an abbreviation: ``п.``) or
    follows a digit and '-' (a numeral suffix: ``1960-х``, ``20-е``)."""
    if text[end : end + 1] == ".":
        return True
    return start >= 2 and text[start - 1] == "-" and "0" <= text[start - 2] <= "9"


#: Put before a word that its neighbours show to be a number or a unit symbol
#: (:func:`kept_words`): such a word is kept as written (its context becomes ``KEEP_CTX``), so
#: ``0`` of ``0 -- 1`` stays a number and ``C`` / ``С`` of ``0 ° C`` stays as the author wrote it.
KEEP_MARK = "\x02"
#: The context of a word that ``kept_words`` flags: no reading is weighed, the word stays.
KEEP_CTX = -4


def _all_digits(word: str) -> bool:
    return all("0" <= ch <= "9" for ch in word)


def kept_words(text: str) -> list[bool]:
    """For each word (``[^\\W_]+`` run) of ``text``: whether its neighbours say it is a number
    or a unit symbol, so that it is kept as written (never read as a disguised letter, nor a
    Cyrillic unit letter as Latin):

    - an ASCII-digit word next to another one (``0 -- 1 -- 2``: the previous or the next word,
      whatever non-word characters lie between), or followed by ``°`` or ``%`` before the next
      word (``0 ° C``, ``0 %``);
    - a one-letter word after ``°`` (since the previous word): ``°C``, ``° C``, ``°F``;
    - an all-caps Latin word made only of letters with a Cyrillic look-alike, two letters or
      more or followed by '.', next to a surely Latin word (``_sure_latin``, disguised or not):
      an acronym or an initial in Latin text (``HTC Evo``, ``APEC leaders``, ``H. pylori``,
      ``P.S.``; also ``HTC Evо`` with a Cyrillic ``о``).

    The column paths put ``KEEP_MARK`` before such words (:func:`mark_kept_words`)."""
    spans = [m.span() for m in _re_word.finditer(text)]
    n = len(spans)
    words = [text[a:b] for a, b in spans]
    digits = [_all_digits(w) for w in words]
    sure = [_sure_latin(w) for w in words]
    out = []
    for i, (a, b) in enumerate(spans):
        w = words[i]
        if digits[i]:
            after = text[b : spans[i + 1][0] if i + 1 < n else len(text)]
            flag = (
                "\u00b0" in after
                or "%" in after
                or (i > 0 and digits[i - 1])
                or (i + 1 < n and digits[i + 1])
            )
        elif b - a == 1 and "\u00b0" in text[spans[i - 1][1] if i else 0 : a]:
            flag = True
        else:
            flag = (
                (b - a >= 2 or text[b : b + 1] == ".")
                and all(ch in _LAT_CAPS_MAPPABLE for ch in w)
                and ((i > 0 and sure[i - 1]) or (i + 1 < n and sure[i + 1]))
            )
        out.append(flag)
    return out


#: Capital Latin letters with a Cyrillic look-alike (A B C E H K M O P T X Y, and I / l of ы).
_LAT_CAPS_MAPPABLE = frozenset(c for c in _LAT_MAPPABLE if c.isupper())


def _sure_latin(word: str) -> bool:
    """Whether ``word`` is surely Latin, even when disguised: Latin letters and Cyrillic
    letters with a Latin reading only (``lеadеrs``, ``Evо``), one of them a Latin letter with
    no Cyrillic look-alike or a non-Russian Cyrillic letter read only as Latin (``Ѕ`` of
    ``P.Ѕ.``); ``i``, ``I``, ``l`` count only when no ``b``/``B`` comes before them, which could
    make them a disguised ``ы``. No Russian word, disguised or not, passes: its letters all have
    a Cyrillic reading."""
    if not all(is_latin(ch) or ch in _CYR_NONDEC for ch in word):
        return False
    for k, ch in enumerate(word):
        if ch in _SURE_LAT or ch in _CYR_LAT_ONLY:
            return True
        if ch in "iIl" and (k == 0 or word[k - 1] not in "bB"):
            return True
    return False


def mark_kept_words(text: str | None) -> str | None:
    """``text`` with ``KEEP_MARK`` put before each word that :func:`kept_words` flags."""
    if text is None:
        return None
    flags = kept_words(text)
    if not any(flags):
        return text
    out, pos = [], 0
    for flag, m in zip(flags, _re_word.finditer(text), strict=True):
        if flag:
            out.append(text[pos : m.start()])
            out.append(KEEP_MARK)
            pos = m.start()
    out.append(text[pos:])
    return "".join(out)


#: The context given to every word of an address chunk (a web address, an e-mail, an @handle):
#: such words are Latin by construction (``chn.ge/2JRea20``, ``@yabloko``), whatever the text, so
#: they get no Cyrillic reading (a disguised one still gets its Latin reading) and the prior of
#: a Latin text.
ADDRESS_CTX = -3


#: ``_is_address`` as a polars pattern.
ADDRESS_PATTERN = r"://|www\.|@"


def _is_address(chunk: str) -> bool:
    """Whether a space-separated chunk is (or holds) a web address, an e-mail or an @handle."""
    return "://" in chunk or "www." in chunk or "@" in chunk


def _chunk_at(text: str, start: int, end: int) -> str:
    """The space-separated chunk of ``text`` around ``text[start:end]``."""
    a = text.rfind(" ", 0, start) + 1
    b = text.find(" ", end)
    return text[a : len(text) if b < 0 else b]


def word_pieces(text: str) -> Iterable[str]:
    """Words (runs of letters/digits) and the separators between them, in order."""
    return _re_pieces.findall(text)
