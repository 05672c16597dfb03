"""Benchmark: pairwise features, vectorised vs a straightforward per-pair implementation.

Generates synthetic cards (fast numpy text from a Zipf-distributed pseudo-vocabulary, with numbers
and units, attributes, categories, prices) and random pairs, then reports in one run:

* pairs/s for the core set and the whole catalogue ("full") without embeddings and with cosine
  features from stored embeddings (title, text, photo with up to 3 photos per card);
* BM25 alone (4 directional scores per field x 4 fields) vs rank_bm25 per pair on a sample;
* the whole catalogue's text part vs a per-pair implementation (rank_bm25 get_batch_scores,
  rapidfuzz called per pair, Python sets for n-gram IoU) on a sample;
* peak RSS (ru_maxrss) of the process, and optionally a long streamed run (--stream-pairs).

Usage: python bench/pairs.py --items 200000 --pairs 1000000 --sample 2000 [--stream-pairs 5000000]
       python bench/pairs.py --items 200000 --sets none --sample 0 --stream-pairs 5000000  (memory)
Defaults are small (a few minutes on 2 busy cores). Our own synthetic text is used because the demo
generator (cardfeatures_data.demo) renders photos per card and is not meant for 200k cards.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import polars as pl


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def make_vocab(rng: np.random.Generator, n: int = 30_000) -> np.ndarray:
    cyr = np.array(list("абвгдеёжзийклмнопрстуфхцчшщыьэюя"))
    lat = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lens = rng.integers(2, 11, n)
    out = []
    for i, k in enumerate(lens):  # once per vocabulary word, not per card
        alpha = lat if i % 5 == 0 else cyr
        out.append("".join(rng.choice(alpha, k)))
    return np.array(out, dtype=object)


def make_texts(rng, vocab, n, lo, hi) -> list[str]:
    zipf = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    zipf /= zipf.sum()
    lens = rng.integers(lo, hi + 1, n)
    words = vocab[rng.choice(len(vocab), lens.sum(), p=zipf)]
    units = np.array(["мл", "л", "г", "кг", "гб", "см", "шт", "вт"], dtype=object)
    qty = rng.integers(1, 1000, n).astype(str).astype(object) + " " + units[rng.integers(0, 8, n)]
    frame = pl.DataFrame({"doc": np.repeat(np.arange(n), lens), "w": words.tolist()})
    joined = frame.group_by("doc", maintain_order=True).agg(pl.col("w").str.join(" "))["w"]
    return (joined + pl.Series(" " + qty)).to_list()


def make_cards(n_items: int, seed: int = 0, copy_descriptions: bool = False) -> pl.DataFrame:
    """Synthetic cards; every second card is a near duplicate of the one before: its title
    copied (every other time with one word added). ``copy_descriptions``: its description too,
    with one word added, as re-listed cards usually have; otherwise the description is unrelated
    (the bench's figures up to session 4)."""
    rng = np.random.default_rng(seed)
    vocab = make_vocab(rng)
    titles = make_texts(rng, vocab, n_items, 3, 9)
    descs = make_texts(rng, vocab, n_items, 15, 60)
    for i in range(1, n_items, 2):
        titles[i] = titles[i - 1] if i % 4 == 1 else titles[i - 1] + " " + vocab[i % len(vocab)]
        if copy_descriptions:
            descs[i] = descs[i - 1] + " " + vocab[(i * 7) % len(vocab)]
    colors = np.array(["красный", "синий", "чёрный", "белый"])
    attrs = [
        json.dumps({"цвет": colors[i % 4], "модель": f"m{i % 5000}", "вес": str(i % 37)})
        for i in range(n_items)
    ]
    top = rng.integers(0, 10, n_items)
    mid = rng.integers(0, 8, n_items)
    return pl.DataFrame(
        {
            "item_id": [f"it{i}" for i in range(n_items)],
            "title": titles,
            "description": descs,
            "category_path": [[f"c{t}", f"c{t}.{m}"] for t, m in zip(top, mid, strict=True)],
            "attributes": attrs,
            "price": rng.lognormal(7, 1.5, n_items).round(0),
            "seller_id": rng.integers(0, n_items // 10 + 1, n_items).astype(str),
            "city": rng.integers(0, 50, n_items).astype(str),
        }
    )


def make_pairs(n_items: int, n_pairs: int, seed: int = 1) -> pl.DataFrame:
    """``n_pairs`` distinct ordered pairs: each draw is a near duplicate (the card and its edited
    copy, a ^ 1) with probability 1/2, else a random card. There are only ``n_items`` distinct
    near pairs, so repeated draws are dropped and the rest topped up with more draws: with many
    pairs per card most of them are random (1M pairs over 200k cards: ~20% near duplicates)."""
    rng = np.random.default_rng(seed)
    got = pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64, "label": pl.Int8})
    while got.height < n_pairs:
        k = n_pairs
        a = rng.integers(0, n_items, k)
        near = rng.random(k) < 0.5
        b = np.where(near, a ^ 1, rng.integers(0, n_items, k)) % n_items
        more = pl.DataFrame({"a": a, "b": b, "label": near.astype(np.int8)})
        got = pl.concat([got, more]).unique(["a", "b"], keep="first", maintain_order=True)
    got = got.head(n_pairs)
    return pl.DataFrame(
        {
            "item_id_1": got["a"].cast(pl.String).str.replace("^", "it"),
            "item_id_2": got["b"].cast(pl.String).str.replace("^", "it"),
            "label": got["label"],
        }
    )


def make_vectors(items: pl.DataFrame, dim: int, seed: int = 2) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n = items.height
    out = {}
    for space in ("title", "text"):
        v = rng.normal(size=(n, dim)).astype(np.float16)
        out[space] = pl.DataFrame(
            {
                "item_id": items["item_id"],
                "photo_index": pl.Series(np.zeros(n), dtype=pl.Int16),
                "embedding": pl.Series(v).cast(pl.Array(pl.Float16, dim)),
            }
        )
    k = rng.integers(1, 4, n)
    v = rng.normal(size=(int(k.sum()), dim)).astype(np.float16)
    out["photo"] = pl.DataFrame(
        {
            "item_id": np.repeat(items["item_id"].to_numpy(), k),
            "photo_index": pl.Series(np.concatenate([np.arange(x) for x in k]), dtype=pl.Int16),
            "embedding": pl.Series(v).cast(pl.Array(pl.Float16, dim)),
        }
    )
    return out


def run_set(items, pairs, vectors, feature_set, chunk_rows, workers) -> tuple[float, int, dict]:
    from featurestore.features import pair_features

    t0 = time.perf_counter()
    n = 0
    stream = pair_features(
        items, pairs, vectors, feature_set=feature_set, chunk_rows=chunk_rows, workers=workers
    )
    for t in stream:
        n += t.num_rows
    secs = time.perf_counter() - t0
    groups = ", ".join(f"{g} {s:.1f}s" for g, s in stream.timings.items())
    print(f"  {feature_set} time by feature group: {groups}")
    return secs, n, dict(stream.timings)


def pair_rows(items: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` with the items-table row of each side (columns r1, r2)."""
    ids = pl.DataFrame({"item_id": items["item_id"]}).with_row_index("r")
    p = pairs.join(ids.rename({"item_id": "item_id_1", "r": "r1"}), on="item_id_1").join(
        ids.rename({"item_id": "item_id_2", "r": "r2"}), on="item_id_2"
    )
    return p


def bench_bm25(items, pairs, sample: int) -> None:
    from rank_bm25 import BM25Okapi

    from featurestore.features import pairtext
    from featurestore.features.inputs import field_texts
    from featurestore.features.specs import TEXT_FIELDS
    from featurestore.features.text import FieldIndex
    from featurestore.features.tokens import tokenize_series

    p = pair_rows(items, pairs)
    r1, r2 = p["r1"].to_numpy().astype(np.int64), p["r2"].to_numpy().astype(np.int64)
    build = score = 0.0
    for f in TEXT_FIELDS:
        t0 = time.perf_counter()
        ix = FieldIndex(field_texts(items, f))
        ix.bm25  # noqa: B018 - builds the weights
        t1 = time.perf_counter()
        d1, d2 = ix.doc_of_item[r1], ix.doc_of_item[r2]
        ok = (d1 >= 0) & (d2 >= 0)
        pairtext.bm25(ix, f, d1[ok], d2[ok], 1)
        build += t1 - t0
        score += time.perf_counter() - t1
    ours = build + score
    # rank_bm25 on a sample of the title field (index build excluded from its time: generous)
    ix = FieldIndex(field_texts(items, "title"))
    toks = tokenize_series(pl.Series(ix.doc_text.tolist())).to_list()
    bm = BM25Okapi(toks)
    d1, d2 = ix.doc_of_item[r1[:sample]], ix.doc_of_item[r2[:sample]]
    t0 = time.perf_counter()
    for a, b in zip(d1, d2, strict=True):
        bm.get_batch_scores(toks[a], [b])
        bm.get_batch_scores(toks[b], [a])
    base = (time.perf_counter() - t0) / sample * 4  # 4 fields like ours
    print(
        f"BM25 (4 fields, both directions + norm) on {len(r1):,} pairs: index build {build:.1f}s, "
        f"scoring {score:.2f}s = {len(r1) / score:,.0f} pairs/s; rank_bm25 per pair (title, x4 "
        f"fields, its index build excluded): {1 / base:,.1f} pairs/s; speed-up scoring only "
        f"{base * len(r1) / score:,.0f}x, with our index build {base * len(r1) / ours:,.0f}x"
    )


def baseline_per_pair(items: pl.DataFrame, pairs: pl.DataFrame, sample: int) -> float:
    """Seconds per pair for the text catalogue done per pair with the same libraries."""
    from rank_bm25 import BM25Okapi

    from featurestore.features.inputs import field_texts
    from featurestore.features.tokens import tokenize, tokenize_series

    fields = {}
    for f in ("title", "desc", "text", "attrs"):  # set-up, not timed
        texts = dict(zip(items["item_id"], field_texts(items, f).to_list(), strict=True))
        distinct = list(dict.fromkeys(t.lower() for t in texts.values() if t))
        corpus = tokenize_series(pl.Series(distinct, dtype=pl.String)).to_list()
        fields[f] = (texts, BM25Okapi(corpus), {t: i for i, t in enumerate(distinct)})
    sub = pairs.head(sample)
    t0 = time.perf_counter()
    for a_id, b_id in zip(sub["item_id_1"], sub["item_id_2"], strict=True):
        for f, (texts, bm, doc) in fields.items():
            a, b = texts[a_id].lower(), texts[b_id].lower()
            ta, tb = tokenize(a), tokenize(b)
            bm.get_batch_scores(ta, [doc[b]])
            bm.get_batch_scores(tb, [doc[a]])
            for n in range(1, 8):
                sa = {a[i : i + n] for i in range(len(a) - n + 1)}
                sb = {b[i : i + n] for i in range(len(b) - n + 1)}
                len(sa & sb) / max(len(sa | sb), 1)
            for n in (1, 2, 3):
                sa = {tuple(ta[i : i + n]) for i in range(len(ta) - n + 1)}
                sb = {tuple(tb[i : i + n]) for i in range(len(tb) - n + 1)}
                len(sa & sb) / max(len(sa | sb), 1)
            for fn in _fuzzy_scorers(f):
                fn(a, b)
    return (time.perf_counter() - t0) / sample


def _fuzzy_scorers(field: str) -> list:
    """The rapidfuzz scorers behind the full set's fuzzy and LCS features of ``field``."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import JaroWinkler, LCSseq, Prefix

    fns = [fuzz.ratio, fuzz.token_sort_ratio, fuzz.token_set_ratio]
    fns += [JaroWinkler.similarity, LCSseq.similarity, Prefix.similarity]
    if field in ("title", "attrs"):  # the catalogue's choice: slow scorers on short fields
        fns += [fuzz.partial_ratio, fuzz.WRatio]
    return fns


FUZZY_SCORES = sum(len(_fuzzy_scorers(f)) for f in ("title", "desc", "text", "attrs"))


def rapidfuzz_cpdist(items: pl.DataFrame, pairs: pl.DataFrame, workers: int) -> float:
    """Seconds per pair for the full set's rapidfuzz-based scores with ``process.cpdist``.

    This is the vectorised call a user of rapidfuzz would make (texts lower-cased, nulls as
    empty strings; list building not timed), so it bounds how fast those features can go when
    computed by rapidfuzz itself."""
    from rapidfuzz import process

    from featurestore.features.inputs import field_texts

    p = pair_rows(items, pairs)
    secs = 0.0
    for f in ("title", "desc", "text", "attrs"):
        docs = field_texts(items, f).fill_null("").str.to_lowercase()
        a = docs.gather(p["r1"]).to_list()
        b = docs.gather(p["r2"]).to_list()
        for fn in _fuzzy_scorers(f):
            t0 = time.perf_counter()
            process.cpdist(a, b, scorer=fn, workers=workers)
            secs += time.perf_counter() - t0
    return secs / p.height


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=20_000)
    ap.add_argument("--pairs", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=1_000, help="pairs for the per-pair baselines")
    ap.add_argument("--dim", type=int, default=256, help="embedding size")
    ap.add_argument("--chunk-rows", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--sets",
        default="core,full,full+emb",
        help="comma-separated SET[+emb][@N] (N: first N pairs only; sets: core, full, "
        'exhaustive), or "none" (e.g. only --stream-pairs)',
    )
    ap.add_argument(
        "--copy-descriptions",
        action="store_true",
        help="near-duplicate cards also copy the description (one word added)",
    )
    ap.add_argument(
        "--rapidfuzz-pairs",
        type=int,
        default=0,
        help="time rapidfuzz's own process.cpdist for the full set's fuzzy + LCS scores on the "
        "first N pairs (what a user would call; a floor for those features)",
    )
    ap.add_argument(
        "--stream-pairs", type=int, default=0, help="also stream this many pairs (full)"
    )
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    items = make_cards(args.items, copy_descriptions=args.copy_descriptions)
    pairs = make_pairs(args.items, args.pairs)
    vectors = make_vectors(items, args.dim)
    print(
        f"generated {items.height:,} cards, {pairs.height:,} distinct pairs "
        f"({pairs['label'].mean():.0%} near duplicates) in {time.perf_counter() - t0:.1f}s; "
        f"peak RSS {_peak_gib():.2f} GiB"
    )
    sets = [s for s in args.sets.split(",") if s and s != "none"]
    full_rate = full_fuzzy = None
    for s in sets:
        # "SET[+emb][@N]": with embeddings, on the first N pairs only (for the slow sets)
        s, _, head = s.partition("@")
        fs, emb = s.split("+")[0], s.endswith("+emb")
        run_pairs = pairs.head(int(head)) if head else pairs
        secs, n, timings = run_set(
            items, run_pairs, vectors if emb else None, fs, args.chunk_rows, args.workers
        )
        print(
            f"{s:10s}: {n:,} pairs in {secs:.1f}s = {n / secs:,.0f} pairs/s (index build included); "
            f"peak RSS {_peak_gib():.2f} GiB"
        )
        if fs == "full" and not emb:
            full_rate = n / secs
            full_fuzzy = (timings.get("fuzzy", 0.0) + timings.get("lcs", 0.0)) / n
    if args.rapidfuzz_pairs:
        floor = rapidfuzz_cpdist(items, pairs.head(args.rapidfuzz_pairs), args.workers)
        print(
            f"rapidfuzz process.cpdist alone ({args.workers} workers, the {FUZZY_SCORES} scores of "
            f"the full set's fuzzy + LCS groups on lower-cased texts), {args.rapidfuzz_pairs:,} "
            f"pairs: {1 / floor:,.0f} pairs/s"
            + (
                f"; the same scores in our full run: {1 / full_fuzzy:,.0f} pairs/s "
                "(index build included)"
                if full_fuzzy
                else ""
            )
        )
    if args.sample:
        bench_bm25(items, pairs, args.sample)
        per = baseline_per_pair(items, pairs, args.sample)
        print(f"per-pair text catalogue baseline: {1 / per:,.1f} pairs/s on {args.sample} pairs")
        if full_rate is not None:
            print(f"full catalogue speed-up vs per-pair: {full_rate * per:,.0f}x")
    if args.stream_pairs:
        big = make_pairs(args.items, args.stream_pairs, seed=3)
        secs, n, _ = run_set(items, big, None, "full", args.chunk_rows, args.workers)
        print(
            f"streamed {n:,} pairs (full) in {secs:.1f}s = {n / secs:,.0f} pairs/s; "
            f"peak RSS {_peak_gib():.2f} GiB"
        )
    print(f"peak RSS {_peak_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
