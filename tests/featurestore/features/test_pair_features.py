"""Pairwise features against reference implementations (rank_bm25, rapidfuzz, Python sets)."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, LCSseq, Prefix

from featurestore.features import (
    compute_pair_features,
    feature_specs,
    pair_feature_schema,
    pair_features,
)
from featurestore.features.specs import pair_rows
from featurestore.features.tokens import tokenize

WORDS = [
    "смартфон",
    "apple",
    "iphone",
    "13",
    "128",
    "гб",
    "чёрный",
    "новый",
    "телефон",
    "чехол",
    "samsung",
    "galaxy",
    "кабель",
    "usb",
    "500",
    "мл",
    "0,5",
    "л",
    "вода",
    "1",
    "кг",
    "сахар",
    "красный",
    "синий",
]


def _text(rng: random.Random, k: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(k))


@pytest.fixture(scope="module")
def data():
    rng = random.Random(7)
    n = 40
    # "товар" in most titles: its idf is negative, exercising rank_bm25's epsilon floor
    titles = [
        ("товар " if rng.random() < 0.7 else "") + _text(rng, rng.randint(1, 6)) for _ in range(n)
    ]
    titles[3] = None  # null
    titles[4] = "  "  # no tokens
    titles[5] = titles[6]  # duplicate text
    descs = [
        ("товар " if rng.random() < 0.7 else "") + _text(rng, rng.randint(3, 15)) for _ in range(n)
    ]
    descs[7] = None
    cats = [
        ["Электроника", rng.choice(["Телефоны", "Аксессуары"]), rng.choice(["A", "B"])]
        for _ in range(n)
    ]
    cats[8] = None
    attrs = [
        json.dumps(
            {
                "цвет": rng.choice(["красный", "Красный ", "синий"]),
                "память": rng.choice(["128", "256"]),
            }
        )
        for _ in range(n)
    ]
    attrs[9] = None
    items = pl.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(n)],
            "title": titles,
            "description": descs,
            "category_path": cats,
            "attributes": attrs,
            "price": [float(rng.choice([0, 10, 100, 999])) if i != 10 else None for i in range(n)],
            "seller_id": [rng.choice(["s1", "s2"]) if i != 11 else None for i in range(n)],
            "city": [rng.choice(["Москва", "Казань"]) for _ in range(n)],
        },
        schema_overrides={"category_path": pl.List(pl.String)},
    )
    p1 = [f"i{rng.randrange(n)}" for _ in range(150)]
    p2 = [f"i{rng.randrange(n)}" for _ in range(150)]
    pairs = pl.DataFrame(
        {"item_id_1": p1, "item_id_2": p2, "label": [rng.choice([0, 1]) for _ in p1]}
    )
    pairs = pairs.unique(["item_id_1", "item_id_2"], maintain_order=True)
    return items, pairs


def _lookup(items, col):
    return dict(zip(items["item_id"], items[col], strict=True))


def _valid(t):
    return t is not None and len(tokenize(t)) > 0


def test_bm25_equals_rank_bm25(data):
    items, pairs = data
    out = compute_pair_features(items, pairs, feature_set="core", chunk_rows=37)
    titles = _lookup(items, "title")
    distinct = list(dict.fromkeys(t.lower() for t in items["title"] if _valid(t)))
    bm = BM25Okapi([tokenize(t) for t in distinct])
    # the corpus must exercise rank_bm25's epsilon floor for negative idf
    df = {}
    for t in distinct:
        for w in set(tokenize(t)):
            df[w] = df.get(w, 0) + 1
    assert any(f > len(distinct) / 2 for f in df.values())
    doc = {t: i for i, t in enumerate(distinct)}
    checked = 0
    for a, b, ab, ba, nab in out.select(
        "item_id_1", "item_id_2", "title_bm25_a_b", "title_bm25_b_a", "title_bm25_norm_a_b"
    ).iter_rows():
        ta, tb = titles[a], titles[b]
        if not (_valid(ta) and _valid(tb)):
            assert math.isnan(ab) and math.isnan(ba)
            continue
        ref_ab = bm.get_batch_scores(tokenize(ta), [doc[tb.lower()]])[0]
        ref_ba = bm.get_batch_scores(tokenize(tb), [doc[ta.lower()]])[0]
        self_a = bm.get_batch_scores(tokenize(ta), [doc[ta.lower()]])[0]
        # output is float32: compare the float64 internals separately below; here 1e-6 relative
        assert ab == pytest.approx(ref_ab, rel=1e-6, abs=1e-6)
        assert ba == pytest.approx(ref_ba, rel=1e-6, abs=1e-6)
        if self_a != 0:
            assert nab == pytest.approx(ref_ab / self_a, rel=1e-5, abs=1e-6)
        checked += 1
    assert checked > 50


def test_bm25_internal_float64_within_1e9(data):
    from featurestore.features.text import FieldIndex, pair_dot

    items, _ = data
    ix = FieldIndex(items["description"])
    q, w, _ = ix.bm25
    bm = BM25Okapi([tokenize(t) for t in ix.doc_text])
    d = np.arange(ix.n_docs)
    for a in range(ix.n_docs):
        ours = pair_dot(q, w, np.full(ix.n_docs, a), d)
        ref = bm.get_scores(tokenize(ix.doc_text[a]))
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)


def test_rapidfuzz_features_equal_per_pair_calls(data):
    items, pairs = data
    out = compute_pair_features(items, pairs, feature_set="full", workers=2)
    titles = _lookup(items, "title")
    scorers = {
        "title_fuzz_ratio": fuzz.ratio,
        "title_fuzz_partial_ratio": fuzz.partial_ratio,
        "title_fuzz_token_sort_ratio": fuzz.token_sort_ratio,
        "title_fuzz_token_set_ratio": fuzz.token_set_ratio,
        "title_fuzz_wratio": fuzz.WRatio,
        "title_jaro_winkler": JaroWinkler.similarity,
    }
    for row in out.iter_rows(named=True):
        ta, tb = titles[row["item_id_1"]], titles[row["item_id_2"]]
        if not (_valid(ta) and _valid(tb)):
            assert all(math.isnan(row[k]) for k in scorers)
            continue
        a, b = ta.lower(), tb.lower()
        for name, fn in scorers.items():
            assert row[name] == pytest.approx(fn(a, b), abs=1e-4), name
        lcs = LCSseq.similarity(a, b)
        assert row["title_lcs_norm_a"] == pytest.approx(lcs / len(a), abs=1e-6)
        assert row["title_lcs_norm_b"] == pytest.approx(lcs / len(b), abs=1e-6)
        assert row["title_lcp"] == Prefix.similarity(a, b)


def _char_set(t, n):
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def _word_set(t, n):
    w = tokenize(t)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def _iou(a, b):
    u = len(a | b)
    return len(a & b) / u if u else math.nan


def test_ngram_iou_equals_python_sets(data):
    items, pairs = data
    out = compute_pair_features(items, pairs, feature_set="full")
    descs = _lookup(items, "description")
    for row in out.iter_rows(named=True):
        ta, tb = descs[row["item_id_1"]], descs[row["item_id_2"]]
        if not (_valid(ta) and _valid(tb)):
            assert math.isnan(row["desc_char3_iou"])
            continue
        a, b = ta.lower(), tb.lower()
        for n in range(1, 8):
            assert row[f"desc_char{n}_iou"] == pytest.approx(
                _iou(_char_set(a, n), _char_set(b, n)), abs=1e-6, nan_ok=True
            )
        for n in (1, 2, 3):
            assert row[f"desc_word{n}_iou"] == pytest.approx(
                _iou(_word_set(a, n), _word_set(b, n)), abs=1e-6, nan_ok=True
            )
        sa, sb = _char_set(a, 3), _char_set(b, 3)
        assert row["desc_char3_dice"] == pytest.approx(
            2 * len(sa & sb) / (len(sa) + len(sb)), abs=1e-6
        )


def _dense_tfidf(grams: list[list]) -> tuple[np.ndarray, np.ndarray]:
    """Reference TF-IDF (raw counts x smooth idf, rows L2-normalised) and the rows' norms."""
    vocab = sorted({g for gs in grams for g in gs})
    col = {g: i for i, g in enumerate(vocab)}
    tf = np.zeros((len(grams), len(vocab)))
    for r, gs in enumerate(grams):
        for g in gs:
            tf[r, col[g]] += 1
    df = (tf > 0).sum(0)
    m = tf * (np.log((1 + len(grams)) / (1 + df)) + 1)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0), norms


def test_tfidf_cosine_matches_dense_reference(data):
    items, pairs = data
    out = compute_pair_features(items, pairs, feature_set="full")
    distinct = list(dict.fromkeys(t.lower() for t in items["title"] if _valid(t)))
    grams = [
        [(g,) for g in tokenize(t)]
        + [tuple(tokenize(t)[i : i + 2]) for i in range(len(tokenize(t)) - 1)]
        for t in distinct
    ]
    m, _ = _dense_tfidf(grams)
    doc = {t: i for i, t in enumerate(distinct)}
    titles = _lookup(items, "title")
    for row in out.iter_rows(named=True):
        ta, tb = titles[row["item_id_1"]], titles[row["item_id_2"]]
        if _valid(ta) and _valid(tb):
            ref = float(m[doc[ta.lower()]] @ m[doc[tb.lower()]])
            assert row["title_tfidf_word_cos"] == pytest.approx(ref, abs=1e-5)


def test_symmetric_features_are_symmetric(data):
    items, pairs = data
    swapped = pairs.select(
        pl.col("item_id_2").alias("item_id_1"), pl.col("item_id_1").alias("item_id_2"), "label"
    )
    a = compute_pair_features(items, pairs, feature_set="full")
    b = compute_pair_features(items, swapped, feature_set="full")
    for r in pair_rows("full"):
        x, y = a[r.name].to_numpy(), b[r.name].to_numpy()
        if r.symmetric:
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5, err_msg=r.name)
    np.testing.assert_allclose(
        a["title_bm25_a_b"].to_numpy(), b["title_bm25_b_a"].to_numpy(), rtol=1e-6
    )


def test_null_and_empty_fields_give_nan(data):
    items, _ = data
    pairs = pl.DataFrame(
        {"item_id_1": ["i3", "i4", "i7", "i8", "i9", "i10", "i11"], "item_id_2": ["i0"] * 7}
    )
    out = compute_pair_features(items, pairs, feature_set="full")
    title = [c for c in out.columns if c.startswith("title_") and "broken" not in c]
    for c in title:
        assert np.isnan(out[c][0]) and np.isnan(out[c][1]), c  # null / whitespace-only title
    assert all(
        np.isnan(out[c][2]) for c in out.columns if c.startswith("desc_") and "broken" not in c
    )
    assert np.isnan(out["cat_match_l1"][3]) and np.isnan(out["cat_common_depth"][3])
    assert np.isnan(out["attr_key_jaccard"][4])
    assert np.isnan(out["price_ratio"][5]) and np.isnan(out["same_seller"][6])
    # broken-share columns are absent from items -> NaN, not 0
    assert out["title_broken_share_absdiff"].is_nan().all()


def test_structured_values(data):
    items = pl.DataFrame(
        {
            "item_id": ["a", "b"],
            "category_path": [["X", "Y", "Z"], ["X", "Y", "W", "V"]],
            "attributes": [
                json.dumps({"цвет": "Красный", "память": "128"}),
                json.dumps({"Цвет": "красный ", "вес": "1"}),
            ],
            "price": [100.0, 50.0],
            "seller_id": ["s", "s"],
            "city": ["M", "K"],
        }
    )
    out = compute_pair_features(items, pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"]})).row(
        0, named=True
    )
    assert (out["cat_match_l1"], out["cat_match_l2"], out["cat_match_l3"]) == (1.0, 1.0, 0.0)
    assert math.isnan(out["cat_match_l4"]) and out["cat_common_depth"] == 2
    assert out["attr_key_jaccard"] == pytest.approx(1 / 3)
    assert out["attr_shared_keys"] == 1 and out["attr_value_exact_share"] == 1.0
    assert out["price_ratio"] == 0.5
    assert out["price_log_absdiff"] == pytest.approx(abs(math.log1p(100) - math.log1p(50)))
    assert (out["same_seller"], out["same_city"]) == (1.0, 0.0)
    assert math.isnan(out["same_region"])


def test_attribute_keys_equal_after_lower_casing_are_one_key():
    """{"Color": .., "color ": ..} is one key with the last value (it used to crash the run)."""
    items = pl.DataFrame(
        {
            "item_id": ["a", "b"],
            "attributes": [
                json.dumps({"Color": "Red", "color ": "Blue", "size": "M"}),
                json.dumps({"color": "blue", "size": "L"}),
            ],
        }
    )
    out = compute_pair_features(items, pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"]})).row(
        0, named=True
    )
    assert out["attr_key_jaccard"] == 1.0 and out["attr_shared_keys"] == 2
    assert out["attr_value_exact_share"] == 0.5


def _python_quantities(text: str) -> set[tuple[str, float]]:
    """Reference: Python's re with look-around, one text at a time."""
    import re

    from featurestore.features.units import _UNIT_ALT, UNITS

    pattern = rf"(?<![\w.,])(\d+(?:[.,]\d+)?)\s?({_UNIT_ALT})(?!\w)"
    out = set()
    for num, unit in re.findall(pattern, text.lower()):
        dim, factor = UNITS[unit]
        out.add((dim, float(f"{float(num.replace(',', '.')) * factor:.6g}")))
    return out


def test_quantities_match_python_regex_reference():
    """The polars pass (no look-around) finds exactly what Python's look-around regex finds."""
    from featurestore.features.units import UNITS, quantities

    rng = random.Random(5)
    numbers = ["1", "25", "0,5", "1.5", "3.", ",7", "12345678", "1.2.3", "x1"]
    seps = ["", " ", "  ", "\t", "-"]
    others = ["литрах", "мм2", "ГБ", "Kg", "a", "x", ".", ",", "(", ")", " ", "  "]

    def chunk() -> str:
        if rng.random() < 0.6:  # a number, a separator and a unit, with a word glued on sometimes
            tail = rng.choice(["", "", "", "a", "2", "."])
            return rng.choice(numbers) + rng.choice(seps) + rng.choice(list(UNITS)) + tail
        return rng.choice(others)

    texts = [
        "".join(chunk() + rng.choice(["", " ", " "]) for _ in range(rng.randint(0, 8)))
        for _ in range(3000)
    ]
    got = quantities(pl.Series(texts))
    by_row: dict[int, set] = {}
    for row, dim, value in got.iter_rows():
        by_row.setdefault(row, set()).add((dim, value))
    found = 0
    for i, t in enumerate(texts):
        want = _python_quantities(t)
        found += len(want)
        assert by_row.get(i, set()) == want, (t, by_row.get(i), want)
    assert found > 1000  # the generated texts do exercise the pattern


def test_units_table():
    from featurestore.features.units import extract_quantities as q

    cases = [
        ("Вода 500 мл", "вода 0,5 л", True),
        ("сахар 1 кг", "1000 г сахара", True),
        ("1.5 л", "1500ml", True),
        ("iPhone 128 ГБ", "iphone 128gb", True),
        ("SSD 1 ТБ", "SSD 1024 гб", True),
        ("кабель 2 м", "кабель 200 см", True),
        ("чайник 2000 Вт", "2 кВт", True),
        ("500 мл", "5 л", False),
        ("128 гб", "256 гб", False),
    ]
    for a, b, same in cases:
        assert (q(a) == q(b)) is same, (a, b, q(a), q(b))
    assert q("2 в 1") == set() and q(None) == set()
    items = pl.DataFrame(
        {"item_id": ["a", "b", "c"], "title": ["вода 0,5 л 2 шт", "вода 500 мл 3 шт", "вода 1 л"]}
    )
    out = compute_pair_features(
        items, pl.DataFrame({"item_id_1": ["a", "a"], "item_id_2": ["b", "c"]})
    )
    assert out["title_units_match"].to_list() == [1.0, 0.0]
    assert out["title_units_conflict"].to_list() == [1.0, 1.0]


def test_embeddings_against_bruteforce():
    rng = np.random.default_rng(0)
    ids = ["a", "b", "c"]
    photos = pl.DataFrame(
        {
            "item_id": ["a", "a", "a", "b", "b"],
            "photo_index": pl.Series([0, 1, 2, 1, 0], dtype=pl.Int16),
            "embedding": rng.normal(size=(5, 8)).astype(np.float32).tolist(),
        }
    ).with_columns(pl.col("embedding").cast(pl.Array(pl.Float16, 8)))
    items = pl.DataFrame({"item_id": ids, "title": ["x", "y", "z"]})
    pairs = pl.DataFrame({"item_id_1": ["a", "a"], "item_id_2": ["b", "c"]})
    out = compute_pair_features(items, pairs, {"photo": photos}, feature_set="full")
    v = photos["embedding"].cast(pl.Array(pl.Float32, 8)).to_numpy()
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    cos = v[:3] @ v[3:].T
    assert out["emb_photo_main_cos"][0] == pytest.approx(cos[0, 1], abs=1e-5)
    assert out["emb_photo_max_cos"][0] == pytest.approx(cos.max(), abs=1e-5)
    assert out["emb_photo_mean_cos"][0] == pytest.approx(cos.mean(), abs=1e-5)
    assert np.isnan(out["emb_photo_max_cos"][1])


def test_unknown_duplicate_and_self_pairs(data):
    items, _ = data
    pairs = pl.DataFrame(
        {"item_id_1": ["i0", "i0", "zz", "i1", "i2"], "item_id_2": ["i1", "i1", "i1", "i1", "yy"]}
    )
    with pytest.raises(ValueError, match=r"2 rows name item ids not in items.*zz"):
        pair_features(items, pairs)
    s = pair_features(items, pairs, on_unknown="drop", feature_set="core")
    assert s.stats.as_dict() == {
        "rows_in": 5,
        "rows_out": 2,
        "unknown_dropped": 2,
        "self_pairs": 1,
        "duplicate_pairs": 1,
    }
    assert sum(t.num_rows for t in s) == 2


def test_schema_specs_and_chunking(data):
    items, pairs = data
    s = pair_features(items, pairs, feature_set="full", chunk_rows=16)
    tables = list(s)
    assert all(t.schema == pair_feature_schema("full") for t in tables)
    assert [sp.name for sp in feature_specs("full")] == s.schema.names[3:]
    assert len({sp.name for sp in feature_specs("full")}) == len(feature_specs("full"))
    whole = compute_pair_features(items, pairs, feature_set="full", chunk_rows=10_000)
    chunked = pl.concat([pl.from_arrow(t) for t in tables])
    assert chunked.equals(whole)
    core = {sp.name for sp in feature_specs("core", ["title", "photo"])}
    assert {"title_bm25_a_b", "title_char3_iou", "desc_lcs_norm_a", "emb_title_cos"} <= core


def test_missing_optional_columns():
    items = pl.DataFrame({"item_id": ["a", "b"], "title": ["красный чайник", "чайник"]})
    out = compute_pair_features(items, pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"]}))
    assert out["title_char3_iou"][0] > 0
    assert np.isnan(out["desc_bm25_a_b"][0]) and np.isnan(out["price_ratio"][0])
    assert out["label"].is_null().all()


def test_cli_writes_parquet(tmp_path, data):
    import argparse

    from featurestore.features.cli import add_command

    items, pairs = data
    items.write_parquet(tmp_path / "items.parquet")
    pairs.write_parquet(tmp_path / "pairs.parquet")
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers())
    args = parser.parse_args(
        [
            "pair-features",
            "--items",
            str(tmp_path / "items.parquet"),
            "--pairs",
            str(tmp_path / "pairs.parquet"),
            "--out",
            str(tmp_path / "f.parquet"),
            "--feature-set",
            "core",
            "--chunk-rows",
            "20",
        ]
    )
    assert args.func(args) == 0
    table = pq.read_table(tmp_path / "f.parquet")
    assert (
        table.num_rows == pairs.height and table.schema.names == pair_feature_schema("core").names
    )


def test_cli_failure_keeps_the_earlier_output(tmp_path, data, monkeypatch):
    """A run that fails after its first chunk leaves the earlier --out as it was, and no temp file."""
    import argparse
    from types import SimpleNamespace

    import featurestore.features as features
    from featurestore.features.cli import add_command

    items, pairs = data
    items.write_parquet(tmp_path / "items.parquet")
    pairs.write_parquet(tmp_path / "pairs.parquet")
    (tmp_path / "f.parquet").write_bytes(b"earlier run")
    schema = pair_feature_schema("core")

    class FailingStream:
        def __init__(self, *args, **kwargs):
            self.schema = schema
            self.stats = SimpleNamespace(rows_out=2, as_dict=dict)

        def __iter__(self):
            yield schema.empty_table()
            raise RuntimeError("chunk 2 failed")

    monkeypatch.setattr(features, "pair_features", FailingStream)
    parser = argparse.ArgumentParser()
    add_command(parser.add_subparsers())
    args = parser.parse_args(
        ["pair-features", "--items", str(tmp_path / "items.parquet"), "--pairs"]
        + [str(tmp_path / "pairs.parquet"), "--out", str(tmp_path / "f.parquet")]
    )
    with pytest.raises(RuntimeError, match="chunk 2"):
        args.func(args)
    assert (tmp_path / "f.parquet").read_bytes() == b"earlier run"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "f.parquet",
        "items.parquet",
        "pairs.parquet",
    ]


def test_char_tfidf_cosine_matches_dense_reference(data):
    """Char 3-5-gram TF-IDF: raw counts x smooth idf over the distinct texts, L2-normalised."""
    items, pairs = data
    out = compute_pair_features(items, pairs, feature_set="full")
    distinct = list(dict.fromkeys(t.lower() for t in items["description"] if _valid(t)))
    grams = [[t[i : i + n] for n in (3, 4, 5) for i in range(len(t) - n + 1)] for t in distinct]
    m, norms = _dense_tfidf(grams)
    doc = {t: i for i, t in enumerate(distinct)}
    descs = _lookup(items, "description")
    checked = 0
    for row in out.iter_rows(named=True):
        ta, tb = descs[row["item_id_1"]], descs[row["item_id_2"]]
        if _valid(ta) and _valid(tb):
            a, b = doc[ta.lower()], doc[tb.lower()]
            if norms[a, 0] > 0 and norms[b, 0] > 0:
                ref = float(m[a] @ m[b])
                assert row["desc_tfidf_char_cos"] == pytest.approx(ref, abs=1e-6)
                checked += 1
        else:
            assert math.isnan(row["desc_tfidf_char_cos"])
    assert checked > 20


def test_wratio_branches_equal_rapidfuzz():
    """WRatio is assembled from other scores: check each of its length-ratio branches."""
    titles = [
        "apple iphone 13 128 гб",  # similar lengths to the next one (< 1.5)
        "iphone 13 apple 128 гб чёрный",
        "iphone 13",  # 1.5 .. 8 times shorter than the next one
        "смартфон apple iphone 13 128 гб чёрный",
        "usb",  # more than 8 times shorter than the next one
        "кабель usb type-c для зарядки телефона samsung galaxy чёрный 2 метра",
    ]
    items = pl.DataFrame({"item_id": [f"i{k}" for k in range(len(titles))], "title": titles})
    ids = [(a, b) for a in range(len(titles)) for b in range(len(titles)) if a != b]
    pairs = pl.DataFrame(
        {"item_id_1": [f"i{a}" for a, _ in ids], "item_id_2": [f"i{b}" for _, b in ids]}
    )
    out = compute_pair_features(items, pairs, feature_set="full")
    for (a, b), got in zip(ids, out["title_fuzz_wratio"], strict=True):
        assert got == pytest.approx(fuzz.WRatio(titles[a], titles[b]), abs=1e-4), (a, b)


def _fuzzy_reference_check(items, pairs, field, column, feature_set="full"):
    """Every rapidfuzz-based feature of ``field`` equals the scorer called on the two texts."""
    out = compute_pair_features(items, pairs, feature_set=feature_set, workers=2)
    texts = _lookup(items, column)
    scorers = {
        f"{field}_fuzz_ratio": fuzz.ratio,
        f"{field}_fuzz_token_sort_ratio": fuzz.token_sort_ratio,
        f"{field}_fuzz_token_set_ratio": fuzz.token_set_ratio,
        f"{field}_jaro_winkler": JaroWinkler.similarity,
    }
    if feature_set == "exhaustive":
        scorers[f"{field}_fuzz_partial_ratio"] = fuzz.partial_ratio
        scorers[f"{field}_fuzz_wratio"] = fuzz.WRatio
    checked = 0
    for row in out.iter_rows(named=True):
        ta, tb = texts[row["item_id_1"]], texts[row["item_id_2"]]
        if not (_valid(ta) and _valid(tb)):
            continue
        a, b = ta.lower(), tb.lower()
        for name, fn in scorers.items():
            assert row[name] == pytest.approx(fn(a, b), abs=1e-4), (name, a, b)
        assert row[f"{field}_lcs_norm_a"] == pytest.approx(LCSseq.similarity(a, b) / len(a))
        assert row[f"{field}_lcp"] == Prefix.similarity(a, b)
        checked += 1
    assert checked > 20


def test_rapidfuzz_features_on_descriptions(data):
    """Longer Cyrillic/Latin texts: the one-byte re-coding keeps every score (partial_ratio and
    WRatio on descriptions come with the exhaustive set)."""
    items, pairs = data
    _fuzzy_reference_check(items, pairs, "desc", "description", "exhaustive")


def test_exhaustive_set_is_full_plus_slow_scorers():
    from featurestore.features.specs import pair_rows

    full = [r.name for r in pair_rows("full")]
    exhaustive = [r.name for r in pair_rows("exhaustive")]
    extra = [n for n in exhaustive if n not in full]
    assert set(full) < set(exhaustive)
    assert [n for n in exhaustive if n in full] == full  # same order
    assert sorted(extra) == sorted(
        f"{f}_fuzz_{s}" for f in ("desc", "text") for s in ("partial_ratio", "wratio")
    )
    with pytest.raises(ValueError, match="known: core, full, exhaustive"):
        pair_rows("everything")


@pytest.mark.parametrize(
    ("spaces", "recoded"),
    [((" ", "  ", "\t", "\n"), True), (("\u2009", "\u3000", " "), False)],
)
def test_rapidfuzz_features_with_other_whitespace(data, spaces, recoded):
    """Tabs, newlines, runs of spaces are re-coded; thin / ideographic spaces are not (no
    Latin-1 code for them): both ways every score equals rapidfuzz on the texts as they are."""
    items, pairs = data
    rng = random.Random(3)
    descs = [
        None if d is None else d.replace(" ", rng.choice(spaces), 3) for d in items["description"]
    ]
    items = items.with_columns(pl.Series("description", descs))
    from featurestore.features.inputs import field_texts
    from featurestore.features.text import FieldIndex

    assert FieldIndex(field_texts(items, "desc")).fuzz_texts.recoded is recoded
    _fuzzy_reference_check(items, pairs, "desc", "description")


def test_byte_alphabet_keeps_order_equality_and_spaces():
    from featurestore.features.text import byte_alphabet

    text = "Ёж b\x01 яблоко\tzebra 10 €\n"
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint16)
    lut = byte_alphabet(cps)
    coded = lut[cps]
    chars = sorted(set(text))
    codes = [int(lut[ord(c)]) for c in chars]
    assert codes == sorted(codes) and len(set(codes)) == len(chars)  # monotone, one to one
    assert all(chr(c).isspace() == ch.isspace() for c, ch in zip(codes, chars, strict=True))
    assert coded[text.index(" ")] == 32
    assert byte_alphabet(np.arange(1000, 1300, dtype=np.uint16)) is None  # > 221 letters
    tab = np.frombuffer("a\u2009b".encode("utf-32-le"), dtype=np.uint32)
    assert byte_alphabet(tab) is None


def _py_key(text: str, i: int, n: int) -> int:
    """The kernels' n-gram key, in Python: FNV-1a-style hash of the code points, order on top."""
    h = 0xCBF29CE484222325
    for ch in text[i : i + n]:
        h = ((h ^ ord(ch)) * 0x100000001B3) % 2**64
    return (h & ((1 << 61) - 1)) | (n << 61)


def test_char_document_frequencies_exact_across_batches_and_growth():
    """The partitioned count equals a Python count, with batches and table growth forced."""
    from featurestore.features import kernels

    rng = random.Random(5)
    docs = [
        "".join(rng.choice("абвгдxyz 01") for _ in range(rng.randint(0, 40))) for _ in range(300)
    ]
    docs += ["ааааа", "ааааа", ""]  # repeats inside a document count once
    expected: dict[int, int] = {}
    for t in docs:
        for key in {_py_key(t, i, n) for n in (3, 4, 5) for i in range(len(t) - n + 1)}:
            expected[key] = expected.get(key, 0) + 1
    cps = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
    starts = np.r_[0, np.cumsum([len(t) for t in docs])].astype(np.int64)
    # ~1 document a batch, partition tables of 4 slots that must grow several times
    keys, vals, n = kernels.char_df_partitioned(cps, starts, 3, 5, 50, 2)
    got = {int(k): int(v) for k, v in zip(keys, vals, strict=True) if k != 0}
    assert n == len(expected) and got == expected


@pytest.mark.parametrize("astral", [False, True])
def test_field_index_tokens_equal_tokenize(astral):
    """The compiled token pass gives tokenize()'s tokens: same ids for the same word, same counts,
    no document for a text without a word (the UTF-16 and the 32-bit code point paths)."""
    from featurestore.features.text import FieldIndex

    texts = [
        "Вода 0,5 л",
        "вода 0,5 Л",  # the same document once lower-cased
        "!!! ...",  # no word: no document
        None,
        "",
        "и\u0306од x_y café ٣٤ Ⅻ",  # combining breve splits, underscore splits, other digits
        "A1b2\u00a0a1B2\tвода",
        "Straße STRASSE",
    ]
    if astral:
        texts.append("\U0001f600 emoji\U0001f600x 𝐀𝐁 ok")  # emoji and math bold letters
    ix = FieldIndex(pl.Series(texts, dtype=pl.String))
    docs, ids, vocab = ix._token_ids
    assert ix.codes[0].dtype == (np.uint32 if astral else np.uint16)
    word_of_id: dict[int, str] = {}
    for text, d in zip(texts, ix.doc_of_item.tolist(), strict=True):
        want = tokenize(text)
        if not want:
            assert d == -1, text
            continue
        got = ids[docs == d].tolist()
        assert len(got) == len(want) == ix.doc_words[d], text
        for i, w in zip(got, want, strict=True):
            assert word_of_id.setdefault(i, w) == w, (text, w)
    assert len(set(word_of_id.values())) == len(word_of_id) == vocab
    assert ix.doc_of_item[0] == ix.doc_of_item[1] and ix.n_docs == len(texts) - 4


def test_quantities_with_non_ascii_digits():
    """Full-width / Arabic-Indic digits are digits to the regex: "５００ мл" is 500 ml (the cast to
    float used to fail and crash the whole pair-feature run)."""
    from featurestore.features.units import extract_quantities as q

    assert q("вода ５００ мл") == q("вода 0,5 л") == {("volume", 500.0)}
    assert q("٣٤ кг") == {("mass", 34000.0)}
    items = pl.DataFrame({"item_id": ["a", "b"], "title": ["вода ５００ мл", "вода 0,5 л"]})
    out = compute_pair_features(items, pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"]}))
    assert out["title_units_match"].to_list() == [1.0]


def test_float_labels_with_nan_are_unknown():
    """pandas writes an int label column with missing values as float64 with NaN: NaN is an
    unknown label (null), 1.0 / 0.0 are 1 / 0 (the Int8 cast used to fail on NaN)."""
    items = pl.DataFrame({"item_id": ["a", "b", "c"], "title": ["x", "y", "z"]})
    pairs = pl.DataFrame(
        {"item_id_1": ["a", "a", "b"], "item_id_2": ["b", "c", "c"], "label": [1.0, math.nan, 0.0]}
    )
    out = compute_pair_features(items, pairs, feature_set="core")
    assert out["label"].to_list() == [1, None, 0]


@pytest.mark.parametrize("labels", [[1, 1000], [1.0, 0.5], [0, -1]])
def test_labels_other_than_0_1_are_an_error_naming_the_row(labels):
    # 1000 crashed with polars' Int8 cast error; 0.5 was truncated to 0 and -1 kept as a class.
    items = pl.DataFrame({"item_id": ["a", "b"], "title": ["x", "y"]})
    pairs = pl.DataFrame({"item_id_1": ["a", "b"], "item_id_2": ["b", "a"], "label": labels})
    with pytest.raises(ValueError, match=r"column 'label' must be 1, 0 or null; row 1 holds"):
        compute_pair_features(items, pairs, feature_set="core")
