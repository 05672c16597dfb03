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
   other alphabet), so ``TOBAP`` beside Russian words leans Cyrillic and ``сор`` beside English
   words leans Latin.
5. Mixed words take the best reading. Clean single-script words and tokens with digits are left
   alone unless the other reading wins by a margin (larger for all-caps tokens, which are often
   brands); Latin letters with digits (``iPhone15``, ``A52``, ``4K``) are never touched.

Per-text statistics: ``words`` (letter/digit tokens), ``mixed_words`` (Cyrillic and Latin letters
in one token), ``repaired_words`` (tokens whose text changed), ``ambiguous_words`` (tokens whose
best reading beat the runner-up by less than ``ambiguity_margin``, or clean tokens kept although
the other-script reading was nearly as good), ``broken_share`` (share of tokens that were mixed or
changed; NaN for a text without tokens), ``other_words`` (tokens with letters of other scripts,
left as written).

The batch form decides each distinct (word form, context bucket) once per repairer and does
everything else with polars column operations.
"""

from __future__ import annotations

import math
import re
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
)
WORD_PATTERN = r"[\p{L}\p{N}]+"
#: A word holding a letter or digit of a script other than Cyrillic/Latin (counted as other_words).
OTHER_WORD_PATTERN = rf"{_W}*[[\p{{L}}\p{{N}}]--[0-9{_CYR_R}{_LAT_R}]]{_W}*"
_re_pieces = re.compile(r"[^\W_]+|[\W_]+")

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
    """Scoring constants (log10 units). Defaults were set on held-out benchmark text."""

    ctx_weight: float = 2.0  # prior for the context's script, per unit of context strength
    clean_margin: float = 1.5  # a clean word changes only if the other reading wins by this
    caps_margin: float = 3.0  # ... and by this for all-caps tokens (often brands, PC, XL)
    digit_margin: float = 1.0  # Cyrillic-with-digits tokens: reading must beat the split by this
    ambiguity_margin: float = 1.0
    subst_cost: float = 0.25  # every substituted character
    class_cost: dict[str, float] = field(
        default_factory=lambda: {"tr39": 0.0, "italic": 0.75, "digit": 1.0, "multi": 0.5}
    )
    split_cost: float = 2.5  # each space inserted between glued parts
    number_score: float = -2.0  # LM-like score of a digits-only part
    max_readings: int = 16


def context_bucket_expr(text: pl.Expr) -> pl.Expr:
    """Context of each text as an integer -2..2 (Latin .. Cyrillic) from its decisive letters."""
    c = text.str.count_matches(_DEC_CYR).cast(pl.Float64)
    lat = text.str.count_matches(_DEC_LAT).cast(pl.Float64)
    return ((c - lat) / (c + lat + 2.0) * 2.0 + 0.5).floor().fill_null(0).cast(pl.Int8)


_re_dec_cyr = re.compile(_DEC_CYR)
_re_dec_lat = re.compile(_DEC_LAT)


def context_bucket(text: str) -> int:
    """Python form of :func:`context_bucket_expr` for one text."""
    c = len(_re_dec_cyr.findall(text))
    lat = len(_re_dec_lat.findall(text))
    return int(math.floor((c - lat) / (c + lat + 2.0) * 2.0 + 0.5))


_KINDS: dict[str, str] = {}
#: Every character that appears in a confusables key, per reading script.
_KEY_CHARS = {"C": set("".join(TO_CYR)), "L": set("".join(TO_LAT))}


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
    ) -> None:
        self._score_fn = score_fn
        self.config = config or RepairConfig()
        self.normalize = normalize
        self._lm_cache: dict[str, float] = {}
        self._cache: dict[tuple[str, int], Decision] = {}
        self._fast_tables: dict[str, dict[str, tuple[str, float]]] = {}
        self._chunk_cache: dict[tuple[str, int], tuple[str, int, int, int, int]] = {}

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
        """Cached LM log10 score of ``word`` lower-cased."""
        key = word.lower()
        s = self._lm_cache.get(key)
        if s is None:
            s = self._lm_cache[key] = float(self._score_fn(key))
        return s

    def _prior(self, script: str, ctx: int, length: int = 1) -> float:
        """Context prior: +/- ctx_weight at full context strength for words of up to 2
        characters, falling off as 2/length for longer words (whose LM evidence is stronger)."""
        w = self.config.ctx_weight * ctx / 2.0 * min(1.0, 2.0 / max(length, 1))
        return w if script == "C" else -w

    def readings(self, word: str, script: str) -> list[tuple[str, float]]:
        """All-``script`` readings of ``word`` (``"C"`` or ``"L"``) with their substitution cost,
        cheapest first, at most ``config.max_readings``; empty if a character has no reading."""
        fast = self._fast(script)
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
        return self._readings_dp(word, script)

    def _fast(self, script: str) -> dict[str, tuple[str, float]]:
        """Characters with exactly one reading in ``script`` and no multi-character rule."""
        cached = self._fast_tables.get(script)
        if cached is None:
            table = TO_CYR if script == "C" else TO_LAT
            firsts = {k[0] for k in table if len(k) > 1}
            cost = self.config.class_cost
            cached = {
                k: (v[0][0], self.config.subst_cost + cost[v[0][1]])
                for k, v in table.items()
                if len(k) == 1 and len(v) == 1 and k not in firsts and not k.isdigit()
            }
            self._fast_tables[script] = cached
        return cached

    def _readings_dp(self, word: str, script: str) -> list[tuple[str, float]]:
        table = TO_CYR if script == "C" else TO_LAT
        keep = is_cyrillic if script == "C" else is_latin
        cost = self.config.class_cost
        sub = self.config.subst_cost
        cap = self.config.max_readings
        n = len(word)
        letters = [ch for ch in word if ch.isalpha()]
        upper = len(letters) >= 2 and all(ch.isupper() for ch in letters)
        states: list[list[tuple[str, float]]] = [[] for _ in range(n + 1)]
        states[0].append(("", 0.0))
        for i in range(n):
            here = states[i]
            if not here:
                continue
            if len(here) > cap:
                here.sort(key=lambda t: t[1])
                del here[cap:]
            ch = word[i]
            # a digit may stay a digit in a Latin reading (4gаmer -> 4gamer), never in Cyrillic
            opts = [(ch, 0.0)] if keep(ch) or (script == "L" and "0" <= ch <= "9") else []
            found = table.get(ch, ())
            if ch.isdigit():  # a digit takes the case of the word's letters (0 -> о or О)
                found = tuple(mc for mc in found if mc[0].isupper() == upper) or found
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
        return sorted(best.items(), key=lambda t: (t[1], t[0]))[:cap]

    # ------------------------------------------------------------------ deciding one word
    def decide(self, word: str, ctx: int = 0) -> Decision:
        """Decide one word form in a text context bucket (-2..2); cached."""
        key = (word, ctx)
        d = self._cache.get(key)
        if d is None:
            d = self._cache[key] = self._decide(word, ctx)[0]
        return d

    def _decide(
        self, word: str, ctx: int, explain: bool = False
    ) -> tuple[Decision, list[Candidate]]:
        cfg = self.config
        kinds = {_kind(ch) for ch in word}
        mixed = "C" in kinds and "L" in kinds
        if "O" in kinds:
            return Decision(word, self.lm(word), mixed=mixed, other=True), []
        if "C" not in kinds and "L" not in kinds:
            return Decision(word, cfg.number_score), []
        if "D" in kinds and "C" not in kinds and ctx < 1:
            # Latin letters with digits: brand and model tokens (iPhone15, A52, 4K) stay; in a
            # Cyrillic text they may still be disguised words (n0 = по), decided below.
            return Decision(word, cfg.number_score), []

        clean = not mixed and "D" not in kinds
        own = ("C" if "C" in kinds else "L") if clean else None
        if not clean and not mixed and "C" not in kinds:
            own = "L"  # Latin with digits in a Cyrillic context: only the Cyrillic reading
        raw: list[tuple[str, str, float, float]] = []  # (text, how, cost, prior)
        for script in ("C", "L"):
            if script == own:
                continue
            name = "cyrillic" if script == "C" else "latin"
            prior = self._prior(script, ctx, len(word))
            for text, cost in self.readings(word, script):
                if text != word:  # keeping every digit gives the word itself back
                    raw.append((text, name, cost, prior))
        split = self._split(word, ctx)
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
        elif len(word) >= 2 and word.isupper():
            margin = cfg.caps_margin
        else:
            margin = cfg.clean_margin
        if best is not base and best.score - base.score >= margin:
            return Decision(best.text, best.score, True, False, False), cands
        rival = next((c for c in cands if c is not base and c.text != base.text), None)
        amb = clean and rival is not None and rival.score - base.score > -cfg.ambiguity_margin
        return Decision(base.text, base.score, base.text != word, False, amb), cands

    def _score_text(self, text: str) -> float:
        """LM score of a reading; readings that kept digits are scored run by run."""
        return self._runs_score(text) if any("0" <= ch <= "9" for ch in text) else self.lm(text)

    def _runs_score(self, word: str) -> float:
        """Score of a token read run by run (digit runs as numbers, letter runs by the LM)."""
        total, prev_letter = 0.0, False
        for run in re.findall(r"[0-9]+|[^0-9 ]+", word):
            if run[0].isdigit():
                # digits right after letters (сел0, Со4и) are rarer than a number before a unit
                total += self.config.number_score - (1.0 if prev_letter else 0.0)
            else:
                total += self.lm(run)
            prev_letter = not run[0].isdigit()
        return total

    def _split(self, word: str, ctx: int) -> Candidate | None:
        """The glued-word reading: cut at script/digit boundaries between long enough runs."""
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
        for a, b in zip(runs, runs[1:], strict=False):
            la, lb = a[2] - a[1], b[2] - b[1]
            if a[0] == "D" or b[0] == "D":
                # only a number followed by a word (500мл); км2, Tele2, A52 stay whole
                ok = a[0] == "D" and lb >= 2
            else:
                case_change = word[a[2] - 1].islower() != word[b[1]].islower()
                ok = la >= 2 and lb >= 2 and (case_change or (la >= 4 and lb >= 4))
            if ok:
                cuts.append(a[2])
        if not cuts:
            return None
        bounds = [0, *cuts, len(word)]
        parts = [word[s:e] for s, e in zip(bounds, bounds[1:], strict=False)]
        cfg = self.config
        texts, total = [], -cfg.split_cost * (len(parts) - 1)
        for p in parts:
            d = self.decide(p, ctx)
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
        text = col.cast(pl.String)
        if normalize:
            text = normalize_column(text)
        # Normalised text has single spaces: its space-separated chunks are decided (once per
        # distinct chunk and context) only when they may hold a broken word.
        frame = pl.DataFrame({"text": text}).with_row_index("row")
        frame = frame.with_columns(context_bucket_expr(pl.col("text")).alias("ctx"))
        chunks = frame.select("row", "ctx", pl.col("text").str.split(" ").alias("chunk")).explode(
            "chunk"
        )
        todo = (
            chunks.filter(pl.col("chunk").str.contains(NEEDS_DECISION))
            .select("chunk", "ctx")
            .unique()
        )
        decided = [self.decide_chunk(c, x) for c, x in todo.iter_rows()]
        cols = ("out", "mixed", "repaired", "ambiguous", "broken")
        table = pl.DataFrame(
            {"chunk": todo["chunk"], "ctx": todo["ctx"]}
            | {name: [d[i] for d in decided] for i, name in enumerate(cols)},
            schema={"chunk": pl.String, "ctx": pl.Int8, "out": pl.String}
            | dict.fromkeys(cols[1:], pl.Int32),
        )
        agg = (
            chunks.join(table, on=["chunk", "ctx"], how="left", maintain_order="left")
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

    def decide_chunk(self, chunk: str, ctx: int) -> tuple[str, int, int, int, int]:
        """Decide every word of one space-free chunk: (output, mixed, repaired, ambiguous,
        broken) counts. Cached per (chunk, context)."""
        key = (chunk, ctx)
        hit = self._chunk_cache.get(key)
        if hit is not None:
            return hit
        out, mixed, rep, amb, broken = [], 0, 0, 0, 0
        for piece in _re_pieces.findall(chunk):
            if not piece[0].isalnum():
                out.append(piece)
                continue
            d = self.decide(piece, ctx)
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
        ctx = context_bucket(s)
        lines = []
        for w in re.findall(r"[^\W_]+", s):
            d, cands = self._decide(w, ctx, explain=True)
            if not (d.changed or d.ambiguous or d.mixed):
                continue
            flags = ",".join(n for n, v in (("mixed", d.mixed), ("ambiguous", d.ambiguous)) if v)
            lines.append(f"{w} -> {d.out}  [context {ctx:+d}{', ' + flags if flags else ''}]")
            for c in cands:
                mark = "*" if c.text == d.out else " "
                lines.append(
                    f"  {mark} {c.how:<10} {c.text:<24} score {c.score:7.2f} = lm {c.lm:7.2f}"
                    f" - cost {c.cost:.2f} + prior {c.prior:+.2f}"
                )
        return lines

    def cache_info(self) -> dict[str, int]:
        """Sizes of the per-run caches (distinct decisions and distinct LM queries)."""
        return {"decisions": len(self._cache), "lm_queries": len(self._lm_cache)}


def word_pieces(text: str) -> Iterable[str]:
    """Words (runs of letters/digits) and the separators between them, in order."""
    return _re_pieces.findall(text)
