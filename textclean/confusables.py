"""Cyrillic/Latin look-alike tables used to build a word's candidate readings.

Each entry maps what is written to what it may stand for, tagged with a substitution class:

- ``tr39``: the Unicode TR39 (confusables.txt) Cyrillic/Latin pairs, case-aware: Russian ``В Н К М
  Т`` look like Latin only as capitals, so ``B``->``В`` is here but ``b``->``в`` is not;
- ``italic``: look-alikes seen in real text beyond TR39 - lowercase Latin letters standing for the
  italic or handwritten forms of Cyrillic letters (``m``->``т``, ``n``->``п``, ``u``->``и``,
  ``r``->``г``, ``h``->``н``, ``b``->``в``/``ь``, ``k``->``к``, ``g``->``д``);
- ``digit``: digits standing for letters (``0``->``о``, ``3``->``з``, ``6``->``б``, ``4``->``ч``);
- ``multi``: several characters standing for one letter (``ы`` written ``ьi``, ``bl``, ``bI``).

``TO_CYR`` reads a word as Russian Cyrillic, ``TO_LAT`` as Latin. The Latin reading uses the TR39
pairs (including non-Russian Cyrillic letters such as ``і ј ѕ һ`` that are used to disguise Latin
text) plus ``0``->``o``; the italic forms only exist in the Cyrillic direction.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

# (written, meant, class)
_CYR_PAIRS_TR39 = [
    # lowercase Russian letters with a Latin twin
    ("a", "а"), ("c", "с"), ("e", "е"), ("o", "о"), ("p", "р"), ("x", "х"), ("y", "у"),
    ("ë", "ё"),
    # capitals
    ("A", "А"), ("B", "В"), ("C", "С"), ("E", "Е"), ("H", "Н"), ("K", "К"), ("M", "М"),
    ("O", "О"), ("P", "Р"), ("T", "Т"), ("X", "Х"), ("Y", "У"), ("Ë", "Ё"),
]  # fmt: skip
_CYR_PAIRS_ITALIC = [
    ("m", "т"), ("n", "п"), ("u", "и"), ("r", "г"), ("h", "н"), ("b", "в"), ("b", "ь"),
    ("k", "к"), ("g", "д"),
]  # fmt: skip
_CYR_PAIRS_DIGIT = [("0", "о"), ("0", "О"), ("3", "з"), ("3", "З"), ("6", "б"), ("4", "ч")]
_CYR_PAIRS_MULTI = [
    ("ьi", "ы"), ("bl", "ы"), ("bi", "ы"), ("bI", "ы"), ("ьI", "ы"), ("ЬI", "Ы"), ("Ьl", "Ы"),
    ("ЬI", "Ы"), ("Ьi", "ы"), ("ЪI", "Ы"),
]  # fmt: skip

# Cyrillic letters (Russian and others) that TR39 lists as confusable with Latin letters.
_LAT_PAIRS_TR39 = [
    ("а", "a"), ("с", "c"), ("е", "e"), ("о", "o"), ("р", "p"), ("х", "x"), ("у", "y"),
    ("ё", "ë"), ("і", "i"), ("ј", "j"), ("ѕ", "s"), ("ԁ", "d"), ("һ", "h"), ("ԛ", "q"),
    ("ԝ", "w"), ("ӏ", "l"), ("ү", "y"),
    ("А", "A"), ("В", "B"), ("С", "C"), ("Е", "E"), ("Н", "H"), ("К", "K"), ("М", "M"),
    ("О", "O"), ("Р", "P"), ("Т", "T"), ("Х", "X"), ("У", "Y"), ("Ё", "Ë"), ("І", "I"),
    ("Ј", "J"), ("Ѕ", "S"), ("Ԛ", "Q"), ("Ԝ", "W"), ("Ү", "Y"), ("Һ", "H"),
]  # fmt: skip
_LAT_PAIRS_ITALIC = [("к", "k")]
_LAT_PAIRS_DIGIT = [("0", "o"), ("0", "O")]

CLASSES = ("tr39", "italic", "digit", "multi")


def _table(
    groups: list[tuple[str, list[tuple[str, str]]]],
) -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cls, pairs in groups:
        for written, meant in pairs:
            if (meant, cls) not in out[written]:
                out[written].append((meant, cls))
    return {k: tuple(v) for k, v in out.items()}


_STRESS_MARKS = "\u0301\u0300"  # combining acute and grave: Russian stress marks


def _accented(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Latin letters with diacritics whose base letter is in ``pairs``: ``ó`` -> ``о`` + U+0301.

    NFC composes a Latin look-alike followed by a combining mark (a Russian stress mark after a
    disguised ``o``) into one precomposed Latin letter (``ó``), which would hide the disguise;
    reading it back as the Cyrillic base plus the same mark undoes that. Only the stress marks
    (acute, grave) are read this way: other diacritics are real Latin letters."""
    base = dict(pairs)
    out = []
    for cp in range(0x00C0, 0x0250):
        ch = chr(cp)
        d = unicodedata.normalize("NFD", ch)
        if len(d) == 2 and d[0] in base and d[1] in _STRESS_MARKS:
            out.append((ch, unicodedata.normalize("NFC", base[d[0]] + d[1:])))
    return out


#: written -> ((meant, class), ...) for the Cyrillic reading.
TO_CYR = _table(
    [
        ("tr39", _CYR_PAIRS_TR39 + _accented(_CYR_PAIRS_TR39)),
        ("italic", _CYR_PAIRS_ITALIC + _accented(_CYR_PAIRS_ITALIC)),
        ("digit", _CYR_PAIRS_DIGIT),
        ("multi", _CYR_PAIRS_MULTI),
    ]
)
#: written -> ((meant, class), ...) for the Latin reading.
TO_LAT = _table(
    [("tr39", _LAT_PAIRS_TR39), ("italic", _LAT_PAIRS_ITALIC), ("digit", _LAT_PAIRS_DIGIT)]
)


def is_cyrillic(ch: str) -> bool:
    """True for letters of the Cyrillic blocks (U+0400..U+052F)."""
    return "\u0400" <= ch <= "\u052f"


def is_latin(ch: str) -> bool:
    """True for ASCII letters and letters of Latin-1 Supplement / Latin Extended-A and -B."""
    if ch < "\u0080":
        return ("a" <= ch <= "z") or ("A" <= ch <= "Z")
    return "\u00c0" <= ch <= "\u024f" and ch not in "\u00d7\u00f7"


def _chars(pred) -> str:
    return "".join(chr(c) for c in range(0x0000, 0x0530) if pred(chr(c)) and chr(c).isalpha())


#: Letters whose script is certain (no look-alike in the other alphabet): they set the context.
DECISIVE_CYR = "".join(c for c in _chars(is_cyrillic) if c not in TO_LAT)
DECISIVE_LAT = "".join(c for c in _chars(is_latin) if c not in TO_CYR)

#: Regex character classes (valid in Python ``re`` and in polars/Rust regex).
CYR_CLASS = "[\u0400-\u052f]"
LAT_CLASS = "[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"
