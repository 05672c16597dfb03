"""Normalisation: a table of real-looking card texts, column form == string form, bad input."""

import polars as pl
import pytest

from textclean import normalize_column, normalize_text

CASES = [
    # HTML descriptions
    ("<p>Молоко&nbsp;3,2%</p><br/>Цена: &laquo;100&raquo;", 'Молоко 3,2% Цена: "100"'),
    ("<div><b>Хит</b> продаж</div><ul><li>один</li><li>два</li></ul>", "Хит продаж один два"),
    ("<script>alert(1)</script>Текст<!-- hidden --> <style>p{}</style>", "Текст"),
    ("x &lt;b&gt; y &amp; z", "x <b> y & z"),  # escaped tags are content, not markup
    # invisible characters and soft hyphens inside words
    ("мо\u200bлоко", "молоко"),
    ("супер\u00adцена", "суперцена"),
    ("\ufeffBOM text\u2060", "BOM text"),
    # NFC, not NFKC: composed й, but ² and ½ survive; full-width ASCII folds
    ("и\u0306огурт", "йогурт"),
    ("м² ½ ﬁ", "м² ½ ﬁ"),
    ("ＳＡＬＥ ５０％", "SALE 50%"),
    # quotes and dashes
    ("«Домик в деревне» — „лучший“", '"Домик в деревне" - "лучший"'),
    ("it’s 10–20 ‒ −5", "it's 10-20 - -5"),
    # whitespace and control characters
    ("  много\t\tпробелов\nи\r\nстрок\u00a0\u2009здесь  ", "много пробелов и строк здесь"),
    ("a\x00b\x07c", "a b c"),
    # glued words are NOT split here (the repairer decides): мoлоко has a Latin o
    ("средствоUniversal мoлоко 500мл", "средствоUniversal мoлоко 500мл"),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalize_text_table(raw, expected):
    assert normalize_text(raw) == expected


def test_column_form_matches_string_form():
    raws = [raw for raw, _ in CASES] + [None]
    col = normalize_column(pl.Series("description", raws, dtype=pl.String))
    assert col.name == "description"
    assert col.to_list() == [normalize_text(r) for r in raws]


def test_none_and_bad_input():
    assert normalize_text(None) is None
    assert normalize_text("a\ud800b") == "a\ufffdb"  # lone surrogate -> replacement character
    rtl = "שלום עולם مرحبا"
    assert normalize_text(rtl) == rtl
    assert normalize_text("🏄🏾\u200d♀️ ok") == "🏄🏾♀️ ok"  # ZWJ is removed (documented)


def test_surrogate_pair_is_one_character():
    # A Python string may hold an astral character as its UTF-16 pair (text from a UTF-16
    # source decoded with "surrogatepass"): the pair is the emoji, not two lone surrogates.
    assert normalize_text("a\ud83d\ude00b") == "a\U0001f600b"
    assert normalize_text("\ude00\ud83d x \ud83d") == "\ufffd\ufffd x \ufffd"


def test_large_string():
    big = ("Молоко <b>свежее</b> &amp; вкусное\u200b " * 40_000)[:1_000_000]
    out = normalize_text(big)
    assert out.startswith("Молоко свежее & вкусное Молоко")
    assert normalize_column(pl.Series([big])).item() == out


def test_already_normal_texts_skip_the_steps():
    """Only texts matching ``_DIRTY`` go through the steps; the rest must already be normal.
    Random strings over a pool of normal and dirty characters: the column form equals running
    every step on every text, and equals the string form."""
    import random

    from textclean.normalize import _normalize_steps

    pool = list("abcмолоко 0123 .,-!?'\"") + [
        "  ", " ", "<b>", "&amp;", "&nbsp;", "\t", "\x00", "\u200b", "\u00ad", "и\u0306",
        "\u0301", "Ａ", "«", "—", "\u00a0", "\u2009", "\u212b", "\u1100\u1161", "\uf900", "ﬁ",
    ]  # fmt: skip
    rng = random.Random(5)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
    texts += ["clean text", None, "", " lead", "trail ", "two  spaces"]
    col = pl.Series(texts, dtype=pl.String)
    fast = normalize_column(col)
    assert fast.to_list() == _normalize_steps(col).to_list()
    assert fast.to_list() == [normalize_text(t) for t in texts]
    clean = pl.Series(["уже чистый текст", "another clean one"])
    assert normalize_column(clean).to_list() == clean.to_list()


def test_nfc_candidates_cover_every_changing_character():
    """``_NFC_CANDIDATES`` holds every character that NFC may change or compose with what
    precedes it: characters not normal on their own, non-starters, and the second character of
    every canonical pair decomposition (checked over all of Unicode)."""
    import sys
    import unicodedata

    from textclean.normalize import _NFC_CANDIDATES

    need = set()
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if unicodedata.combining(ch) or not unicodedata.is_normalized("NFC", ch):
            need.add(ch)
        dec = unicodedata.decomposition(ch)
        if dec and not dec.startswith("<"):
            parts = dec.split()
            if len(parts) == 2:
                need.add(chr(int(parts[1], 16)))
    need_s = pl.Series(sorted(need))
    missing = need_s.filter(~need_s.str.contains(_NFC_CANDIDATES))
    assert missing.to_list() == []
