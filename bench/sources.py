"""Benchmark: source adapters (featurestore.sources) vs a straightforward pandas implementation.

Writes synthetic files in the real layouts, then in one run times:

* "avito_dups": the pair-wide table (``--rows`` pairs over ``rows/2`` distinct ads) read into
  items + pairs, against pandas with ``json.loads``/``json.dumps`` and ``str.split`` per row,
  ``concat`` and ``drop_duplicates`` (what one would write by hand);
* "ozon": ``train_data`` with categories JSON, attribute mapping and embeddings (a 64-d name vector,
  a main picture and 0-3 extra pictures of 128 dims) read into items + source_embeddings, against
  pandas with ``json.loads`` per row and a Python loop building the long embedding table.

Both sides produce the same row counts (checked). ``--distinct-attrs`` is the share of rows with a
distinct attribute string (real sources repeat them a lot; the adapters parse each distinct string
once). Usage: ``python bench/sources.py --rows 200000``. Defaults are small (well under a minute).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from featurestore.sources import read_source

WORDS = np.array(
    [
        "куртка",
        "зимняя",
        "новая",
        "смартфон",
        "телефон",
        "чехол",
        "коляска",
        "диван",
        "стол",
        "кресло",
        "продам",
        "срочно",
        "samsung",
        "xiaomi",
        "apple",
        "nike",
        "adidas",
        "lego",
        "bosch",
        "черный",
        "белый",
        "красный",
        "синий",
        "размер",
    ]
)
KEYS = ["Вид одежды", "Размер", "Цвет", "Бренд", "Материал", "Тип", "Марка"]


def _texts(rng: np.random.Generator, n: int, k: int) -> list[str]:
    words = WORDS[rng.integers(len(WORDS), size=(n, k))]
    return [" ".join(row) for row in words]


def _attrs(rng: np.random.Generator, n: int, distinct_share: float) -> list[str]:
    n_distinct = max(1, int(n * distinct_share))
    pool = []
    for i in range(n_distinct):  # once per distinct string
        keys = rng.choice(KEYS, size=rng.integers(1, 5), replace=False)
        pool.append(
            json.dumps(
                {k: f"{WORDS[(i + j) % len(WORDS)]} {i}" for j, k in enumerate(keys)},
                ensure_ascii=False,
            )
        )
    return [pool[i] for i in rng.integers(n_distinct, size=n)]


def make_avito_dups(path: Path, rows: int, distinct_share: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    n_ads = max(2, rows // 2)
    titles = _texts(rng, n_ads, 4)
    descs = _texts(rng, n_ads, 25)
    attrs = _attrs(rng, n_ads, distinct_share)
    images = [
        ", ".join(str(x) for x in rng.integers(10**6, 10**7, size=k))
        for k in rng.integers(0, 5, n_ads)
    ]
    price = rng.integers(100, 100000, n_ads).astype(float)
    cols: dict[str, object] = {}
    for side in ("base", "cand"):
        ids = rng.integers(n_ads, size=rows)
        cols[f"{side}_item_id"] = ids
        cols[f"{side}_title"] = [titles[i] for i in ids]
        cols[f"{side}_description"] = [descs[i] for i in ids]
        cols[f"{side}_attrsJSON"] = [attrs[i] for i in ids]
        cols[f"{side}_parent_category_name"] = ["Личные вещи"] * rows
        cols[f"{side}_category_name"] = [["Одежда", "Мебель", "Телефоны"][i % 3] for i in ids]
        cols[f"{side}_images_array"] = [images[i] for i in ids]
        cols[f"{side}_price"] = price[ids]
        cols[f"{side}_locationID"] = ids % 1000
    cols["is_double"] = rng.integers(0, 2, rows)
    pq.write_table(pa.table(cols), path)


def pandas_avito_dups(path: Path, images_dir: str) -> tuple[pa.Table, pa.Table]:
    df = pd.read_parquet(path)
    sides = []
    for s in ("base", "cand"):
        sides.append(
            pd.DataFrame(
                {
                    "item_id": df[f"{s}_item_id"].astype(str),
                    "title": df[f"{s}_title"],
                    "description": df[f"{s}_description"],
                    "category_path": [
                        [a, b]
                        for a, b in zip(
                            df[f"{s}_parent_category_name"], df[f"{s}_category_name"], strict=True
                        )
                    ],
                    "attributes": df[f"{s}_attrsJSON"].map(
                        lambda t: json.dumps(json.loads(t), ensure_ascii=False) if t else None
                    ),
                    "price": df[f"{s}_price"].astype(float),
                    "city": df[f"{s}_locationID"].astype(str),
                    "image_paths": df[f"{s}_images_array"].map(
                        lambda t: (
                            [f"{images_dir}/{i.strip()}.jpg" for i in t.split(",")] if t else None
                        )
                    ),
                }
            )
        )
    items = pd.concat(sides).drop_duplicates("item_id")
    pairs = pd.DataFrame(
        {
            "item_id_1": df["base_item_id"].astype(str),
            "item_id_2": df["cand_item_id"].astype(str),
            "label": df["is_double"].astype("int8"),
        }
    )
    return pa.Table.from_pandas(items, preserve_index=False), pa.Table.from_pandas(
        pairs, preserve_index=False
    )


def make_ozon(path: Path, rows: int, distinct_share: float, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    cats = [
        json.dumps(
            {"1": "EPG", "2": "Электроника", "3": f"Раздел {i % 50}", "4": f"Категория {i}"},
            ensure_ascii=False,
        )
        for i in range(500)
    ]
    n_extra = rng.integers(0, 4, rows)
    vec = pa.list_(pa.float32())
    extra_flat = rng.random((int(n_extra.sum()), 128), dtype=np.float32)
    offsets = np.concatenate([[0], np.cumsum(n_extra)]).astype(np.int32)
    inner = pa.FixedSizeListArray.from_arrays(extra_flat.ravel(), 128).cast(vec)
    table = pa.table(
        {
            "variantid": np.arange(rows, dtype=np.int64) + 10**7,
            "name": _texts(rng, rows, 5),
            "categories": [cats[i] for i in rng.integers(500, size=rows)],
            "characteristic_attributes_mapping": [
                json.dumps({k: [v] for k, v in json.loads(a).items()}, ensure_ascii=False)
                for a in _attrs(rng, rows, distinct_share)
            ],
            "color_parsed": pa.array([["черный"]] * rows, pa.list_(pa.string())),
            "pic_embeddings_resnet_v1": pa.ListArray.from_arrays(pa.array(offsets), inner),
            "main_pic_embeddings_resnet_v1": pa.ListArray.from_arrays(
                pa.array(np.arange(rows + 1, dtype=np.int32)),
                pa.FixedSizeListArray.from_arrays(
                    rng.random(rows * 128, dtype=np.float32), 128
                ).cast(vec),
            ),
            "name_bert_64": pa.FixedSizeListArray.from_arrays(
                rng.random(rows * 64, dtype=np.float32), 64
            ).cast(vec),
        }
    )
    pq.write_table(table, path)


def pandas_ozon(path: Path) -> tuple[pa.Table, pa.Table]:
    df = pd.read_parquet(path)
    items = pd.DataFrame(
        {
            "item_id": df["variantid"].astype(str),
            "title": df["name"],
            "category_path": df["categories"].map(
                lambda t: [v for v in json.loads(t).values() if v]
            ),
            "attributes": [
                json.dumps(
                    {
                        **{k: ", ".join(v) for k, v in json.loads(a).items()},
                        "color_parsed": ", ".join(c),
                    },
                    ensure_ascii=False,
                )
                for a, c in zip(
                    df["characteristic_attributes_mapping"], df["color_parsed"], strict=True
                )
            ],
        }
    )
    ids, spaces, idx, embs = [], [], [], []
    for item, bert, main, extra in zip(
        items["item_id"],
        df["name_bert_64"],
        df["main_pic_embeddings_resnet_v1"],
        df["pic_embeddings_resnet_v1"],
        strict=True,
    ):
        ids.append(item), spaces.append("title"), idx.append(0), embs.append(bert)
        ids.append(item), spaces.append("photo"), idx.append(0), embs.append(main[0])
        for k, e in enumerate(extra if extra is not None else [], start=1):
            ids.append(item), spaces.append("photo"), idx.append(k), embs.append(e)
    emb = pa.table(
        {
            "item_id": ids,
            "space": spaces,
            "photo_index": pa.array(idx, pa.int16()),
            "embedding": pa.array(embs, pa.list_(pa.float32())),
        }
    )
    return pa.Table.from_pandas(items, preserve_index=False), emb


def _time(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=50_000, help="pair rows (avito_dups) and items (ozon)"
    )
    parser.add_argument("--distinct-attrs", type=float, default=0.3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "avito").mkdir()
        make_avito_dups(folder / "avito" / "pairs.parquet", args.rows, args.distinct_attrs)
        t_ours, ours = _time(lambda: read_source("avito_dups", folder / "avito", images_dir="/img"))
        t_pd, (items_pd, pairs_pd) = _time(
            lambda: pandas_avito_dups(folder / "avito" / "pairs.parquet", "/img")
        )
        assert ours.items.num_rows == items_pd.num_rows and ours.pairs.num_rows == pairs_pd.num_rows
        print(
            f"avito_dups  rows={args.rows:,} items={ours.items.num_rows:,}  "
            f"adapter {t_ours:.2f}s ({args.rows / t_ours:,.0f} rows/s)  "
            f"pandas {t_pd:.2f}s ({args.rows / t_pd:,.0f} rows/s)  speed-up x{t_pd / t_ours:.1f}"
        )

        (folder / "ozon").mkdir()
        make_ozon(folder / "ozon" / "train_data.parquet", args.rows, args.distinct_attrs)
        t_ours, ours = _time(lambda: read_source("ozon", folder / "ozon"))
        t_pd, (items_pd, emb_pd) = _time(
            lambda: pandas_ozon(folder / "ozon" / "train_data.parquet")
        )
        assert ours.items.num_rows == items_pd.num_rows
        assert ours.source_embeddings.num_rows == emb_pd.num_rows
        print(
            f"ozon        rows={args.rows:,} vectors={ours.source_embeddings.num_rows:,}  "
            f"adapter {t_ours:.2f}s ({args.rows / t_ours:,.0f} rows/s)  "
            f"pandas {t_pd:.2f}s ({args.rows / t_pd:,.0f} rows/s)  speed-up x{t_pd / t_ours:.1f}"
        )


if __name__ == "__main__":
    main()
