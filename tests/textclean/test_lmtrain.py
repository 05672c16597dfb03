"""textclean.lmtrain against KenLM's own trainer (lmplz) and the laws of probability.

The reference ARPA files in ``fixtures/`` were written by lmplz (kenlm 0.3.0) from the corpora next
to them; docs/lmplz_reference.md says how. Every n-gram, log10 probability and backoff must match.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

import kenlm
import numpy as np
import pytest

from textclean import lmtrain
from textclean.lmtrain import (
    BadDiscountError,
    char_sentence,
    estimate,
    read_corpus,
    split_tokens,
    train_arpa,
    train_char_lm,
    train_word_lm,
)

FIXTURES = Path(__file__).parent / "fixtures"
# (reference name, corpus, order): see bench/lmplz_fixture.py
REFERENCES = [
    ("char3", "char_corpus.txt", 3),
    ("char5", "char_corpus.txt", 5),
    ("word3", "word_corpus.txt", 3),
]
TOL = 1e-4


def read_arpa(path: Path) -> dict[tuple[str, ...], tuple[float, float]]:
    """All n-grams of an ARPA file -> (log10 prob, log10 backoff; 0 when absent)."""
    grams: dict[tuple[str, ...], tuple[float, float]] = {}
    header: dict[int, int] = {}
    section = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith("ngram "):
            n, count = line[6:].split("=")
            header[int(n)] = int(count)
        elif line.startswith("\\") and line.endswith("-grams:"):
            section = int(line[1:].split("-")[0])
        elif line.startswith("\\"):
            continue
        elif section:
            parts = line.split("\t")
            words = tuple(parts[1].split(" "))
            assert len(words) == section, line
            grams[words] = (float(parts[0]), float(parts[2]) if len(parts) > 2 else 0.0)
    for n, count in header.items():
        assert sum(1 for g in grams if len(g) == n) == count, f"{path}: header count of {n}-grams"
    return grams


def corpus_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module", params=REFERENCES, ids=[r[0] for r in REFERENCES])
def trained(request, tmp_path_factory):
    """(our ARPA, lmplz's ARPA, corpus lines) for one reference model."""
    name, corpus, order = request.param
    reference = FIXTURES / f"{name}.lmplz.arpa"
    assert reference.is_file(), f"missing fixture {reference}: run bench/lmplz_fixture.py"
    lines = corpus_lines(corpus)
    ours = train_word_lm(lines, tmp_path_factory.mktemp(name) / f"{name}.arpa", order=order)
    return ours, reference, lines


# ----------------------------------------------------------------------------- against lmplz


def test_same_ngrams_probs_and_backoffs_as_lmplz(trained):
    ours, reference, _ = trained
    got, want = read_arpa(ours), read_arpa(reference)
    assert set(got) == set(want)
    prob_err = max(abs(got[g][0] - want[g][0]) for g in want)
    backoff_err = max(abs(got[g][1] - want[g][1]) for g in want)
    assert prob_err < TOL
    assert backoff_err < TOL


def test_kenlm_scores_match_lmplz_model(trained):
    ours, reference, lines = trained
    m_ours, m_ref = kenlm.Model(str(ours)), kenlm.Model(str(reference))
    vocab = sorted({t for line in lines for t in line.split()})
    rng = np.random.default_rng(0)
    unseen = [" ".join(rng.choice(vocab, size=int(rng.integers(1, 8)))) for _ in range(50)]
    unseen += ["q", "к z о т", ""]  # out-of-vocabulary tokens and the empty sentence
    for sentence in sorted(set(lines))[:200] + unseen:
        for bos, eos in ((True, True), (False, False), (True, False)):
            assert m_ours.score(sentence, bos=bos, eos=eos) == pytest.approx(
                m_ref.score(sentence, bos=bos, eos=eos), abs=TOL
            ), sentence


def test_weighted_word_counts_equal_repeated_lines(tmp_path):
    """train_char_lm on (word, count) pairs == lmplz on the corpus with each word repeated."""
    words = Counter(line.replace(" ", "") for line in corpus_lines("char_corpus.txt"))
    # first-appearance order, like the lines lmplz read (it decides one lmplz quirk)
    ours = train_char_lm(list(words.items()), tmp_path / "c5.arpa", order=5)
    got, want = read_arpa(ours), read_arpa(FIXTURES / "char5.lmplz.arpa")
    assert set(got) == set(want)
    assert max(abs(got[g][0] - want[g][0]) + abs(got[g][1] - want[g][1]) for g in want) < TOL


# ----------------------------------------------------------------------------- probability laws


def _context_state(model: kenlm.Model, context: list[str]) -> kenlm.State:
    state = kenlm.State()
    if context and context[0] == "<s>":
        model.BeginSentenceWrite(state)
        context = context[1:]
    else:
        model.NullContextWrite(state)
    for word in context:
        out = kenlm.State()
        model.BaseScore(state, word, out)
        state = out
    return state


@pytest.mark.parametrize("order", [2, 3, 5])
def test_every_context_distribution_sums_to_one(tmp_path, order):
    lines = corpus_lines("char_corpus.txt")
    path = train_word_lm(lines, tmp_path / "m.arpa", order=order)
    model = kenlm.Model(str(path))
    grams = read_arpa(path)
    vocab = [g[0] for g in grams if len(g) == 1 and g[0] != "<s>"]
    contexts = [[]] + [list(g[:-1]) for g in grams if len(g) >= 2]
    rng = np.random.default_rng(1)
    picked = [contexts[0]] + [contexts[i] for i in rng.choice(len(contexts), 40, replace=False)]
    for context in picked:
        state = _context_state(model, context)
        total = sum(10 ** model.BaseScore(state, w, kenlm.State()) for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-4), context


def test_lmplz_conventions_for_special_tokens(tmp_path):
    grams = read_arpa(train_word_lm(["a b", "b c", "a"], tmp_path / "m.arpa", order=2))
    assert grams[("<s>",)][0] == 0.0  # <s> is only a context: probability 1
    assert grams[("</s>",)][1] == 0.0 and grams[("<unk>",)][1] == 0.0  # never contexts
    assert grams[("<unk>",)][0] < -0.5  # <unk> gets only the uniform share


# ----------------------------------------------------------------------------- API details


def test_char_sentence():
    assert char_sentence("кот") == "к о т"
    assert char_sentence("Wi-Fi") == "W i - F i"
    assert char_sentence("") == ""
    # token separators and NUL -> SPACE_SYMBOL; other characters (U+00A0 too) are tokens
    assert char_sentence("a b\tc\x0bd\x00e") == "a ▁ b ▁ c ▁ d ▁ e"
    assert char_sentence("a\u00a0b") == "a \u00a0 b"


def test_tokens_are_what_kenlm_score_sees(tmp_path):
    """Training splits tokens like kenlm.Model.score does (ASCII separators only)."""
    assert split_tokens(" a\tb\x0bc\x0cd\r\n") == ["a", "b", "c", "d"]
    assert split_tokens("a\u00a0b \x1c") == ["a\u00a0b", "\x1c"]
    assert split_tokens(" \t ") == []
    words = [("к\u00a0т", 5), ("кот", 3), ("к т", 1)]
    model = kenlm.Model(str(train_char_lm(words, tmp_path / "m.arpa", order=3)))
    vocab = read_arpa(tmp_path / "m.arpa")
    assert ("\u00a0",) in vocab and ("▁",) in vocab
    for word, _ in words:
        sentence = char_sentence(word)
        assert len(sentence.encode().split()) == len(word)  # one kenlm token per character
        # no character is out of vocabulary: scoring uses the trained n-grams
        full = list(model.full_scores(sentence))
        assert all(not oov for _, _, oov in full)


def test_input_whitespace_duplicates_and_special_tokens_are_normalised(tmp_path):
    a = estimate([("a  b", 2), ("a b", 1), ("c <unk> d", 1), ("", 4)], order=3)
    b = estimate([("a b", 3), ("c d", 1)], order=3)
    assert a.vocab == b.vocab
    for i in range(3):
        np.testing.assert_array_equal(a.words[i], b.words[i])
        np.testing.assert_allclose(a.logprob[i], b.logprob[i])
    assert a.stats.skipped_special == 1 and a.stats.skipped_empty == 4
    assert a.stats.sentences == 4 and a.stats.tokens == 8


def _closed_form(counts: Counter) -> tuple[float, float, float]:
    n = Counter(counts.values())
    y = n[1] / (n[1] + 2 * n[2])
    return tuple(k - (k + 1) * y * n[k + 1] / n[k] for k in (1, 2, 3))


def test_discounts_follow_the_closed_form_and_lmplz_quirk():
    """Discounts from hand-made counts: raw trigrams, continuation counts below.

    lmplz quirk (see ``_discount_counts``): the suffixes of the last trigram in suffix order,
    word ids by first appearance, enter the statistics with their raw count.
    """
    lines = corpus_lines("word_corpus.txt")
    model = estimate(((line, 1) for line in lines), order=3)
    padded = [["<s>", *line.split(), "</s>"] for line in lines]
    trigrams = Counter(tuple(p[i : i + 3]) for p in padded for i in range(len(p) - 2))
    bigrams = Counter(tuple(p[i : i + 2]) for p in padded for i in range(len(p) - 1))
    unigrams = Counter(w for p in padded for w in p[1:])
    left_words = Counter(b[1] for b in bigrams)
    left_pairs = Counter(t[1:] for t in trigrams)
    bigram_stats = {b: (c if b[0] == "<s>" else left_pairs[b]) for b, c in bigrams.items()}

    ids = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for p in padded:
        for w in p[1:-1]:
            ids.setdefault(w, len(ids))
    last_word = max(ids, key=ids.get)
    left_of_last = max((b[0] for b in bigrams if b[1] == last_word), key=ids.get)
    left_words[last_word] = unigrams[last_word]
    bigram_stats[(left_of_last, last_word)] = bigrams[(left_of_last, last_word)]

    assert model.stats.fallback_orders == []
    assert model.stats.discounts[2] == pytest.approx(_closed_form(trigrams))
    assert model.stats.discounts[1] == pytest.approx(_closed_form(bigram_stats))
    assert model.stats.discounts[0] == pytest.approx(_closed_form(left_words))
    # lmplz's own figures for this corpus (stderr of the fixture run)
    assert model.stats.discounts[0] == pytest.approx((0.210526, 1.45263, 2.67611), abs=1e-5)


def test_strict_discounts_raise_on_tiny_data(tmp_path):
    with pytest.raises(BadDiscountError, match="discount"):
        train_arpa([("a b", 1)], 3, tmp_path / "x.arpa", discount_fallback=None)
    path = train_arpa([("a b", 1)], 3, tmp_path / "x.arpa")  # default: fallback 0.5/1/1.5
    assert kenlm.Model(str(path)).order == 3


@pytest.mark.parametrize("bad", [0, -3, 1.5, "2", True])
def test_bad_counts_are_rejected(tmp_path, bad):
    with pytest.raises(ValueError, match="positive integer"):
        train_arpa([("a b", 1), ("c", bad)], 2, tmp_path / "x.arpa")


def test_orders_above_kenlm_limit_warn(tmp_path, caplog):
    path = train_arpa([("a b c d e f g", 3), ("a c", 2)], 7, tmp_path / "x.arpa")
    assert "up to order 6" in caplog.text
    assert read_arpa(path)[("<s>", "a", "b", "c", "d", "e", "f")][0] < 0


def test_order_and_empty_input_errors(tmp_path):
    with pytest.raises(ValueError, match="order"):
        train_arpa([("a", 1)], 1, tmp_path / "x.arpa")
    with pytest.raises(ValueError, match="no training data"):
        train_arpa([("  ", 3)], 3, tmp_path / "x.arpa")
    assert not (tmp_path / "x.arpa").exists()


def test_read_corpus_wordlist_text_and_auto(tmp_path):
    wl = tmp_path / "words.txt"
    wl.write_text("кот 10\nпёс 3\n\nкот 2\n", encoding="utf-8")
    text = tmp_path / "text.txt"
    text.write_text("кот и пёс\nкот\n", encoding="utf-8")
    assert list(read_corpus([wl])) == [("кот", 10), ("пёс", 3), ("кот", 2)]
    assert sorted(read_corpus([text])) == [("и", 1), ("кот", 2), ("пёс", 1)]
    assert sorted(read_corpus([wl], kind="text")) == [
        ("10", 1),
        ("2", 1),
        ("3", 1),
        ("кот", 2),
        ("пёс", 1),
    ]
    with pytest.raises(ValueError, match="kind"):
        list(read_corpus([wl], kind="csv"))


def test_read_corpus_errors_name_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        list(read_corpus([tmp_path / "nope.txt"]))
    wl = tmp_path / "words.txt"
    wl.write_text("кот 10\nпёс 3\nплохая строка тут\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"words\.txt:3: expected 'word count'"):
        list(read_corpus([wl], kind="wordlist"))
    wl.write_text("кот 10\nпёс 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"words\.txt:2: count must be >= 1"):
        list(read_corpus([wl]))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("ok\nкот\n".encode("cp1251"))
    with pytest.raises(ValueError, match=r"latin1\.txt:2: not UTF-8"):
        list(read_corpus([bad]))


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cardfeatures")
    sub = parser.add_subparsers(dest="command", required=True)
    lmtrain.add_command(sub)
    args = parser.parse_args(argv)
    return args.handler(args)


def test_cli_char_and_word(tmp_path, capsys):
    out = tmp_path / "c.arpa"
    corpus = FIXTURES / "char_corpus.txt"
    words = tmp_path / "w.txt"
    words.write_text("".join(f"{line.replace(' ', '')}\n" for line in corpus_lines(corpus.name)))
    assert _cli(["train-lm", "--corpus", str(words), "--out", str(out), "--order", "4"]) == 0
    printed = capsys.readouterr().out
    assert "4-grams:" in printed and str(out) in printed
    assert kenlm.Model(str(out)).order == 4

    out_w = tmp_path / "w.arpa"
    code = _cli(["train-lm", "--corpus", str(FIXTURES / "word_corpus.txt"), "--out", str(out_w)])
    assert code == 0 and "--unit" not in capsys.readouterr().err
    code = _cli(
        [
            "train-lm",
            "--unit",
            "word",
            "--corpus",
            str(FIXTURES / "word_corpus.txt"),
            "--out",
            str(out_w),
        ]
    )
    assert code == 0
    got, want = read_arpa(out_w), read_arpa(FIXTURES / "word3.lmplz.arpa")
    assert set(got) == set(want)

    assert _cli(["train-lm", "--corpus", str(tmp_path / "missing.txt"), "--out", str(out)]) == 2
    assert "missing.txt" in capsys.readouterr().err


def test_arpa_is_written_atomically(tmp_path):
    path = train_char_lm([("кот", 3), ("кит", 1)], tmp_path / "sub" / "m.arpa", order=3)
    assert [p.name for p in path.parent.iterdir()] == ["m.arpa"]
    assert path.read_text(encoding="utf-8").startswith("\\data\\\nngram 1=")
    assert math.isfinite(kenlm.Model(str(path)).score("к о т"))


def test_zero_discount_falls_back_and_model_loads(tmp_path):
    """Counts-of-counts that make D3 exactly 0 must not produce a -inf backoff (KenLM rejects it)."""
    import numpy as np

    from textclean.lmtrain import TrainStats, _discounts

    # n1=6, n2=3, n3=1, n4=1: Y = 6 / 12 = 0.5, D3 = 3 - 4 * 0.5 * 1 / 1 ... = 1; pick n4 so D3 = 0.
    adjusted = np.array([1] * 6 + [2] * 3 + [3] * 2 + [4] * 3)  # Y=0.5, D3 = 3 - 4*0.5*3/2 = 0
    stats = TrainStats()
    d = _discounts(adjusted, 5, (0.5, 1.0, 1.5), stats)
    assert list(d) == [0.0, 0.5, 1.0, 1.5]
    assert stats.fallback_orders == [5]
