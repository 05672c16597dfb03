"""Homoglyph repair: decisions, statistics, bad input, clean_frame and the LM corpus."""

from __future__ import annotations

import math

import polars as pl
import pytest

from textclean import (
    STAT_COLUMNS,
    HomoglyphRepairer,
    clean_frame,
    single_script_word_counts,
)
from textclean.repair import context_bucket


def fix(r, s):
    return r.repair_text(s)[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("мoлоко свежее", "молоко свежее"),  # one Latin o (TR39)
        ("Мoлoкo CBEЖEE для дома", "Молоко СВЕЖЕЕ для дома"),  # capitals B, E (case-aware)
        ("npuвem мир", "привет мир"),  # italic n->п, u->и, m->т
        ("мьiло и cbIp", "мыло и сыр"),  # multi-character ы
        ("6ыть или не 6ыть", "быть или не быть"),  # digit 6 -> б
        ("TOBAP для дома", "ТОВАР для дома"),  # all-Latin word, decided by the LM + context
        ("the cоp was here", "the cop was here"),  # Cyrillic о in an English word
        ("средствоUniversal для мытья посуды", "средство Universal для мытья посуды"),
        ("ULTRAготовый обед", "ULTRA готовый обед"),
        ("вода 500мл", "вода 500 мл"),
        ("iPhone 15 A52 4K", "iPhone 15 A52 4K"),  # brand/model tokens stay
        ("кроссовки Nike Air Max", "кроссовки Nike Air Max"),  # clean Latin brand words stay
    ],
)
def test_repairs_with_toy_scorer(toy, raw, expected):
    assert fix(toy, raw) == expected


def test_mixed_word_is_never_split_as_glued(toy):
    # "COка": Latin CO + Cyrillic ка could look glued; the one-word Cyrillic reading wins.
    assert fix(toy, "сок и COка") == "сок и СОка"


def test_context_bucket():
    assert context_bucket("привет мир") == 2
    assert context_bucket("quick fox jumps with size") == -2
    assert context_bucket("quick fox") == -1  # 3 decisive letters: weaker evidence
    assert context_bucket("ТОВАР") == 0  # no decisive letters at all


def test_context_bucket_counts_no_latin_letter_of_a_cyrillic_word():
    """Latin letters inside a word that holds a Russian-only letter are disguise (``bI`` = ы),
    not Latin evidence: ``(А b бbIлuhе:`` has б, л against nothing (was б, л against I: no
    lean). The polars form and the compiled text pass agree."""
    from textclean.repair import context_bucket_expr

    texts = {
        "(А b бbIлuhе:": 1,  # б л against nothing: 2 / 4 * 2 + 0.5 = 1.5 (with the I: 0.9)
        "бbIл quick": 0,  # б л against q i (c, k have Cyrillic readings): 0.5
        "средствоUniversal": 1,  # д т в against nothing (with U i v s l: 0.1)
        "the а dog": -1,
        "quick fox": -1,
        "лl l l l": -1,  # the lone l words still count: (1 - 3) / 6 * 2 + 0.5
    }
    assert [context_bucket(t) for t in texts] == list(texts.values())
    got = pl.select(context_bucket_expr(pl.Series(list(texts)))).to_series().to_list()
    assert got == list(texts.values())


def test_stats_values(toy):
    text, st = toy.repair_text("мoлоко и TOBAP, cop 🙂 中文")
    assert text == "молоко и ТОВАР, cop 🙂 中文"
    assert st["words"] == 5  # мoлоко и TOBAP cop 中文 (emoji is not a word)
    assert st["mixed_words"] == 1
    assert st["repaired_words"] == 2
    assert st["other_words"] == 1
    assert st["ambiguous_words"] >= 1  # cop/сор is close in a Russian context
    assert st["broken_share"] == pytest.approx(2 / 5)


def test_repair_column_shape_and_types(toy):
    col = pl.Series("title", ["мoлоко", None, "", "   ", "quick fox"], dtype=pl.String)
    out = toy.repair_column(col)
    assert out.columns == ["clean", *STAT_COLUMNS]
    assert out.schema["words"] == pl.Int32
    assert out.schema["broken_share"] == pl.Float32
    assert out["clean"].to_list() == ["молоко", None, "", "", "quick fox"]
    assert out["words"].to_list() == [1, None, 0, 0, 2]
    share = out["broken_share"].to_list()
    assert share[0] == 1.0 and share[1] is None and math.isnan(share[2]) and share[4] == 0.0


def test_column_equals_text_form(toy):
    texts = ["мoлоко свежее", "TOBAP для дома", "the cоp was here", "вода 500мл", "npuвem"]
    col = toy.repair_column(pl.Series(texts))
    for i, t in enumerate(texts):
        clean, st = toy.repair_text(t)
        assert col["clean"][i] == clean
        assert col["repaired_words"][i] == st["repaired_words"]


def test_bad_input_does_not_crash(toy):
    assert toy.repair_text(None) == (None, dict.fromkeys(STAT_COLUMNS))
    out, st = toy.repair_text("a\ud800b")
    assert out == "a\ufffdb" and st["words"] == 2
    out, st = toy.repair_text("שלום مرحبا Привет")
    assert out == "שלום مرحبا Привет" and st["other_words"] == 2
    big = "мoлоко свежее " * 80_000  # ~1 MB
    out, st = toy.repair_text(big)
    assert st["words"] == 160_000 and st["repaired_words"] == 80_000
    assert out.startswith("молоко свежее молоко")


def test_explain_lists_readings(toy):
    lines = toy.explain("мoлоко и TOBAP")
    assert lines[0].startswith("мoлоко -> молоко")
    assert any("cyrillic" in ln and "молоко" in ln for ln in lines)
    assert any(ln.startswith("TOBAP -> ТОВАР") for ln in lines)
    assert toy.explain(None) == []


def test_distinct_forms_decided_once(toy):
    toy.repair_column(pl.Series(["мoлоко свежее"] * 1000))
    # compiled path: свежее is trivially clean and never decided, мoлоко once
    assert toy.cache_info()["compiled_chunks"] == 1
    toy.repair_column(pl.Series(["cоp свежее"] * 1000))
    assert toy.cache_info()["compiled_chunks"] == 2


def test_distinct_forms_decided_once_python_path(toy):
    toy.compiled = False
    toy.repair_column(pl.Series(["мoлоко свежее"] * 1000))
    info = toy.cache_info()
    # свежее is trivially clean and never decided; мoлоко has one reading: decided by polars
    assert (info["decisions"], info["fast_decisions"]) == (0, 1)
    toy.repair_column(pl.Series(["cоp свежее"] * 1000))  # cop / сор: weighed in Python, once
    assert toy.cache_info()["decisions"] == 1


def test_clean_frame(toy):
    df = pl.DataFrame(
        {
            "item_id": ["1", "2"],
            "title": ["мoлоко", None],
            "description": ["<b>TOBAP</b> для дома", ""],
        }
    )
    out = clean_frame(df, toy)
    assert out["title"].to_list() == ["мoлоко", None]  # original kept
    assert out["title_clean"].to_list() == ["молоко", None]
    assert out["description_clean"].to_list() == ["ТОВАР для дома", ""]
    assert out["title_repaired_words"].to_list() == [1, None]
    for c in ("title", "description"):
        for s in ("clean", *STAT_COLUMNS):
            assert f"{c}_{s}" in out.columns
    with pytest.raises(KeyError, match="nope"):
        clean_frame(df, toy, columns=("nope",))


def test_single_script_word_counts():
    cols = [pl.Series(["Молоко свежее, молоко!", "TOBAP мoлоко 500 ml"]), pl.Series([None, "ml"])]
    counts = dict(single_script_word_counts(cols))
    assert counts == {"молоко": 2, "свежее": 1, "tobap": 1, "ml": 2}


# ------------------------------------------------------------------ with a real char KenLM
def test_repairs_with_kenlm(char_lm):
    r = HomoglyphRepairer.from_arpa(char_lm)
    cases = {
        "Мoлoкo свежее для дома": "Молоко свежее для дома",
        "пpoдaю новый телефон": "продаю новый телефон",
        "the quick brоwn fox": "the quick brown fox",
        "cкидкa нa мылo": "скидка на мыло",
        "TOBAP для дома": "ТОВАР для дома",
    }
    for raw, expected in cases.items():
        assert r.repair_text(raw)[0] == expected, r.explain(raw)


def test_kenlm_scores_match_model(char_lm):
    import kenlm

    from textclean.lmtrain import char_sentence

    r = HomoglyphRepairer.from_arpa(char_lm)
    m = kenlm.Model(str(char_lm))
    assert r.lm("Молоко") == pytest.approx(m.score(char_sentence("молоко"), bos=True, eos=True))


# ------------------------------------------------------------------ session 2: context and speed
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("мoлоко. 0н купить", "молоко. Он купить"),  # a leading digit opening a sentence: capital
        ("0н купить", "Он купить"),
        ("молок0 свежее", "молоко свежее"),  # a digit after lower-case letters is a letter
        ("в0да и сок", "вода и сок"),  # В0 is no number: never split as 500мл is
        ("вода 2 км2 и kм2", "вода 2 км2 и км2"),  # a digit with no look-alike stays in Cyrillic
        ("мóлоко свежее", "мо\u0301локо свежее"),  # NFC hid a Latin o under a stress mark
        ("мoлоко стоит 0,5 литр", "молоко стоит 0,5 литр"),  # part of a longer number
        ("X век и мыло", "X век и мыло"),  # a capital letter in a clean text stays
        ("число n и m", "число n и m"),  # one-letter Latin words the LM does not prefer stay
        # ... a disguised text reads m as т (a unit letter), but not n as п: п is no word on
        # its own (session 3: formula variables n read as п)
        ("мoлоко n и m", "молоко n и т"),
        ("мoлоко и т. n. и m", "молоко и т. п. и т"),  # with a '.' it is an abbreviation
        ("мoлоко в 1960-x и 20-e", "молоко в 1960-х и 20-е"),  # numeral suffixes
        ("мoлоко X и Y", "молоко X и У"),  # Х is no word, У is one (the LM decides)
        # a capital unit letter is no word (session 4): the size M, a T stay Latin; a lower-case
        # m is still the unit т, a capital B still the word В, and M. an initial
        ("мoлоко размер M и T", "молоко размер M и T"),
        ("мoлоко m и M и B", "молоко т и M и В"),
        ("мoлоко M. и сок", "молоко М. и сок"),
        # words next to numbers or a degree sign are numbers / unit symbols (session 3)
        ("мoлоко от 0 -- 3 -- 6", "молоко от 0 -- 3 -- 6"),
        ("мoлоко ниже 0 ° C", "молоко ниже 0 ° C"),
        ("мoлоко ниже 0 ° С", "молоко ниже 0 ° С"),  # a unit stays as written (Cyrillic С)
        ("вода 962 °С и X", "вода 962 °С и X"),
        ("мoлоко 30 % и 0 %", "молоко 30 % и 0 %"),
    ],
)
def test_context_rules(toy, raw, expected):
    assert fix(toy, raw) == expected
    assert toy.repair_words(raw) == expected


def test_kept_words_and_marks():
    """Words whose neighbours show a number or a unit symbol, and the marks the column paths
    put before them."""
    from textclean.repair import KEEP_MARK, kept_words, mark_kept_words

    text = "ниже 0 ° C, от 0 -- 1 -- 2 и 3 % n 962°C x 0 сок 5-x"
    # words:   ниже 0    C     от 0    1     2     и 3     n 962   C     x 0 сок 5 x
    want = [False, True, True, False, True, True, True, False, True, False, True, True, False]
    want += [False, False, False, False]
    assert kept_words(text) == want
    m = KEEP_MARK
    assert mark_kept_words(text) == (
        f"ниже {m}0 ° {m}C, от {m}0 -- {m}1 -- {m}2 и {m}3 % n {m}962°{m}C x 0 сок 5-x"
    )
    assert mark_kept_words("мыло") == "мыло"
    # acronyms and initials of look-alike capitals next to a surely Latin word
    assert kept_words("I have the HTC Evo") == [False, False, False, True, False]
    assert kept_words("H. pylori") == [True, False]  # an initial: one letter and a '.'
    assert kept_words("P.S.") == [True, False]
    assert kept_words("TOBAP Samsung") == [True, False]
    assert kept_words("B Samsung") == [False, False]  # one capital without '.': в Samsung
    assert kept_words("c Samsung") == [False, False]  # lower case: с Samsung
    assert kept_words("ТОВАР Samsung") == [False, False]  # Cyrillic as written
    assert kept_words("OK mbI") == [False, False]  # bI may be a disguised ы: not surely Latin
    assert kept_words("OP il") == [True, False]
    # ... also when that word is itself disguised: its letters all have a Latin reading and one
    # is surely Latin (v, l, d, s) or a non-Russian Cyrillic letter read only as Latin (Ѕ)
    assert kept_words("I have thе HTC Evо.") == [False, False, False, True, False]
    assert kept_words("(APEC) lеadеrs") == [True, False]
    assert kept_words("P.Ѕ. А ты") == [True, False, False, False]
    assert kept_words("H. руlоri") == [True, False]
    assert kept_words("TOBAP мoлоко") == [False, False]  # м has no Latin reading
    assert kept_words("TOBAP сор") == [False, False]  # no letter that only Latin reads
    assert kept_words("TOBAP bl") == [False, False]  # bl may be ы
    assert mark_kept_words(None) is None
    assert kept_words("") == []


def test_one_letter_words_with_kenlm(char_lm):
    """With a real char LM: a formula's n stays, numbers next to numbers stay numbers, the
    unit after a degree sign stays as written - in a disguised text too; the compiled path,
    the Python path and the word-by-word reference agree."""
    r = HomoglyphRepairer.from_arpa(char_lm)
    cases = {
        "мoлоко n и сок": "молоко n и сок",
        "мoлоко ниже 0 ° C": "молоко ниже 0 ° C",
        "мoлоко ниже 0 °С": "молоко ниже 0 °С",
        "мoлоко от 0 -- 3 -- 6": "молоко от 0 -- 3 -- 6",
        "мoлоко 0 сок": "молоко о сок",  # a lone 0 in a disguised Cyrillic text is о
        "мoлоко и TOBAP": "молоко и ТОВАР",
        "мoлоко и TOBAP Samsung": "молоко и TOBAP Samsung",  # next to a surely Latin word
    }
    col = pl.Series(list(cases))
    assert r.repair_column(col)["clean"].to_list() == list(cases.values())
    assert [r.repair_words(t) for t in cases] == list(cases.values())
    r.compiled = False
    assert r.repair_column(col)["clean"].to_list() == list(cases.values())


def test_sure_latin_words():
    """A surely Latin word (it makes a look-alike acronym next to it stay as written): every
    letter has a Latin reading and one has no Russian one; no Russian word passes."""
    from textclean.repair import _CYR_LAT_ONLY, _sure_latin

    assert set(_CYR_LAT_ONLY) >= set("іјѕһԁӏүІЈЅҺ")
    assert not set(_CYR_LAT_ONLY) & set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАВЕКМНОРСТХУ")
    for word in ("Samsung", "lеadеrs", "Evо", "Ѕ", "Вush", "il", "руlоri"):
        assert _sure_latin(word), word
    for word in ("TOBAP", "сор", "мoлоко", "bl", "bI", "OK", "Evo5", "ы", ""):
        assert not _sure_latin(word), word


def test_stressed_latin_words_stay_latin(char_lm):
    """A clean Latin word with a stress-marked letter (népe, café) gets no Cyrillic reading,
    in a disguised Russian text too; a mixed word with one is still read (pócа -> ро́са)."""
    from textclean.repair import _LAT_STRESSED

    assert set("áéóúýÁÉÓ") <= set(_LAT_STRESSED)
    assert not set("ëËñüçabc") & set(_LAT_STRESSED)
    r = HomoglyphRepairer.from_arpa(char_lm)
    cases = {
        "мoлоко népe и сок": "молоко népe и сок",
        "мoлоко café и сок": "молоко café и сок",
        "мoлоко pócа и сок": "молоко ро́са и сок",
    }
    col = pl.Series(list(cases))
    assert r.repair_column(col)["clean"].to_list() == list(cases.values())
    assert [r.repair_words(t) for t in cases] == list(cases.values())
    r.compiled = False
    assert r.repair_column(col)["clean"].to_list() == list(cases.values())
    d, cands = r._decide("népe", 2, explain=True, disguised=True)
    assert d.out == "népe"
    assert [c.how for c in cands] == ["as written"]  # no Cyrillic reading weighed


def test_one_letter_russian_word_needs_latin_lean(toy):
    """A clean one-letter Russian word (а, А) reads as Latin only where the text's context
    leans Latin (``letter_lean``): in a text with no lean it stays, with the trade that an
    English ``a`` disguised as ``а`` there stays too; where the text leans Latin it is read;
    a non-Russian Cyrillic letter (``І``) is read as Latin whatever the lean. Both column
    paths and the word-by-word reference agree."""
    from textclean import RepairConfig

    assert RepairConfig().letter_lean == 1
    assert [context_bucket(t) for t in ("а nо", "А kак", "а сomраny", "the а dog")] == [
        0,
        0,
        0,
        -1,
    ]
    cases = {  # text: (letter_lean=1, letter_lean=0)
        "а nо": ("а по", "a по"),
        "А kак": ("А как", "A как"),
        "а сomраny": ("а company", "a company"),  # the trade: English a disguised, no lean
        "the а dog": ("the a dog", "the a dog"),  # a Latin lean: read
        "І аm new": ("I am new", "I am new"),  # І is not a Russian letter
        "мoлоко а сок": ("молоко а сок", "молоко а сок"),
    }
    col = pl.Series(list(cases))
    for k, lean in enumerate((1, 0)):
        want = [v[k] for v in cases.values()]
        cfg = RepairConfig(letter_lean=lean)
        for compiled in (True, False):
            r = HomoglyphRepairer(toy._score_fn, cfg, compiled=compiled)
            assert r.repair_column(col)["clean"].to_list() == want
        assert [HomoglyphRepairer(toy._score_fn, cfg).repair_words(t) for t in cases] == want


@pytest.mark.parametrize(
    ("text", "word", "knob"),
    [
        ("мoлоко OP и сок", "OP", "disguised_caps_margin"),
        ("мoлоко B и сок", "B", "disguised_letter_margin"),
    ],
)
def test_disguised_caps_and_letter_margins(toy, text, word, knob):
    """A clean all-caps token (or capital letter) in a text that shows disguise changes only
    when its other-script reading wins by the knob's margin: just under the reading's lead it
    changes, just over it stays - in both column paths and the word-by-word reference."""
    from textclean import RepairConfig
    from textclean.repair import context_bucket

    assert RepairConfig().disguised_caps_margin == 3.0  # session 4 (was 1.5)
    assert RepairConfig().disguised_letter_margin == RepairConfig().disguised_margin
    d, cands = toy._decide(word, context_bucket(text), explain=True, disguised=True)
    base = next(c for c in cands if c.how == "as written")
    best = max((c for c in cands if c is not base), key=lambda c: c.score)
    lead = best.score - base.score
    assert lead > 0
    for margin, want in ((lead - 0.01, best.text), (lead + 0.01, word)):
        cfg = RepairConfig(**{knob: margin})
        expected = text.replace("мoлоко", "молоко").replace(word, want)
        for compiled in (True, False):
            r = HomoglyphRepairer(toy._score_fn, cfg, compiled=compiled)
            assert r.repair_column(pl.Series([text]))["clean"][0] == expected
        assert HomoglyphRepairer(toy._score_fn, cfg).repair_words(text) == expected


def test_text_disguised():
    from textclean.repair import text_disguised

    assert text_disguised("свежее мoлоко")  # Latin o in a Cyrillic word
    assert text_disguised("м0локо")  # look-alike digit inside Cyrillic letters
    assert not text_disguised("TOBAP для дома 500 мл")  # single-script words only
    df = pl.DataFrame({"t": ["свежее мoлоко", "м0локо", "TOBAP для дома 500 мл"]})
    from textclean.repair import MIXED_WORD_PATTERN

    assert df["t"].str.contains(MIXED_WORD_PATTERN).to_list() == [True, True, False]
    # with a share: one mixed word of 7 is 0.14 of the words
    light = "мoлоко для дома и сыр для дома"
    assert text_disguised(light) and not text_disguised(light, 0.15)
    assert text_disguised(light, 1 / 7)
    from textclean.repair import disguised_expr

    col = pl.Series([light, "мoлоко сыр", None])
    got = col.to_frame("t").select(disguised_expr(pl.col("t"), 0.15))["t"].to_list()
    assert got == [False, True, False]


_RU = "молоко свежее для дома товар и в на с о мыло сыр быть привет мир средство посуды вода"
_EN = "the quick brown fox jumps over a lazy dog cop coffee size chart order"


def _corrupted_texts(n: int, seed: int) -> list[str]:
    """Texts of test-vocabulary words with random look-alike substitutions of every class,
    numbers and punctuation, deterministic for ``seed``."""
    import random

    from textclean.confusables import TO_CYR, TO_LAT

    rng = random.Random(seed)
    inv: dict[str, list[str]] = {}
    for table in (TO_CYR, TO_LAT):
        for written, options in table.items():
            for meant, _cls in options:
                inv.setdefault(meant, []).append(written)
    words = _RU.split() + _EN.split() + ["0", "3", "500мл", "iPhone15", "0,5", "TOBAP"]
    words += ["n", "x", "°C", "° С", "0 --", "%", "1960-х"]  # one-letter words, numbers, units
    texts = []
    for _ in range(n):
        out = []
        for _ in range(rng.randint(1, 8)):
            w = rng.choice(words)
            if rng.random() < 0.3:
                w = w.capitalize()
            w = "".join(rng.choice(inv[c]) if c in inv and rng.random() < 0.3 else c for c in w)
            out.append(w + rng.choice(["", "", ",", "."]))
        texts.append(" ".join(out))
    return texts


def test_column_equals_word_by_word(toy):
    """Both column paths (numba kernels; polars fast path + chunk cache) give exactly the
    word-by-word reference output."""
    texts = _corrupted_texts(400, seed=3)
    ref = [toy.repair_words(t) for t in texts]
    assert toy.repair_column(pl.Series(texts))["clean"].to_list() == ref
    assert toy.cache_info()["compiled_chunks"] > 0  # the numba kernels did decide
    toy.compiled = False
    assert toy.repair_column(pl.Series(texts))["clean"].to_list() == ref
    assert toy.cache_info()["fast_decisions"] > 0  # the polars fast path did take part


def test_column_equals_word_by_word_kenlm(char_lm):
    r = HomoglyphRepairer.from_arpa(char_lm)
    texts = _corrupted_texts(200, seed=5)
    assert r.repair_column(pl.Series(texts))["clean"].to_list() == [
        r.repair_words(t) for t in texts
    ]


def test_forced_patterns():
    from textclean.repair import _SPLITTABLE, FORCED_CYRILLIC, FORCED_LATIN

    words = ["мoлоко", "мoлоко,", "(npuвem)", "cоp", "brоwn", "мьiло", "средствоUniversal", "м0л"]
    df = pl.DataFrame({"w": words}).select(
        pl.col("w").str.contains(FORCED_CYRILLIC).alias("c"),
        pl.col("w").str.contains(FORCED_LATIN).alias("l"),
        pl.col("w").str.contains(_SPLITTABLE).alias("s"),
    )
    assert df["c"].to_list() == [True, True, True, False, False, False, False, False]
    assert df["l"].to_list() == [False, False, False, False, True, False, False, False]
    assert df["s"].to_list() == [False] * 6 + [True, False]


_EDGE_TEXTS = [
    "0н пришёл. 0н ушёл! 3а стол, 06 этом 0,5 л 12:00 0-3",
    "средствоUniversal ULTRAготовый 500мл вода 5л 2шт км2 iPhone15 A52 4K ГАЗ3110",
    "мьiло мbIло мblло cop сор TOBAP PC XL X век 962°C n0 пр0руби дубн0",
    "вóда мóлoкo ѓ ǅungla Ǆ İstanbul straße ½ м² ١٢٣ 😀мoлоко",
    "шлом" * 20 + "мoлоко" + " x" + "ab" * 40 + "0",  # words longer than kernels.MAX_WORD
    "",
    "(npuвem), «мoлоко»; 4gаmer Tele2 B0лoгда ЬIстро bl bI",
    None,
    "   ",
    "<p>мoлоко&nbsp;и&amp;сыр</p>  \u200bсвeжee\u00adе  שלום مرحبا",
    "Ѐ ѐ ҂ а\u0483b b\u0483а 0\u0483 İI",
    "RT @yabloko: смерть https://chn.ge/2JRea20 и httрs://sitе.ru/cop ivan@mail.ru www.ozon.ru",
    "@мoлоко мoлоко@ www.мoлоко.рф http://сaйт.рф",
    # session 3: one-letter words, numbers next to numbers, unit symbols after a degree sign
    "мoлоко n и m, n. т. n 1960-x 20-e X и Y ниже 0 ° С и 0 ° C 0 -- 3 -- 6 0 % 3%",
    "0 ° 0 °F 6 - 3 °x n-0 0-n. 3 x 4 n.n. °",
    "°0 0°",
    "I have the HTC Evo, H. pylori P.S. TOBAP Samsung B Samsung OP il мыло и APEC leaders",
    "OK mbI ВВС news BBC nеws Á. Ávila ÁB Ávila",
    "I have thе HTC Evо. P.Ѕ. А ты H. руlоri (APEC) lеadеrs мыло népe café pócа cópa TOBAP bl",
    "а nо",
    "А kак с mоим у nас",
    "І аm а сomраny",
    "the а dog а Skald В",
    "(А b бbIлuhе: средствоUniversal лl l l l",
    "А b бbIл quick, Ьi mы",
]


@pytest.mark.parametrize("tr39_only", [False, True])
def test_compiled_equals_python_path(toy, tr39_only):
    """The numba kernels give the same frame (text and statistics) as the Python path, on
    random corruption and on edge cases (sentence-start digits, numbers, glue splits,
    multi-character forms, stress marks, other scripts, over-long words)."""
    from textclean import RepairConfig

    texts = _corrupted_texts(300, seed=11) + _EDGE_TEXTS
    cfg = RepairConfig(clean_text_tr39_only=tr39_only)
    col = pl.Series(texts, dtype=pl.String)
    words = HomoglyphRepairer(toy._score_fn, cfg)
    fast = words.repair_column(col)
    slow = HomoglyphRepairer(toy._score_fn, cfg, compiled=False).repair_column(col)
    assert fast.equals(slow)
    assert fast["clean"].to_list() == [words.repair_words(t) for t in texts]


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_compiled_equals_python_path_unnormalised(toy, share):
    """Without normalisation (several spaces, tabs, empty chunks) and for both kinds of
    disguise rule, the two paths still agree."""
    from textclean import RepairConfig

    texts = [t.replace(" ", "  ", 1) for t in _corrupted_texts(100, seed=17)]
    texts += [" мoлоко\tсвежее ", "", "  ", None, " 0н пришёл.  0н"]
    cfg = RepairConfig(disguise_share=share)
    fast = HomoglyphRepairer(toy._score_fn, cfg, normalize=False)
    slow = HomoglyphRepairer(toy._score_fn, cfg, normalize=False, compiled=False)
    col = pl.Series(texts, dtype=pl.String)
    assert fast.repair_column(col).equals(slow.repair_column(col))


def test_compiled_equals_python_path_kenlm(char_lm):
    texts = _corrupted_texts(300, seed=13) + _EDGE_TEXTS
    col = pl.Series(texts, dtype=pl.String)
    fast = HomoglyphRepairer.from_arpa(char_lm).repair_column(col)
    slow = HomoglyphRepairer.from_arpa(char_lm)
    slow.compiled = False
    assert fast.equals(slow.repair_column(col))


def test_compiled_threads_equal_one_thread(toy, monkeypatch):
    """Slices repaired side by side give the same frame as one pass (nulls included)."""
    import textclean.repair as repair_mod

    monkeypatch.setattr(repair_mod, "_MIN_TEXTS_PER_THREAD", 10)
    texts = _corrupted_texts(250, seed=19) + _EDGE_TEXTS
    col = pl.Series(texts, dtype=pl.String)
    one = HomoglyphRepairer(toy._score_fn, threads=1).repair_column(col)
    three = HomoglyphRepairer(toy._score_fn, threads=3).repair_column(col)
    assert three.equals(one)
    assert three.height == len(texts)
    monkeypatch.setattr(repair_mod, "_MAX_SLICE_BYTES", 300)  # many small slices, one thread
    assert HomoglyphRepairer(toy._score_fn, threads=1).repair_column(col).equals(one)


def test_address_words_are_latin(char_lm):
    """Words of a web address, e-mail or @handle take the Latin context whatever the text: a
    Latin word there stays Latin, a disguised one is still read as Latin."""
    r = HomoglyphRepairer.from_arpa(char_lm)
    text = "RT @yabloko: товары для дома https://chn.ge/2JRea20 и httрs://shop.ru мыло"
    want = "RT @yabloko: товары для дома https://chn.ge/2JRea20 и https://shop.ru мыло"
    assert r.repair_text(text)[0] == want
    assert r.repair_words(text) == want
    assert not any(ln.startswith(("yabloko", "ge ")) for ln in r.explain(text))


def test_address_ctx_is_the_same_in_the_kernels():
    from textclean import kernels, repair

    assert kernels.ADDRESS_CTX == repair.ADDRESS_CTX


def test_unnormalised_text_keeps_its_control_characters(toy):
    """Without normalisation a text may hold U+0001/U+0002 (Hive's field separator is U+0001),
    the characters the column paths use as sentence-start / kept-word marks: both paths
    dropped them (``цена\\x01100`` -> ``цена100``), and disagreed on ``мoлоко\\x02``. They are
    kept as written, as ``repair_words`` keeps them."""
    texts = ["цена\x01100 руб", "мoлоко\x02", "a\x01b\x02c", "0н\x01 0н", "x\x03\x01", None]
    col = pl.Series(texts, dtype=pl.String)
    fast = HomoglyphRepairer(toy._score_fn, normalize=False)
    slow = HomoglyphRepairer(toy._score_fn, normalize=False, compiled=False)
    got = fast.repair_column(col)
    assert got.equals(slow.repair_column(col))
    assert got["clean"].to_list() == [fast.repair_words(t) for t in texts]
    assert got["clean"][0] == "цена\x01100 руб"
