"""Deterministic demo dataset: realistic Russian product cards with duplicates, pairs and photos.

``generate(out_dir)`` writes, in this project's canonical source format (see
``featurestore.sources``, format "canonical"):

- ``items.parquet``   ITEMS_SCHEMA; ``image_paths`` relative to the folder, e.g. "images/000123_0.jpg"
- ``pairs.parquet``   PAIRS_SCHEMA; labelled candidate pairs (~3.5 per item)
- ``ground_truth.parquet``  GROUND_TRUTH_SCHEMA: the uncorrupted title and description and the
  duplicate cluster of every item, for evaluating homoglyph repair and duplicate detection
- ``images/``         1-6 JPEG/PNG photos per item

How the data is made: products are sampled from ``catalog.PRODUCT_TYPES`` (category trees 3-4 levels
deep, Latin brands and models, category-specific attributes and price ranges). Each product becomes
a *cluster* of 1-5 listings: the first is written plainly, the others are re-listings with a
paraphrased title (synonyms, word order, added or dropped words), a re-worded description, reordered
(sometimes fewer) attributes, a jittered price, perturbed photos and sometimes another seller or city.
Then every title and description gets homoglyph corruption at ``corruption_rate`` (see
``homoglyphs``). Pairs are all within-cluster positives, hard negatives (same category and brand,
other cluster) and random negatives.

Everything is drawn from ``random.Random(seed)`` and ``np.random.default_rng(seed)``, and nothing
time-dependent is written, so the same arguments give byte-identical files. ``target`` is a
*synthetic* deal probability (price relative to the category, photo count, noise) so that the demand
use case has something to learn; ``category_id`` is the leaf category's id.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from cardfeatures_data import catalog, homoglyphs, images

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA

#: Sidecar with the truth behind the corrupted text.
GROUND_TRUTH_SCHEMA = pa.schema(
    [
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("title_clean_truth", pa.string()),
        pa.field("description_clean_truth", pa.string()),
        pa.field("cluster_id", pa.int64(), nullable=False),
    ]
)

_CLUSTER_SIZES = np.array([1, 2, 3, 4, 5])
_CLUSTER_SIZE_P = np.array([0.5, 0.27, 0.13, 0.07, 0.03])
_N_PHOTOS = np.array([1, 2, 3, 4, 5, 6])
_N_PHOTOS_P = np.array([0.3, 0.25, 0.2, 0.12, 0.08, 0.05])
PAIRS_PER_ITEM = 3.5


@dataclass(frozen=True)
class DemoPaths:
    """Where ``generate`` wrote the dataset."""

    items: Path
    pairs: Path
    images_dir: Path
    ground_truth: Path


@dataclass
class _Product:
    """One real-world product: every listing of a cluster describes the same one."""

    cluster_id: int
    ptype_index: int
    ptype: catalog.ProductType
    brand: str
    model: str
    variant: dict[str, str]
    price: float
    seller: str
    city: tuple[str, str]
    n_photos: int
    seed: int


def _round_price(value: float) -> float:
    """Round like sellers do: to 10 under 1000, to 100 under 20000, else to 500."""
    step = 10 if value < 1000 else 100 if value < 20000 else 500
    return float(max(step, round(value / step) * step))


def _sample_products(
    n_items: int, rng: np.random.Generator, prng: random.Random
) -> tuple[list[_Product], list[int]]:
    """Distinct products and their cluster sizes, whose sizes add up to exactly ``n_items``."""
    products: list[_Product] = []
    sizes: list[int] = []
    seen: set[tuple] = set()
    n_sellers = max(4, n_items // 4)
    total = 0
    while total < n_items:
        for _attempt in range(20):
            ti = prng.randrange(len(catalog.PRODUCT_TYPES))
            pt = catalog.PRODUCT_TYPES[ti]
            brand = prng.choice(sorted(pt.brands))
            model = prng.choice(pt.brands[brand])
            variant = {k: prng.choice(v) for k, v in pt.attributes.items()}
            key = (ti, brand, model, tuple(variant.values()))
            if key not in seen:
                break
        seen.add(key)
        lo, hi = pt.price_range
        price = _round_price(math.exp(prng.uniform(math.log(lo), math.log(hi))))
        size = int(min(rng.choice(_CLUSTER_SIZES, p=_CLUSTER_SIZE_P), n_items - total))
        products.append(
            _Product(
                cluster_id=len(products),
                ptype_index=ti,
                ptype=pt,
                brand=brand,
                model=model,
                variant=variant,
                price=price,
                seller=f"seller_{prng.randrange(n_sellers):05d}",
                city=prng.choice(catalog.CITIES),
                n_photos=int(rng.choice(_N_PHOTOS, p=_N_PHOTOS_P)),
                seed=prng.randrange(2**31),
            )
        )
        sizes.append(size)
        total += size
    return products, sizes


def _title(p: _Product, prng: random.Random, relisting: bool) -> str:
    """The listing title; re-listings paraphrase it (synonym, order, dropped or added words)."""
    pt = p.ptype
    noun = prng.choice(pt.nouns) if relisting else pt.nouns[0]
    attrs = [p.variant[k] for k in pt.title_attributes]
    if relisting:
        prng.shuffle(attrs)
        if attrs and prng.random() < 0.3:
            attrs.pop()
        attrs = [a.replace("черный", "чёрный") if prng.random() < 0.3 else a for a in attrs]
    words = [noun, p.brand, p.model, *attrs]
    if relisting and prng.random() < 0.4:  # brand first: "Samsung Galaxy A52 смартфон 128 ГБ"
        words = [p.brand, p.model, noun.lower(), *attrs]
    if prng.random() < (0.35 if relisting else 0.1):
        words = [catalog.NEW_WORD[pt.gender].capitalize(), words[0].lower(), *words[1:]]
    if prng.random() < (0.4 if relisting else 0.15):
        words.append(prng.choice(catalog.TITLE_ADDONS))
    if relisting and prng.random() < 0.2:
        words.append(prng.choice(pt.extra_words))
    return " ".join(words)


def _description(p: _Product, attrs: dict[str, str], prng: random.Random, relisting: bool) -> str:
    """HTML description: opener, attribute list, condition and delivery sentences."""
    pick = prng.choice if relisting else (lambda seq: seq[p.seed % len(seq)])
    noun = p.ptype.nouns[0]
    opener = pick(catalog.DESCRIPTION_OPENERS).format(
        noun=noun.lower(), brand=p.brand, model=p.model
    )
    items = "".join(f"<li>{k.capitalize()}: {v}</li>" for k, v in attrs.items())
    extra = prng.choice(p.ptype.extra_words).capitalize() + "."
    return (
        f"<p>{opener}</p><ul>{items}</ul>"
        f"<p>{pick(catalog.DESCRIPTION_CONDITION)} {extra}</p>"
        f"<p>{pick(catalog.DESCRIPTION_DELIVERY)}</p>"
    )


def _attributes(p: _Product, prng: random.Random, relisting: bool) -> dict[str, str]:
    """Attribute dict with бренд and модель; re-listings reorder and sometimes drop a key."""
    attrs = {"бренд": p.brand, "модель": p.model, **p.variant}
    if relisting:
        keys = list(attrs)
        prng.shuffle(keys)
        if len(keys) > 3 and prng.random() < 0.3:
            keys.remove(prng.choice([k for k in keys if k != "бренд"]))
        attrs = {k: attrs[k] for k in keys}
    return attrs


def _pairs(
    cluster: np.ndarray, group: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs (row indices a < b, label): positives, hard negatives, random negatives."""
    n = len(cluster)
    pairs: dict[tuple[int, int], int] = {}
    by_cluster: dict[int, list[int]] = {}
    by_group: dict[int, list[int]] = {}
    for i in range(n):
        by_cluster.setdefault(int(cluster[i]), []).append(i)
        by_group.setdefault(int(group[i]), []).append(i)
    for members in by_cluster.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                pairs[(members[x], members[y])] = 1
    target = int(round(PAIRS_PER_ITEM * n))
    n_hard = max(0, (target - len(pairs)) * 6 // 10)
    for i in rng.permutation(n)[:n_hard]:
        others = [j for j in by_group[int(group[i])] if cluster[j] != cluster[i]]
        if others:
            j = int(others[rng.integers(len(others))])
            pairs.setdefault((min(i, j), max(i, j)), 0)
    attempts = 0
    while len(pairs) < target and attempts < 20 * target and n > 1:
        attempts += 1
        i, j = (int(v) for v in rng.integers(n, size=2))
        if cluster[i] != cluster[j]:
            pairs.setdefault((min(i, j), max(i, j)), 0)
    keys = list(pairs)
    order = rng.permutation(len(keys))
    a = np.array([keys[k][0] for k in order], dtype=np.int64)
    b = np.array([keys[k][1] for k in order], dtype=np.int64)
    labels = np.array([pairs[keys[k]] for k in order], dtype=np.int8)
    return a, b, labels


def generate(
    out_dir: str | Path,
    *,
    items: int = 800,
    seed: int = 0,
    corruption_rate: float = 0.3,
    image_size: tuple[int, int] = (160, 160),
    snapshot: str = "2026-11-01",
) -> DemoPaths:
    """Write the demo dataset under ``out_dir`` (replacing ``out_dir/images``) and return its paths.

    ``snapshot`` is accepted for the pipeline's convenience and does not change the data (the
    snapshot is a store partition, not a source column); the output depends only on the other args.
    """
    del snapshot
    if items < 1:
        raise ValueError(f"items must be >= 1, got {items}")
    if not 0.0 <= corruption_rate <= 1.0:
        raise ValueError(f"corruption_rate must be in [0, 1], got {corruption_rate}")
    out = Path(out_dir)
    img_dir = out / "images"
    if img_dir.exists():
        shutil.rmtree(img_dir)
    img_dir.mkdir(parents=True)

    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    products, sizes = _sample_products(items, rng, prng)

    # Listing rows in a shuffled order, so duplicates are not neighbours.
    listing_product = np.repeat(np.arange(len(products)), sizes)
    listing_rank = np.concatenate([np.arange(s) for s in sizes])  # 0 = the first listing
    order = rng.permutation(items)
    listing_product, listing_rank = listing_product[order], listing_rank[order]
    item_ids = [f"{i:06d}" for i in range(items)]

    rows: dict[str, list] = {name: [] for name in ITEMS_SCHEMA.names}
    truth_titles: list[str] = []
    truth_descs: list[str] = []
    base_photos: dict[tuple[int, int], object] = {}
    category_median = {
        i: math.sqrt(pt.price_range[0] * pt.price_range[1])
        for i, pt in enumerate(catalog.PRODUCT_TYPES)
    }
    for row, (pi, rank) in enumerate(zip(listing_product, listing_rank, strict=True)):
        p = products[int(pi)]
        relisting = bool(rank > 0)
        title = _title(p, prng, relisting)
        attrs = _attributes(p, prng, relisting)
        desc = _description(p, attrs, prng, relisting)
        truth_titles.append(title)
        truth_descs.append(desc)
        price = _round_price(p.price * (1 + prng.uniform(-0.07, 0.07))) if relisting else p.price
        seller, city = p.seller, p.city
        if relisting and prng.random() < 0.3:
            seller = f"seller_{prng.randrange(max(4, items // 4)):05d}"
            if prng.random() < 0.5:
                city = prng.choice(catalog.CITIES)

        # Photos: the first listing shows all of the product's photos; re-listings show a
        # perturbed subset in another order.
        photo_ks = list(range(p.n_photos))
        if relisting:
            prng.shuffle(photo_ks)
            photo_ks = photo_ks[: prng.randint(1, p.n_photos)]
        paths = []
        colour = catalog.COLOURS_RGB.get(p.variant.get("цвет", ""))
        for j, k in enumerate(photo_ks):
            base = base_photos.get((p.cluster_id, k))
            if base is None:
                base = images.render_photo(
                    p.seed,
                    k,
                    shape=p.ptype.shape,
                    colour=colour,
                    label=f"{p.brand} {p.model}",
                    size=image_size,
                )
                base_photos[(p.cluster_id, k)] = base
            img = images.perturb(base, rng) if relisting else base
            fmt = "png" if prng.random() < 0.2 else "jpg"
            name = f"{item_ids[row]}_{j}.{fmt}"
            (img_dir / name).write_bytes(images.encode(img, fmt, quality=prng.randint(70, 92)))
            paths.append(f"images/{name}")

        rel_price = math.log(price / category_median[p.ptype_index])
        logit = 0.3 - 0.8 * rel_price + 0.15 * len(paths) + rng.normal(0, 0.5)
        rows["item_id"].append(item_ids[row])
        rows["title"].append(homoglyphs.corrupt_text(title, corruption_rate, prng))
        rows["description"].append(homoglyphs.corrupt_text(desc, corruption_rate, prng))
        rows["category_path"].append(list(p.ptype.category_path))
        rows["attributes"].append(json.dumps(attrs, ensure_ascii=False))
        rows["price"].append(price)
        rows["seller_id"].append(seller)
        rows["city"].append(city[0])
        rows["region"].append(city[1])
        rows["image_paths"].append(paths)
        rows["category_id"].append(f"cat_{p.ptype_index:03d}")
        rows["target"].append(round(1.0 / (1.0 + math.exp(-logit)), 4))

    cluster = listing_product.astype(np.int64)
    group = np.array(
        [
            products[int(pi)].ptype_index * 1000
            + sorted(products[int(pi)].ptype.brands).index(products[int(pi)].brand)
            for pi in listing_product
        ],
        dtype=np.int64,
    )
    a, b, labels = _pairs(cluster, group, rng)
    ids = np.array(item_ids)

    paths_out = DemoPaths(
        items=out / "items.parquet",
        pairs=out / "pairs.parquet",
        images_dir=img_dir,
        ground_truth=out / "ground_truth.parquet",
    )
    pq.write_table(pa.table(rows, schema=ITEMS_SCHEMA), paths_out.items, compression="zstd")
    pairs = pa.table(
        {"item_id_1": ids[a].tolist(), "item_id_2": ids[b].tolist(), "label": labels},
        schema=PAIRS_SCHEMA,
    )
    pq.write_table(pairs, paths_out.pairs, compression="zstd")
    truth = pa.table(
        {
            "item_id": item_ids,
            "title_clean_truth": truth_titles,
            "description_clean_truth": truth_descs,
            "cluster_id": cluster,
        },
        schema=GROUND_TRUTH_SCHEMA,
    )
    pq.write_table(truth, paths_out.ground_truth, compression="zstd")
    return paths_out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cardfeatures_data",
        description="Write the deterministic demo dataset (canonical source format).",
    )
    parser.add_argument("--out", default="demo/raw", help="output folder (default: demo/raw)")
    parser.add_argument("--items", type=int, default=800, help="number of item cards")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corruption", type=float, default=0.3, help="share of eligible words to homoglyph-corrupt"
    )
    parser.add_argument("--image-size", type=int, default=160, help="square photo side in pixels")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry: ``python -m cardfeatures_data --items 500 --out demo/raw``."""
    args = build_parser().parse_args(argv)
    paths = generate(
        args.out,
        items=args.items,
        seed=args.seed,
        corruption_rate=args.corruption,
        image_size=(args.image_size, args.image_size),
    )
    n_pairs = pq.read_metadata(paths.pairs).num_rows
    print(f"wrote {args.items} items, {n_pairs} pairs to {paths.items.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
