"""Shared fixtures: a toy word scorer and a small char KenLM trained by textclean.lmtrain."""

from __future__ import annotations

import math

import pytest

RU = (
    "молоко свежее для дома товар товары и в на с о у а к по за от до мыло сыр быть было "
    "привет мир здравствуйте друзья средство мытья посуды продаю телефон новый хороший "
    "отличном состоянии кроссовки мужские вода литр сок сока сор мусор лимон цена купить "
    "скидка размер упаковка подарок ребенка праздник лучший самый это как что он она мы "
    "готовый обед ужин"
)
EN = (
    "the a and of to in for with new phone good fresh coffee cop was here quick brown fox "
    "jumps over lazy dog universal ultra sale size chart order please check pc xl air max "
    "nike top best price shop"
)


def word_counts() -> list[tuple[str, int]]:
    """Zipf-like counts for the test vocabulary (earlier words more frequent)."""
    out = []
    for words in (RU.split(), EN.split()):
        out += [(w, int(1000 / (i + 1)) + 1) for i, w in enumerate(words)]
    return out


def toy_score(word: str) -> float:
    """Known words score by frequency; unknown strings score low, longer lower."""
    counts = dict(word_counts())
    if word in counts:
        return math.log10(counts[word] / 20000) - 0.3 * len(word)
    return -3.0 - 0.9 * len(word)


@pytest.fixture(scope="session")
def char_lm(tmp_path_factory):
    """Path of a 5-gram char ARPA trained with textclean.lmtrain on the test vocabulary."""
    lmtrain = pytest.importorskip("textclean.lmtrain")
    path = tmp_path_factory.mktemp("lm") / "char.arpa"
    lmtrain.train_char_lm(word_counts(), path, order=5)
    return path


@pytest.fixture()
def toy():
    """A repairer scored by ``toy_score`` (no LM file needed)."""
    from textclean import HomoglyphRepairer

    return HomoglyphRepairer(toy_score)
