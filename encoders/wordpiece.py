"""Token ids for BERT-style tokenizers, word pieces looked up once per distinct word.

The Rust ``tokenizers`` pipeline costs ~75 us of CPU per ~70-character text here, and most of it is
not the WordPiece lookup but normalising and splitting (with offset bookkeeping per character) and
building an ``Encoding`` object per text. For the tokenizers most Russian sentence encoders use
(``BertNormalizer`` + ``BertPreTokenizer`` + ``WordPiece`` + a ``[CLS] $A [SEP]`` template,
e.g. rubert-tiny2, LaBSE, BERTA) the normalising and splitting rules are short and exact, so this
module does them with Python's C string methods and one RE2 pass over the joined batch, sends each
DISTINCT word once to the tokenizer's own WordPiece model, and joins the pieces per text.

It is exact only where Python's string steps and the Rust ones agree, so a text takes this path
only if every character is safe: a character of ``_CANDIDATE_RANGES`` (Latin, Greek, Cyrillic,
punctuation, symbols, emoji) is safe when the tokenizer's own normaliser and pre-tokenizer, asked
one character at a time at load (``_char_classes``), give what Python's steps give; a capital sigma
never is (Python lowercases a final one to a final sigma, Rust never does). Texts with an unsafe
character or an added token (``[CLS]`` ...) in their raw or normalised text, and every tokenizer of
another shape, go through the tokenizer as before; ``FastWordPiece.from_tokenizer`` returns None
for those, and its result is checked against the tokenizer on a probe set at load.
"""

from __future__ import annotations

import functools
import gc
import logging
import re
import unicodedata
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

# Characters the fast path may see; each one is checked against the tokenizer itself at load.
_CANDIDATE_RANGES = (
    (0x0000, 0x052F),  # Latin, IPA, combining marks, Greek, Cyrillic (+ supplement)
    (0x2000, 0x2BFF),  # punctuation, currency, letterlike, arrows, maths, symbols, dingbats
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0x1F000, 0x1FAFF),  # emoji and pictographs
)
_PROBE = [
    "Смартфон Apple iPhone 13 128 ГБ синий, новый!",
    "ЁЛКА-палка: «цена» 1 500₽ (скидка 10%) — №5; e-mail a_b@c.d",
    "Ünïcödé Ça va? Ἀθῆναι ΑΘΗΝΑ\tтаб\nстрока\u00ad мягкий\u200bперенос",
    "слово " * 300,
    "[CLS] [mask] обычный текст ##x",
    "",
    "   ",
    "中文 текст 😀 ok",
    "ΟΔΟΣ Σ",
]


@functools.lru_cache(maxsize=8)
def _char_classes(backend_json: str) -> tuple[str, str, str, str]:
    """Characters the fast path reproduces exactly, and among them: removed, spaces, punctuation.

    Asked of the tokenizer itself, one character at a time: what its normaliser makes of it, and
    whether its pre-tokenizer drops the result (white space), isolates it (punctuation) or keeps it
    inside a word. A character is safe when Python's clean / strip / lowercase steps give the same
    string and Python's ``str.split`` agrees on white space. Lowercasing is character-wise in both
    except Python's final sigma, so a capital sigma is never safe; per-character agreement then
    means whole-text agreement.
    """
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(backend_json)
    norm, pre = backend.normalizer, backend.pre_tokenizer
    lowercase = norm.lowercase
    strip = norm.strip_accents if norm.strip_accents is not None else lowercase
    chars = [chr(c) for lo, hi in _CANDIDATE_RANGES for c in range(lo, hi + 1)]
    rust = {c: norm.normalize_str(c) for c in chars}
    removed = "".join(c for c in chars if rust[c] == "" and c != "\x00")
    space = "".join(c for c in chars if rust[c] == " " and c != " ")
    kind: dict[str, str] = {}
    for d in {d for r in rust.values() for d in r}:
        pieces = [p for p, _ in pre.pre_tokenize_str(f"a{d}a")]
        if pieces == ["a", "a"] and d.isspace():
            kind[d] = "space"
        elif pieces == ["a", d, "a"] and not d.isspace():
            kind[d] = "punct"
        elif pieces == [f"a{d}a"] and not d.isspace():
            kind[d] = "word"
    safe = []
    for c in chars:
        py = "" if c in removed else " " if c in space else c
        if strip:
            py = "".join(
                x for x in unicodedata.normalize("NFD", py) if unicodedata.category(x) != "Mn"
            )
        if lowercase:
            py = py.lower()
        if c != "\u03a3" and py == rust[c] and all(d in kind for d in py):
            safe.append(c)
    safe.append("\x00")  # the row separator (texts holding one are sent to the tokenizer)
    punct = "".join(d for d, k in kind.items() if k == "punct")
    return "".join(safe), removed, space, punct


def _runs(chars: str) -> list[tuple[int, int]]:
    """The distinct code points of ``chars`` as (first, last) runs of consecutive ones."""
    codes = sorted({ord(c) for c in chars})
    runs: list[tuple[int, int]] = []
    for c in codes:
        if runs and runs[-1][1] == c - 1:
            runs[-1] = (runs[-1][0], c)
        else:
            runs.append((c, c))
    return runs


def _class(chars: str) -> str:
    """A Python regex character-class body for ``chars`` (consecutive code points as ranges)."""
    esc = [(re.escape(chr(lo)), re.escape(chr(hi))) for lo, hi in _runs(chars)]
    return "".join(lo if lo == hi else f"{lo}-{hi}" for lo, hi in esc)


def _re2_class(chars: str) -> str:
    """An RE2 character-class body for ``chars`` (code-point escapes, consecutive ones as ranges)."""
    esc = [(f"\\x{{{lo:X}}}", f"\\x{{{hi:X}}}") for lo, hi in _runs(chars)]
    return "".join(lo if lo == hi else f"{lo}-{hi}" for lo, hi in esc)


def _rows_matching(pattern: re.Pattern[str], joined: str, sep: str = "\x00") -> set[int]:
    """Rows of ``sep``-joined ``joined`` in which ``pattern`` matches (match start decides)."""
    hits = [m.start() for m in pattern.finditer(joined)]
    if not hits:
        return set()
    seps = np.fromiter((m.start() for m in re.finditer(sep, joined)), dtype=np.int64)
    return set(np.searchsorted(seps, np.asarray(hits), side="right").tolist())


def _prefix_table(pieces: dict[str, int]) -> dict[str, int]:
    """Every prefix of every piece -> the piece id when the prefix is a piece, else -1."""
    table: dict[str, int] = {}
    for piece in pieces:
        for end in range(1, len(piece)):
            table.setdefault(piece[:end], -1)
    for piece, i in pieces.items():
        if piece:
            table[piece] = i
    return table


class FastWordPiece:
    """``encode(texts, max_length)`` equal to the tokenizer's ``input_ids`` (specials, truncation)."""

    def __init__(
        self,
        tokenizer: Any,
        lowercase: bool,
        strip_accents: bool,
        prefix: list[int],
        suffix: list[int],
        added: list[str],
    ) -> None:
        safe, removed, space, punct = _char_classes(tokenizer.backend_tokenizer.to_str())
        self._unsafe = re.compile(f"[^{_class(safe)}]")
        self._cleanable = re.compile(f"[{_class(removed + space)}]")
        self._clean = {c: "" for c in removed} | {c: " " for c in space}
        self._punct_re2 = f"[{_re2_class(punct + chr(0))}]"  # punctuation and the row separator
        self._marks = re.compile(
            "[" + _class("".join(c for c in safe if unicodedata.category(c) == "Mn")) + "]"
        )
        self._lowercase = lowercase
        self._strip_accents = strip_accents
        self._prefix = np.asarray(prefix, dtype=np.int64)
        self._suffix = np.asarray(suffix, dtype=np.int64)
        by_length = sorted({a.lower() for a in added}, key=len, reverse=True)
        self._added = re.compile("|".join(map(re.escape, by_length))) if by_length else None
        self._tokenizer = tokenizer
        model = tokenizer.backend_tokenizer.model
        vocab = tokenizer.backend_tokenizer.get_vocab(with_added_tokens=False)
        mark = model.continuing_subword_prefix
        self._first = _prefix_table(vocab)
        self._cont = _prefix_table(
            {k[len(mark) :]: v for k, v in vocab.items() if k.startswith(mark)}
        )
        self._unk = vocab[model.unk_token]
        self._max_chars = model.max_input_chars_per_word
        #: Texts this object sent to the tokenizer instead (outside the safe set, added tokens).
        self.fallback_texts = 0

    @classmethod
    def from_tokenizer(cls, tokenizer: Any) -> FastWordPiece | None:
        """The fast path for a transformers fast tokenizer of the BERT shape, else None."""
        from tokenizers import normalizers, pre_tokenizers
        from tokenizers.models import WordPiece

        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is None or getattr(tokenizer, "truncation_side", "right") != "right":
            return None
        norm = backend.normalizer
        model = backend.model
        if not (
            isinstance(norm, normalizers.BertNormalizer)
            and norm.clean_text
            and isinstance(backend.pre_tokenizer, pre_tokenizers.BertPreTokenizer)
            and isinstance(model, WordPiece)
            and model.unk_token in backend.get_vocab(with_added_tokens=False)
        ):
            return None
        strip = norm.strip_accents if norm.strip_accents is not None else norm.lowercase
        # The template's special tokens: what encoding one word adds before and after it.
        word = backend.encode("a", add_special_tokens=False).ids
        full = backend.encode("a").ids
        at = next((i for i in range(len(full)) if full[i : i + len(word)] == word), None)
        if at is None or len(full) - len(word) != backend.num_special_tokens_to_add(False):
            return None
        added = [t.content for t in backend.get_added_tokens_decoder().values() if t.content]
        fast = cls(tokenizer, norm.lowercase, bool(strip), full[:at], full[at + len(word) :], added)
        if not fast.check():
            log.warning(
                "fast WordPiece path disagrees with %s on the probe texts: not used",
                type(tokenizer).__name__,
            )
            return None
        return fast

    def check(self, texts: Sequence[str] = _PROBE, max_length: int = 64) -> bool:
        """Whether ``encode`` equals the tokenizer's input_ids on ``texts``."""
        got, _ = self.encode(texts, max_length)
        return [list(map(int, g)) for g in got] == [list(r) for r in self._slow(texts, max_length)]

    def _slow(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        return self._tokenizer(
            list(texts),
            add_special_tokens=True,
            truncation=True,
            max_length=max_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]

    def _pieces(self, words: Sequence[str]) -> list[list[int]]:
        """WordPiece of each word: greedy longest match, ``[UNK]`` if a position matches nothing.

        ``_first`` / ``_cont`` map every prefix of a vocabulary piece to the piece's id, or to -1
        when the prefix itself is no piece, so the scan at a position stops as soon as no piece can
        start with the characters read (the longest piece seen so far is the match). The word is
        looked up whole first: with a vocabulary of a real model's size most words are one piece,
        and that is one look-up instead of one per character (24,637 distinct words: 90 -> 70 ms
        with rubert-tiny2's vocabulary size, the same with the 748-piece demo one). (Sharing the
        pieces of common word endings between words was tried: slower.)
        """
        first, cont, unk, max_chars = self._first, self._cont, self._unk, self._max_chars
        out: list[list[int]] = []
        for word in words:
            n = len(word)
            if n > max_chars:
                out.append([unk])
                continue
            whole = first.get(word)
            if whole is not None and whole >= 0:  # the word is one piece: the longest match
                out.append([whole])
                continue
            pieces, start, table = [], 0, first
            while start < n:
                best, best_end, end = -1, start, start + 1
                while end <= n:
                    found = table.get(word[start:end])
                    if found is None:
                        break
                    if found >= 0:
                        best, best_end = found, end
                    end += 1
                if best < 0:
                    pieces = [unk]
                    break
                pieces.append(best)
                start, table = best_end, cont
            out.append(pieces)
        return out

    def encode(self, texts: Sequence[str], max_length: int) -> tuple[list[Any], np.ndarray]:
        """Token ids per text (with the special tokens, cut to ``max_length``) and their lengths.

        The texts are joined with NUL (which cleaning removes, so no text keeps one) and normalised,
        checked and split as one string; texts that cannot take the fast path are tokenised by the
        tokenizer itself. Rows are int64 arrays (lists for the tokenizer's rows).
        """
        room = max_length - len(self._prefix) - len(self._suffix)
        if room < 0:
            raise ValueError(f"max_length {max_length} leaves no room for the special tokens")
        # The piece lists are ~100k small objects: without this, a cyclic garbage collection of
        # everything else the process holds can land in the middle and double the time.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._encode(list(texts), max_length, room)
        finally:
            if enabled:
                gc.enable()

    def _encode(self, texts: list[str], max_length: int, room: int) -> tuple[list[Any], np.ndarray]:
        n = len(texts)
        if n == 0:
            return [], np.zeros(0, dtype=np.int64)
        joined = "\x00".join(texts)
        slow: set[int] = set()
        if joined.count("\x00") != n - 1:
            slow = {i for i, t in enumerate(texts) if "\x00" in t}
            joined = "\x00".join("" if i in slow else t for i, t in enumerate(texts))
        slow |= _rows_matching(self._unsafe, joined)
        if self._added is not None:
            slow |= _rows_matching(self._added, joined.lower())
        if self._cleanable.search(joined):
            joined = self._cleanable.sub(lambda m: self._clean[m.group()], joined)
        if self._strip_accents:
            joined = self._marks.sub("", unicodedata.normalize("NFD", joined))
        if self._lowercase:
            joined = joined.lower()
        if self._added is not None:
            slow |= _rows_matching(self._added, joined.lower())
        # Punctuation becomes its own word, and so does each NUL row separator (RE2 over the whole
        # batch at once); then one split, and Arrow's dictionary gives each distinct word a code.
        spaced = pc.replace_substring_regex(pa.array([joined]), self._punct_re2, " \\0 ")
        words = pa.array(spaced[0].as_py().split(), pa.string()).dictionary_encode()
        codes = words.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        distinct = words.dictionary.to_pylist()
        is_sep = codes == (distinct.index("\x00") if "\x00" in distinct else -1)
        row_of = np.cumsum(is_sep)[~is_sep]
        word_idx = codes[~is_sep]
        if slow:
            keep = ~np.isin(row_of, np.fromiter(slow, dtype=np.int64, count=len(slow)))
            row_of, word_idx = row_of[keep], word_idx[keep]

        # Pieces of each distinct word, then every text's ids by gathers over flat arrays.
        pieces = self._pieces(distinct)
        piece_len = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        flat = np.fromiter(chain.from_iterable(pieces), dtype=np.int64, count=int(piece_len.sum()))
        occ_len = piece_len[word_idx]
        occ_src = (np.cumsum(piece_len) - piece_len)[word_idx]
        body = flat[
            np.repeat(occ_src - (np.cumsum(occ_len) - occ_len), occ_len)
            + np.arange(int(occ_len.sum()))
        ]
        body_len = np.bincount(row_of, weights=occ_len, minlength=n).astype(np.int64)
        pos = np.arange(len(body)) - np.repeat(np.cumsum(body_len) - body_len, body_len)
        body = body[pos < room]
        kept = np.minimum(body_len, room)
        p, s = len(self._prefix), len(self._suffix)
        lengths = kept + p + s
        out = np.empty(int(lengths.sum()), dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        out[(starts[:, None] + np.arange(p)).ravel()] = np.tile(self._prefix, n)
        out[(starts + p + kept)[:, None] + np.arange(s)] = self._suffix
        out[np.repeat(starts + p - (np.cumsum(kept) - kept), kept) + np.arange(len(body))] = body
        ids: list[Any] = np.split(out, np.cumsum(lengths)[:-1])
        if slow:
            order = sorted(slow)
            self.fallback_texts += len(order)
            for i, row in zip(
                order, self._slow([texts[i] for i in order], max_length), strict=True
            ):
                ids[i] = list(row)
                lengths[i] = len(row)
        return ids, lengths
