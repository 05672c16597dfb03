"""Time textclean.lmtrain against KenLM's lmplz on the reference data in ../shared/data.

    .venv/bin/python bench/lmtrain.py [--words 50000] [--text-words 1000000] \
        [--lmplz /tmp/k/kenlm-0.3.0/build/bin/lmplz]

Char models: the first ``--words`` entries of ru_50k_clean.txt (``word count``), orders 5 and 6.
Word models (orders 3 and 5): the UD sentence files, then sentences of words drawn from the ru_50k
frequency list until ``--text-words`` words. With ``--lmplz``
the same inputs go through lmplz (``-S 20%``) in the same run, and the ARPA files are compared.
Prints seconds per step and peak RSS of this process.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from textclean.lmtrain import char_sentence, estimate, read_corpus, write_arpa

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def timed(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<44} {time.perf_counter() - t0:8.2f} s")
    return result


def lmplz(binary: str, corpus: Path, order: int, out: Path) -> None:
    with corpus.open("rb") as src, out.open("wb") as dst:
        subprocess.run(
            [
                binary,
                "-o",
                str(order),
                "-S",
                "20%",
                "-T",
                tempfile.gettempdir(),
                "--discount_fallback",
            ],
            stdin=src,
            stdout=dst,
            stderr=subprocess.DEVNULL,
            check=True,
        )


def max_abs_diff(a: Path, b: Path) -> float:
    """Largest difference of any log10 prob or backoff; inf when the n-gram sets differ."""

    def read(p: Path) -> dict[str, tuple[float, float]]:
        out = {}
        for line in p.read_text(encoding="utf-8").split("\n"):
            parts = line.split("\t")
            if len(parts) >= 2:
                out[parts[1]] = (float(parts[0]), float(parts[2]) if len(parts) > 2 else 0.0)
        return out

    x, y = read(a), read(b)
    if set(x) != set(y):
        return float("inf")
    return max(max(abs(x[k][0] - y[k][0]), abs(x[k][1] - y[k][1])) for k in x)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--words", type=int, default=50_000, help="word-list entries for char models")
    ap.add_argument("--text-words", type=int, default=1_000_000, help="words of text, word model")
    ap.add_argument("--lmplz", help="lmplz binary to compare against")
    ap.add_argument("--keep", action="store_true", help="keep the ARPA files (removed by default)")
    args = ap.parse_args()
    if args.keep:
        tmp = Path(tempfile.mkdtemp(prefix="bench_lmtrain_"))
    else:
        tmp_dir = tempfile.TemporaryDirectory(prefix="bench_lmtrain_")  # removed at exit
        tmp = Path(tmp_dir.name)

    pairs = list(read_corpus([DATA / "wordfreq" / "ru_50k_clean.txt"]))[: args.words]
    char_lines = tmp / "char.txt"
    if args.lmplz:  # lmplz reads text: each word repeated by its count would be huge, so dedupe
        char_lines.write_text("".join(f"{char_sentence(w)}\n" for w, _ in pairs), encoding="utf-8")
    print(f"char model input: {len(pairs)} words")
    for order in (5, 6):
        ours = tmp / f"char{order}.arpa"
        model = timed(
            f"lmtrain char order {order} (weighted) estimate",
            lambda o=order: estimate(((char_sentence(w), c) for w, c in pairs), o),
        )
        timed(f"lmtrain char order {order} write ARPA", lambda m=model, p=ours: write_arpa(m, p))
        print(f"  n-grams per order: {model.stats.ngram_counts}")
        if args.lmplz:
            ours1 = tmp / f"char{order}.once.arpa"
            timed(
                f"lmtrain char order {order} (count 1) total",
                lambda o=order, p=ours1: write_arpa(
                    estimate(((char_sentence(w), 1) for w, _ in pairs), o), p
                ),
            )
            ref = tmp / f"char{order}.lmplz.arpa"
            timed(
                f"lmplz   char order {order} (count 1) total",
                lambda o=order, r=ref: lmplz(args.lmplz, char_lines, o, r),
            )
            print(f"  max |diff| vs lmplz: {max_abs_diff(ours1, ref):.2e}")

    # Word model: the UD sentences (real text, ~100k words) then sentences of words drawn from
    # the ru_50k frequency list (Zipf-like, all distinct) up to --text-words words.
    text_lines = []
    for name in ("ru_gsd.txt", "ru_taiga.txt", "en_ewt.txt"):
        lines = (DATA / "sentences" / name).read_text(encoding="utf-8").splitlines()
        # lmplz splits tokens on ASCII space/tab only; lmtrain (like kenlm.Model.score) also on
        # VT/FF, and keeps U+00A0 inside tokens like both. Use plain spaces so both agree.
        text_lines += [" ".join(line.split()) for line in lines]
    n_words = sum(len(line.split()) for line in text_lines)
    rng = np.random.default_rng(0)
    vocab = np.array([w for w, _ in pairs], dtype=object)
    prob = np.array([c for _, c in pairs], dtype=np.float64)
    drawn = rng.choice(vocab, size=max(0, args.text_words - n_words), p=prob / prob.sum())
    cuts = np.cumsum(rng.integers(3, 20, size=len(drawn) // 3 + 1))
    cuts = np.r_[0, cuts[cuts < len(drawn)], len(drawn)]
    text_lines += [" ".join(drawn[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    n_words = sum(len(line.split()) for line in text_lines)
    text = tmp / "text.txt"
    text.write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    print(f"word model input: {len(text_lines)} lines, {n_words} words")
    for order in (3, 5):
        ours = tmp / f"word{order}.arpa"
        model = timed(
            f"lmtrain word order {order} estimate",
            lambda o=order: estimate(((line, 1) for line in text_lines), o),
        )
        timed(f"lmtrain word order {order} write ARPA", lambda m=model, p=ours: write_arpa(m, p))
        print(f"  n-grams per order: {model.stats.ngram_counts}")
        if args.lmplz:
            ref = tmp / f"word{order}.lmplz.arpa"
            timed(
                f"lmplz   word order {order} total",
                lambda o=order, r=ref: lmplz(args.lmplz, text, o, r),
            )
            print(f"  max |diff| vs lmplz: {max_abs_diff(ours, ref):.2e}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS of this process: {rss:.0f} MiB" + (f"   (files in {tmp})" if args.keep else "")
    )


if __name__ == "__main__":
    main()
