"""Text normalisation: pure ``str -> str`` and its batch form over a polars column.

The steps, in order (each one keeps information a later feature might need):

1. UTF-16 surrogate pairs become the character they encode and lone surrogates U+FFFD
   (only possible in Python strings);
2. HTML: ``<script>``/``<style>`` blocks and comments are dropped, block-level tags (``<br>``,
   ``<p>``, ``<div>``, ``<li>``, ...) become a space, other tags are removed, then entities are
   unescaped (``&nbsp;`` -> NBSP, ``&quot;`` -> ``"``);
3. Unicode NFC (composes ``е`` + combining breve into ``й``) - not NFKC, which would fold
   superscripts, ligatures and fractions that carry meaning; only full-width ASCII (``ＡＢＣ１``)
   is folded to ASCII, because it is a pure presentation variant;
4. zero-width characters, bidi controls, the BOM and soft hyphens are deleted (they hide inside
   words and break tokenisation);
5. other control characters (tabs, newlines included) become a space;
6. typographic quotes become ``"`` or ``'``, all dash and minus variants become ``-``;
7. whitespace (any Unicode space) is collapsed to one ASCII space and the ends are stripped.

Splitting of words glued across scripts or digits (``средствоUniversal``, ``500мл``) is NOT done
here: a word such as ``мoлоко`` (Latin ``o``) would look glued. It is done by the homoglyph
repairer (``textclean.repair``), which splits only what it cannot read as one word.

``normalize_text`` and ``normalize_column`` give the same result for every string; the column form
runs the regular expressions inside polars (Rust) and calls Python only for the distinct values
that contain an HTML entity.
"""

from __future__ import annotations

import html
import re

import polars as pl

# Character classes are spelled out explicitly so that Python's ``re`` and polars' Rust regex
# engine agree exactly.
_SURROGATES = re.compile("[\ud800-\udfff]")

_DROP_BLOCKS = r"(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->"
_BLOCK_TAG = (
    r"(?i)</?(?:br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|section|article|header|footer|"
    r"blockquote|pre|hr|dd|dt|dl)\b[^<>]*>"
)
_ANY_TAG = r"</?[A-Za-z][^<>]*>"

# Zero-width and format characters: ZWSP..RLM, LRE..RLO, word joiner..invisible plus, LRI..PDI,
# BOM, soft hyphen, Mongolian vowel separator, combining grapheme joiner.
_INVISIBLE = "[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u180e\u034f]"
# C0/C1 controls (tab, newline and carriage return included: they become a space).
_CONTROL = "[\u0000-\u001f\u007f-\u009f]"
# Every Unicode space separator plus the line/paragraph separators and ASCII whitespace.
_SPACES = "[ \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"

_QUOTES: dict[str, str] = {
    **{c: '"' for c in "«»„“”‟″〝〞＂"},
    **{c: "'" for c in "‘’‚‛′‹›"},
}
_DASHES: dict[str, str] = {c: "-" for c in "‐‑‒–—―−﹘﹣－"}
# Only runs that are not already one ASCII space (same result as _SPACES, far fewer matches).
_SPACES_COLUMN = _SPACES[:-1] + "{2,}|[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# Characters whose presence can make NFC change a string: combining marks, conjoining Hangul
# jamo, and the code points with singleton or excluded decompositions (tested exhaustively).
_NFC_CANDIDATES = (
    r"[\p{M}\x{1100}-\x{11ff}\x{0340}\x{0341}\x{0343}\x{0344}\x{0374}\x{037e}\x{0387}"
    r"\x{1f71}-\x{1ffd}\x{2000}\x{2001}\x{2126}\x{212a}\x{212b}\x{2329}\x{232a}"
    r"\x{f900}-\x{faff}\x{2f800}-\x{2fa1f}\x{0958}-\x{095f}\x{09dc}-\x{09df}\x{0a33}"
    r"\x{0a36}\x{0a59}-\x{0a5e}\x{0b5c}\x{0b5d}\x{0f43}-\x{0fb9}\x{fb1d}-\x{fb4e}"
    r"\x{1d15e}-\x{1d1c0}\x{2adc}]"
)
_PUNCT_MAP: dict[str, str] = {**_QUOTES, **_DASHES}
_PUNCT_TABLE = str.maketrans(_PUNCT_MAP)

# Full-width ASCII variants U+FF01..U+FF5E map to U+0021..U+007E.
_FULLWIDTH = "[\uff01-\uff5e]"
_FULLWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}

_re_drop_blocks = re.compile(_DROP_BLOCKS)
_re_block_tag = re.compile(_BLOCK_TAG)
_re_any_tag = re.compile(_ANY_TAG)
_re_invisible = re.compile(_INVISIBLE)
_re_control = re.compile(_CONTROL)
_re_spaces = re.compile(_SPACES)


def _unescape(s: str) -> str:
    return html.unescape(s) if "&" in s else s


def normalize_text(s: str | None) -> str | None:
    """Normalise one text (see the module docstring for the steps). ``None`` stays ``None``."""
    if s is None:
        return None
    if _SURROGATES.search(s) is not None:
        # a UTF-16 pair is the character it encodes; lone surrogates become U+FFFD, one each
        s = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if "<" in s:
        s = _re_drop_blocks.sub(" ", s)
        s = _re_block_tag.sub(" ", s)
        s = _re_any_tag.sub("", s)
    s = _unescape(s)
    # The column form drops NULs before NFC (polars strings may not keep them the same way).
    s = _re_control.sub(" ", s)
    s = _re_invisible.sub("", s)
    s = _normalize_nfc(s)
    s = s.translate(_FULLWIDTH_TABLE)
    s = s.translate(_PUNCT_TABLE)
    s = _re_spaces.sub(" ", s)
    return s.strip(" ")


def _normalize_nfc(s: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", s)


def _cls(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


#: A text that matches none of these is already normal (every step leaves it as it is): HTML
#: starts, entities, controls, invisible characters, characters NFC may change, full-width
#: ASCII, quotes and dashes to unify, spaces other than one ASCII space between words.
_DIRTY = (
    "[<&\\x{0}-\\x{1f}\\x{7f}-\\x{9f}\\x{200b}-\\x{200f}\\x{202a}-\\x{202e}\\x{2060}-\\x{2064}"
    "\\x{2066}-\\x{2069}\\x{feff}\\x{ad}\\x{180e}\\x{34f}\\x{ff01}-\\x{ff5e}"
    + _cls("".join(_PUNCT_MAP))
    + "\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}]"
    + "|"
    + _NFC_CANDIDATES
    + "|  |^ | $"
)


def normalize_column(col: pl.Series) -> pl.Series:
    """Batch form of :func:`normalize_text` over a polars string column (nulls stay null).

    Strings that cannot exist in Arrow (lone surrogates) never reach here: polars refuses them when
    the column is built, so callers with raw Python strings should use ``normalize_text``. One
    pass finds the texts that are not already normal (``_DIRTY``); only those go through the
    steps.
    """
    if col.dtype != pl.String:
        col = col.cast(pl.String)
    name = col.name
    dirty = col.str.contains(_DIRTY).fill_null(False)
    n_dirty = int(dirty.sum())
    if n_dirty == 0:
        return col.alias(name)
    if n_dirty == col.len():
        return _normalize_steps(col).alias(name)
    out = col.clone()
    out.scatter(dirty.arg_true(), _normalize_steps(col.filter(dirty)))
    return out.alias(name)


def _normalize_steps(s: pl.Series) -> pl.Series:
    """Every step of :func:`normalize_column`, on every text of ``s``."""
    if s.str.contains("<", literal=True).any():
        s = (
            s.str.replace_all(_DROP_BLOCKS, " ")
            .str.replace_all(_BLOCK_TAG, " ")
            .str.replace_all(_ANY_TAG, "")
        )
    has_entity = s.str.contains("&", literal=True).fill_null(False)
    if has_entity.any():
        distinct = s.filter(has_entity).unique().to_list()
        s = s.replace(distinct, [html.unescape(v) for v in distinct])
    s = s.str.replace_all(_CONTROL, " ").str.replace_all(_INVISIBLE, "").str.normalize("NFC")
    if s.str.contains(_FULLWIDTH).any():
        s = s.str.replace_many(
            [chr(k) for k in _FULLWIDTH_TABLE], [chr(v) for v in _FULLWIDTH_TABLE.values()]
        )
    s = s.str.replace_many(list(_PUNCT_MAP), list(_PUNCT_MAP.values()))
    return s.str.replace_all(_SPACES_COLUMN, " ").str.strip_chars(" ")
