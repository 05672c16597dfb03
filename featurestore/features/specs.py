"""The feature catalogue: every output column, its type, meaning, feature set and version.

The catalogue is code, not data: ``pair_catalogue(spaces)`` lists every pairwise feature in its fixed
output order, and ``feature_specs(feature_set, spaces)`` turns the rows that belong to a set into
:class:`featurestore.registry.FeatureSpec` records for the store's registry. Bump a row's ``version``
whenever its definition changes, so stored partitions written under the old definition stay apart.

Conventions shared by every pairwise feature (written into each description):

* ``a`` is the card ``item_id_1``, ``b`` the card ``item_id_2``. Features named ``*_a_b`` / ``*_a``
  are directional; all others are symmetric (swapping a and b leaves the value unchanged).
* Missing data is NaN, never 0: a text feature is NaN when either card's field is null or has no
  word tokens; a ratio is NaN when its denominator is 0; a structured feature is NaN when either
  side lacks the value.
"""

from __future__ import annotations

from dataclasses import dataclass

from featurestore.registry import FeatureSpec

#: Text fields compared pairwise: prefix -> what text it is.
TEXT_FIELDS: dict[str, str] = {
    "title": "title (title_clean when present)",
    "desc": "description (description_clean when present)",
    "text": "title + newline + description (cleaned when present)",
    "attrs": "attribute dict rendered as 'key value' lines, keys sorted",
}
#: Fields of the core set (the demo's first slice).
CORE_FIELDS = ("title", "desc")
#: Long fields: partial_ratio and WRatio cost ~0.5 ms / ~0.15 ms per pair on a 300-character
#: description (10-20x everything else together), so on these fields they are only in the
#: "exhaustive" set; "full" has them on the short fields.
LONG_FIELDS = ("desc", "text")
CHAR_NS = tuple(range(1, 8))
WORD_NS = (1, 2, 3)
CATEGORY_LEVELS = (1, 2, 3, 4)
#: Single-vector embedding spaces get one cosine each; "photo" gets main / max / mean.
PHOTO_SPACE = "photo"

FULL = "full"
CORE = "core"
#: "full" plus partial_ratio and WRatio on the long fields: every feature the catalogue lists, for
#: every text field, at a fraction of the speed.
EXHAUSTIVE = "exhaustive"
ITEMS = "items"
PAIR_SETS = (CORE, FULL, EXHAUSTIVE)


@dataclass(frozen=True)
class Row:
    """One catalogue row (internal): the spec data plus what computes it."""

    name: str
    description: str
    sets: tuple[str, ...]
    group: str  # which computation produces it (see pairs.py)
    symmetric: bool
    version: str = "1"
    model_key: str | None = None
    dtype: str = "float32"


def _text_rows(f: str) -> list[Row]:
    """All pairwise rows for text field prefix ``f``, in output order."""
    what = TEXT_FIELDS[f]
    core = f in CORE_FIELDS
    both = (CORE, FULL) if core else (FULL,)
    full = (FULL,)
    rows = [
        Row(
            f"{f}_bm25_a_b",
            f"BM25 Okapi (k1=1.5, b=0.75, eps=0.25) of a's {what} tokens as query against b's "
            "document; corpus = distinct non-empty texts of the items table",
            both,
            "bm25",
            False,
        ),
        Row(
            f"{f}_bm25_b_a",
            f"BM25 of b's {what} as query against a's document",
            both,
            "bm25",
            False,
        ),
        Row(
            f"{f}_bm25_norm_a_b",
            f"{f}_bm25_a_b divided by BM25 of a against itself (NaN when that is 0)",
            both,
            "bm25",
            False,
        ),
        Row(
            f"{f}_bm25_norm_b_a",
            f"{f}_bm25_b_a divided by BM25 of b against itself (NaN when that is 0)",
            both,
            "bm25",
            False,
        ),
        Row(
            f"{f}_tfidf_word_cos",
            f"cosine of TF-IDF vectors of word 1-2 grams of {what} (smooth idf over items)",
            full,
            "tfidf",
            True,
        ),
        Row(
            f"{f}_tfidf_char_cos",
            f"cosine of TF-IDF vectors of lower-cased character 3-5 grams of {what}",
            full,
            "char_ngrams",
            True,
        ),
    ]
    for n in CHAR_NS:
        sets = both if n == 3 else full
        rows.append(
            Row(
                f"{f}_char{n}_iou",
                f"Jaccard (IoU) of the sets of lower-cased character {n}-grams of {what} "
                "(NaN when both sets are empty)",
                sets,
                "char_ngrams",
                True,
            )
        )
    rows.append(
        Row(
            f"{f}_char3_dice",
            f"Dice 2|A∩B|/(|A|+|B|) of character 3-gram sets of {what}",
            full,
            "char_ngrams",
            True,
        )
    )
    for n in WORD_NS:
        rows.append(
            Row(
                f"{f}_word{n}_iou",
                f"Jaccard (IoU) of the sets of word {n}-grams of {what} tokens",
                full,
                "word_ngrams",
                True,
            )
        )
    rows.append(
        Row(
            f"{f}_word_dice",
            f"Dice 2|A∩B|/(|A|+|B|) of word sets of {what}",
            full,
            "word_ngrams",
            True,
        )
    )
    rows += [
        Row(
            f"{f}_lcs_norm_a",
            f"longest common subsequence (rapidfuzz LCSseq) of lower-cased {what}, / len(a)",
            both,
            "lcs",
            False,
        ),
        Row(f"{f}_lcs_norm_b", f"LCS of lower-cased {what}, / len(b)", both, "lcs", False),
        Row(
            f"{f}_lcp",
            f"longest common prefix in characters (rapidfuzz Prefix) of lower-cased {what}",
            full,
            "lcs",
            True,
        ),
        Row(
            f"{f}_lcp_norm",
            f"{f}_lcp / min(len(a), len(b))",
            full,
            "lcs",
            True,
        ),
    ]
    for short, scorer in (
        ("ratio", "fuzz.ratio"),
        ("partial_ratio", "fuzz.partial_ratio"),
        ("token_sort_ratio", "fuzz.token_sort_ratio"),
        ("token_set_ratio", "fuzz.token_set_ratio"),
        ("wratio", "fuzz.WRatio"),
        ("jaro_winkler", "distance.JaroWinkler.similarity"),
    ):
        slow = short in ("partial_ratio", "wratio") and f in LONG_FIELDS
        name = f"{f}_jaro_winkler" if short == "jaro_winkler" else f"{f}_fuzz_{short}"
        # partial_ratio and WRatio are not exactly symmetric in rapidfuzz for equal-length inputs.
        sym = short not in ("partial_ratio", "wratio")
        rows.append(
            Row(
                name,
                f"rapidfuzz {scorer}(a, b) on lower-cased {what}",
                (EXHAUSTIVE,) if slow else full,
                "fuzzy",
                sym,
            )
        )
    rows += [
        Row(
            f"{f}_len_chars_ratio", f"min/max of character lengths of {what}", full, "lengths", True
        ),
        Row(
            f"{f}_len_chars_absdiff",
            f"|len(a) - len(b)| in characters of {what}",
            full,
            "lengths",
            True,
        ),
        Row(f"{f}_len_words_ratio", f"min/max of word counts of {what}", full, "lengths", True),
        Row(f"{f}_len_words_absdiff", f"|words(a) - words(b)| of {what}", full, "lengths", True),
    ]
    if f != "attrs":
        rows += [
            Row(
                f"{f}_units_match",
                f"count of (dimension, normalised value) quantities with units found in both {what} "
                "(500 мл == 0,5 л, 1 кг == 1000 г)",
                full,
                "units",
                True,
            ),
            Row(
                f"{f}_units_conflict",
                f"count of dimensions (volume, mass, length, memory, power, ...) quantified in both "
                f"{what} with no common value",
                full,
                "units",
                True,
            ),
        ]
    rows += [
        Row(
            f"{f}_antiwords_idf_a",
            f"sum of idf of a's distinct words absent from b ({what}; Avito 'anti-words')",
            full,
            "antiwords",
            False,
        ),
        Row(
            f"{f}_antiwords_idf_b",
            f"sum of idf of b's distinct words absent from a ({what})",
            full,
            "antiwords",
            False,
        ),
        Row(
            f"{f}_antiwords_share_a",
            f"{f}_antiwords_idf_a / sum of idf of all a's distinct words",
            full,
            "antiwords",
            False,
        ),
        Row(
            f"{f}_antiwords_share_b",
            f"{f}_antiwords_idf_b / sum of idf of all b's distinct words",
            full,
            "antiwords",
            False,
        ),
    ]
    return rows


def _structured_rows() -> list[Row]:
    full = (FULL,)
    rows = [
        Row(
            "title_broken_share_absdiff",
            "|a - b| of title_broken_share (share of homoglyph-broken words, from textclean)",
            full,
            "broken",
            True,
        ),
        Row(
            "desc_broken_share_absdiff", "|a - b| of description_broken_share", full, "broken", True
        ),
    ]
    for lvl in CATEGORY_LEVELS:
        rows.append(
            Row(
                f"cat_match_l{lvl}",
                f"1 if category paths agree on every level up to {lvl}, else 0; NaN if either "
                f"path is shorter than {lvl}",
                full,
                "category",
                True,
            )
        )
    rows += [
        Row(
            "cat_common_depth",
            "number of leading category levels the two paths share",
            full,
            "category",
            True,
        ),
        Row("attr_key_jaccard", "Jaccard of the attribute key sets", full, "attributes", True),
        Row(
            "attr_shared_keys", "number of attribute keys present in both", full, "attributes", True
        ),
        Row(
            "attr_value_exact_share",
            "share of shared keys whose values are equal (case-insensitive); NaN if none shared",
            full,
            "attributes",
            True,
        ),
        Row(
            "attr_value_fuzzy_share",
            "share of shared keys whose values have rapidfuzz ratio >= 80 (case-insensitive)",
            full,
            "attributes",
            True,
        ),
        Row(
            "attr_value_exact_weighted",
            "exact value matches on shared keys weighted by key informativeness log(1 + distinct "
            "values of the key within a's leaf category), / total weight of shared keys",
            full,
            "attributes",
            True,
        ),
        Row(
            "price_ratio",
            "min/max of prices (NaN if either missing or max <= 0)",
            full,
            "price",
            True,
        ),
        Row(
            "price_log_absdiff",
            "|log1p(price_a) - log1p(price_b)| (NaN if either missing)",
            full,
            "price",
            True,
        ),
        Row(
            "same_seller", "1 if seller_id equal else 0; NaN if either missing", full, "same", True
        ),
        Row("same_city", "1 if city equal else 0; NaN if either missing", full, "same", True),
        Row("same_region", "1 if region equal else 0; NaN if either missing", full, "same", True),
    ]
    return rows


def _embedding_rows(spaces: tuple[str, ...] | list[str]) -> list[Row]:
    rows = []
    both = (CORE, FULL)
    for space in sorted(spaces):
        if space == PHOTO_SPACE:
            rows += [
                Row(
                    "emb_photo_main_cos",
                    "cosine of the main-photo (photo_index 0) embeddings; NaN if either has none",
                    both,
                    "embeddings",
                    True,
                ),
                Row(
                    "emb_photo_max_cos",
                    "max cosine over all photo pairs of a x b",
                    (FULL,),
                    "embeddings",
                    True,
                ),
                Row(
                    "emb_photo_mean_cos",
                    "mean cosine over all photo pairs of a x b",
                    (FULL,),
                    "embeddings",
                    True,
                ),
            ]
        else:
            rows.append(
                Row(
                    f"emb_{space}_cos",
                    f"cosine of the '{space}' embeddings (photo_index 0); NaN if either has none",
                    both,
                    "embeddings",
                    True,
                )
            )
    return rows


def pair_catalogue(spaces: tuple[str, ...] | list[str] = ()) -> list[Row]:
    """Every pairwise feature row, in output order, for the given embedding spaces."""
    rows: list[Row] = []
    for f in TEXT_FIELDS:
        rows += _text_rows(f)
    rows += _structured_rows()
    rows += _embedding_rows(tuple(spaces))
    return rows


def pair_rows(feature_set: str, spaces: tuple[str, ...] | list[str] = ()) -> list[Row]:
    """The catalogue rows that belong to ``feature_set``, in output order."""
    if feature_set not in PAIR_SETS:
        raise ValueError(f"unknown pair feature set {feature_set!r}; known: {', '.join(PAIR_SETS)}")
    # the exhaustive set is the full set plus its own rows (kept in catalogue order)
    wanted = (FULL, EXHAUSTIVE) if feature_set == EXHAUSTIVE else (feature_set,)
    return [r for r in pair_catalogue(spaces) if any(w in r.sets for w in wanted)]


def _spec(r: Row, feature_set: str) -> FeatureSpec:
    direction = "symmetric" if r.symmetric else "directional"
    return FeatureSpec(
        name=r.name,
        dtype=r.dtype,
        description=f"{r.description} [{direction}]",
        feature_set=feature_set,
        version=r.version,
        model_key=r.model_key,
    )


def feature_specs(feature_set: str, spaces: tuple[str, ...] | list[str] = ()) -> list[FeatureSpec]:
    """Registry rows for every output column of ``feature_set``.

    ``feature_set`` is a pair set ("core", "full") or "items" (per-item features; ``spaces`` then
    adds the joined-in embedding columns).
    """
    if feature_set == ITEMS:
        from featurestore.features.items import item_rows

        return [_spec(r, ITEMS) for r in item_rows(spaces)]
    return [_spec(r, feature_set) for r in pair_rows(feature_set, spaces)]
