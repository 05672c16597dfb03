"""Make the lmplz reference fixtures in tests/textclean/fixtures (see docs/lmplz_reference.md).

Writes two small deterministic corpora of made-up words (no outside data):

- ``char_corpus.txt``: one word per line as a character sentence (``textclean.lmtrain.
  char_sentence``), each word repeated by a Zipf-like count, shuffled: what lmplz trains on
  for the character models (orders 3 and 5).
- ``word_corpus.txt``: short "sentences" of the same words, for a word model (order 3).

With ``--lmplz PATH`` it also runs KenLM's lmplz on them and writes the reference ARPA files
(``char3.lmplz.arpa``, ``char5.lmplz.arpa``, ``word3.lmplz.arpa``).

    .venv/bin/python bench/lmplz_fixture.py --lmplz /tmp/k/kenlm-0.3.0/build/bin/lmplz
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

from textclean.lmtrain import char_sentence

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "textclean" / "fixtures"
ONSETS = ["к", "м", "л", "р", "с", "т", "п", "н", "д", "в", "б", "ш", "ч", "з", "г", "ст", "пр"]
VOWELS = ["а", "о", "е", "и", "у", "ы", "я"]
CODAS = ["", "", "", "к", "т", "н", "л", "й", "с"]
LATIN = ["air", "max", "pro", "usb", "xl", "nike", "phone", "a", "ok"]
#: (name, corpus file, order) of every reference model.
MODELS = [
    ("char3", "char_corpus.txt", 3),
    ("char5", "char_corpus.txt", 5),
    ("word3", "word_corpus.txt", 3),
]


def make_words(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct made-up words: Cyrillic syllables, a few Latin words, a few capitalised."""
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < n - len(LATIN):
        w = "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
            for _ in range(rng.randint(1, 3))
        )
        if rng.random() < 0.05:
            w = w.capitalize()
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words + LATIN


def write_corpora(seed: int = 7) -> None:
    rng = random.Random(seed)
    words = make_words(rng, 90)
    lines = []
    for rank, w in enumerate(words, start=1):
        lines += [char_sentence(w)] * max(1, int(40 / rank))
    rng.shuffle(lines)
    (FIXTURES / "char_corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    weights = [1.0 / r for r in range(1, len(words) + 1)]
    sentences = [" ".join(rng.choices(words, weights, k=rng.randint(1, 7))) for _ in range(300)]
    (FIXTURES / "word_corpus.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")


def run_lmplz(lmplz: str) -> None:
    for name, corpus, order in MODELS:
        out = FIXTURES / f"{name}.lmplz.arpa"
        with (FIXTURES / corpus).open("rb") as src, out.open("wb") as dst:
            subprocess.run(
                [lmplz, "-o", str(order), "-S", "10%", "-T", "/tmp", "--discount_fallback"],
                stdin=src,
                stdout=dst,
                check=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--lmplz", help="path of a built lmplz binary; omit to write corpora only")
    args = ap.parse_args()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    write_corpora(args.seed)
    if args.lmplz:
        run_lmplz(args.lmplz)


if __name__ == "__main__":
    main()
