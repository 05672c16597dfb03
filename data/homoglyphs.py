"""Homoglyph corruption of text, as spammers and careless sellers do it on real marketplaces.

A corrupted Russian word gets some of its Cyrillic letters replaced by look-alike Latin ones
("мoлoкo" with Latin o), a corrupted Latin word (a brand or model) gets Cyrillic look-alikes
("Sаmsung" with Cyrillic а), and a small share of corrupted words get a digit or "italic"
substitution instead (з -> 3, т -> m). Only words that have at least one replaceable letter are
*eligible*; each eligible word is corrupted with probability ``rate``, so the share of eligible words
that differ from the truth is ``rate`` in expectation - that is what the tests measure.
"""

from __future__ import annotations

import random
import re

#: Cyrillic letter -> Latin look-alike (lower and upper case).
CYR_TO_LAT: dict[str, str] = {
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "х": "x",
    "у": "y",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
}
#: Latin letter -> Cyrillic look-alike.
LAT_TO_CYR: dict[str, str] = {lat: cyr for cyr, lat in CYR_TO_LAT.items() if cyr not in "у"}
LAT_TO_CYR["y"] = "у"
#: Digit and italic-handwriting substitutions (rarer).
ODD_SUBSTITUTIONS: dict[str, str] = {
    "з": "3",
    "З": "3",
    "б": "6",
    "О": "0",
    "о": "0",
    "т": "m",
    "и": "u",
    "п": "n",
}

_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_LATIN = re.compile(r"[a-zA-Z]")
#: Words: runs of letters (Cyrillic or Latin) and digits; everything else is kept verbatim.
WORD_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


def _candidates(word: str) -> tuple[list[int], dict[str, str]]:
    """Positions that may be replaced and the map to use, by the word's script."""
    if _CYRILLIC.search(word):
        table = CYR_TO_LAT
    elif _LATIN.search(word):
        table = LAT_TO_CYR
    else:
        return [], {}
    return [i for i, ch in enumerate(word) if ch in table], table


def is_eligible(word: str) -> bool:
    """True when ``corrupt_word`` could change this word (it has a replaceable letter)."""
    return bool(_candidates(word)[0])


def corrupt_word(word: str, rng: random.Random, odd_share: float = 0.08) -> str:
    """Replace one or more letters of ``word`` with look-alikes; unchanged if none is replaceable."""
    positions, table = _candidates(word)
    if not positions:
        return word
    chars = list(word)
    if table is CYR_TO_LAT and rng.random() < odd_share:
        odd = [i for i, ch in enumerate(word) if ch in ODD_SUBSTITUTIONS]
        if odd:
            i = rng.choice(odd)
            chars[i] = ODD_SUBSTITUTIONS[chars[i]]
            return "".join(chars)
    chosen = [i for i in positions if rng.random() < 0.5] or [rng.choice(positions)]
    for i in chosen:
        chars[i] = table[chars[i]]
    return "".join(chars)


def corrupt_text(text: str, rate: float, rng: random.Random) -> str:
    """Corrupt each eligible word of ``text`` with probability ``rate``; HTML tags are left alone."""
    if rate <= 0 or not text:
        return text
    out: list[str] = []
    # Split off tags so that markup such as <p> and <li> is never corrupted.
    for k, part in enumerate(re.split(r"(<[^>]*>)", text)):
        if k % 2 == 1:
            out.append(part)
            continue

        def repl(m: re.Match[str]) -> str:
            word = m.group(0)
            if is_eligible(word) and rng.random() < rate:
                return corrupt_word(word, rng)
            return word

        out.append(WORD_RE.sub(repl, part))
    return "".join(out)
