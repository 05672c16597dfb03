"""Per-field index builds (text.py, wordkernels.py) against plain Python references."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from featurestore.features.text import FieldIndex, _code_points, token_forms

# whitespace for str.split(): ASCII, the \x1c-\x1f separators (Python only), NEL, NBSP, Unicode
SPACES = [" ", " ", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"]
SPACES_WIDE = [*SPACES, "\x85", "\xa0", "\u2003", "\u3000"]
TOKENS = ["a", "ab", "abc", "b", "z", "Z", "é", "ё", "я", "яб", "ж", "12", "1", "0,5", "x\x00", "-"]
TOKENS_ASTRAL = [*TOKENS, "😀", "a😀", "𝔘", "z𝔘z"]


def _python_forms(t: str) -> tuple[str, str]:
    tokens = sorted(t.split())
    return " ".join(tokens), " ".join(dict.fromkeys(tokens))


def _texts(rng: random.Random, n: int, tokens: list[str], spaces: list[str]) -> list[str]:
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            out.append("")
        elif kind < 0.1:
            out.append("".join(rng.choice(spaces) for _ in range(rng.randint(1, 4))))
        else:
            k = rng.choice([1, 2, 3, 20, 60])  # past the 16-token insertion-sort runs too
            parts = [rng.choice(spaces) * rng.randint(0, 1)]
            for _ in range(k):
                parts.append(rng.choice(tokens))
                parts.append("".join(rng.choice(spaces) for _ in range(rng.randint(1, 3))))
            out.append("".join(parts[: len(parts) - rng.randint(0, 1)]))
    return out


def _check_forms(texts: list[str], codes: np.ndarray, starts: np.ndarray) -> None:
    sorted_tokens, token_set = token_forms(codes, starts)
    assert sorted_tokens.dtype == object and len(sorted_tokens) == len(texts)
    for t, st, ts in zip(texts, sorted_tokens.tolist(), token_set.tolist(), strict=True):
        assert (st, ts) == _python_forms(t), repr(t)


@pytest.mark.parametrize(
    ("tokens", "spaces", "dtype"),
    [
        (TOKENS, SPACES_WIDE, np.uint16),
        (TOKENS_ASTRAL, SPACES_WIDE, np.uint32),
    ],
)
def test_token_forms_equal_python_split_sort_join(tokens, spaces, dtype):
    texts = _texts(random.Random(3), 400, tokens, spaces)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    codes, starts = _code_points(pl.Series(texts), lengths)
    assert codes.dtype == dtype
    _check_forms(texts, codes, starts)


def test_token_forms_on_latin1_codes():
    texts = _texts(random.Random(5), 300, ["a", "ab", "é", "ÿ", "z", "\x00", "ß"], SPACES)
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    codes = np.frombuffer("".join(texts).encode("latin-1"), dtype=np.uint8)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    _check_forms(texts, codes, starts)


def test_token_forms_empty_corpus():
    sorted_tokens, token_set = token_forms(np.zeros(0, np.uint16), np.zeros(1, np.int64))
    assert len(sorted_tokens) == 0 and len(token_set) == 0


@pytest.mark.parametrize(
    ("spaces", "recoded"), [(SPACES[:8], True), (SPACES, False), (SPACES_WIDE, False)]
)
def test_fuzz_token_forms_on_field_index(spaces, recoded):
    """Through FieldIndex: the re-coded (Latin-1) path when the corpus allows it, else not."""
    texts = _texts(random.Random(11), 300, TOKENS, spaces)
    ix = FieldIndex(pl.Series(texts))
    fz = ix.fuzz_texts
    # \x1c-\x1f and U+2003 / U+3000 are whitespace rapidfuzz's byte path cannot keep
    assert fz.recoded == recoded
    for plain, st, ts in zip(
        fz.plain.tolist(), fz.sorted_tokens.tolist(), fz.token_set.tolist(), strict=True
    ):
        assert (st, ts) == _python_forms(plain)
