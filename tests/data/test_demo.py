"""Tests for the demo dataset generator (cardfeatures_data.demo)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from cardfeatures_data import homoglyphs
from cardfeatures_data.demo import GROUND_TRUTH_SCHEMA, generate
from PIL import Image

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA

N = 150


def _all_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    return generate(out, items=N, seed=3, corruption_rate=0.5)


def test_schemas_and_sizes(demo) -> None:
    items = pq.read_table(demo.items)
    assert items.schema.equals(ITEMS_SCHEMA)
    assert items.num_rows == N
    assert pq.read_table(demo.pairs).schema.equals(PAIRS_SCHEMA)
    assert pq.read_table(demo.ground_truth).schema.equals(GROUND_TRUTH_SCHEMA)
    df = pl.from_arrow(items)
    assert df["item_id"].n_unique() == N
    assert df["category_path"].list.len().is_between(3, 4).all()
    for text in df["attributes"].to_list():
        attrs = json.loads(text)
        assert "бренд" in attrs and all(isinstance(v, str) for v in attrs.values())
    assert (df["price"] > 0).all()
    assert df["image_paths"].list.len().is_between(1, 6).all()


def test_deterministic_for_seed(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", items=60, seed=7)
    b = generate(tmp_path / "b", items=60, seed=7)
    c = generate(tmp_path / "c", items=60, seed=8)
    bytes_a, bytes_b = _all_bytes(a.items.parent), _all_bytes(b.items.parent)
    assert bytes_a == bytes_b
    assert pq.read_table(a.items) != pq.read_table(c.items)


def _words(text: str) -> list[str]:
    return homoglyphs.WORD_RE.findall(re.sub(r"<[^>]*>", " ", text))


def test_corruption_rate_is_honoured(demo) -> None:
    items = pl.read_parquet(demo.items)
    truth = pl.read_parquet(demo.ground_truth)
    assert items["item_id"].to_list() == truth["item_id"].to_list()
    eligible = changed = mixed = 0
    pairs = zip(
        items["title"].to_list() + items["description"].to_list(),
        truth["title_clean_truth"].to_list() + truth["description_clean_truth"].to_list(),
        strict=True,
    )
    for seen, clean in pairs:
        w_seen, w_clean = _words(seen), _words(clean)
        assert len(w_seen) == len(w_clean)  # corruption never splits or merges words
        for s, c in zip(w_seen, w_clean, strict=True):
            if homoglyphs.is_eligible(c):
                eligible += 1
                changed += s != c
                mixed += bool(re.search("[a-zA-Z]", s) and re.search("[а-яёА-ЯЁ]", s))
            else:
                assert s == c
    assert eligible > 2000
    assert abs(changed / eligible - 0.5) < 0.04
    # Most corruptions mix scripts; a few are digit/italic substitutions instead.
    assert 0.8 * changed < mixed <= changed


def test_zero_corruption_keeps_truth(tmp_path: Path) -> None:
    paths = generate(tmp_path, items=40, seed=1, corruption_rate=0.0)
    items, truth = pl.read_parquet(paths.items), pl.read_parquet(paths.ground_truth)
    assert items["title"].to_list() == truth["title_clean_truth"].to_list()
    assert items["description"].to_list() == truth["description_clean_truth"].to_list()


def test_pairs_consistent_with_clusters(demo) -> None:
    pairs = pl.read_parquet(demo.pairs)
    truth = pl.read_parquet(demo.ground_truth).select("item_id", "cluster_id")
    joined = pairs.join(truth.rename({"item_id": "item_id_1", "cluster_id": "c1"}), on="item_id_1")
    joined = joined.join(truth.rename({"item_id": "item_id_2", "cluster_id": "c2"}), on="item_id_2")
    assert joined.height == pairs.height  # every pair id exists
    assert ((joined["label"] == 1) == (joined["c1"] == joined["c2"])).all()
    assert (pairs["item_id_1"] != pairs["item_id_2"]).all()
    assert pairs.select(pl.struct("item_id_1", "item_id_2").n_unique()).item() == pairs.height
    # Every within-cluster pair is a labelled positive.
    sizes = truth.group_by("cluster_id").len()["len"]
    assert int((pairs["label"] == 1).sum()) == int((sizes * (sizes - 1) // 2).sum())
    assert 3.0 * N <= pairs.height <= 4.0 * N
    assert (pairs["label"] == 0).sum() > 0


def test_duplicates_share_product(demo) -> None:
    items = pl.read_parquet(demo.items)
    truth = pl.read_parquet(demo.ground_truth)
    df = items.join(truth, on="item_id")
    multi = df.filter(pl.len().over("cluster_id") > 1)
    assert multi.height > 0
    per_cluster = multi.group_by("cluster_id").agg(
        pl.col("category_path").n_unique().alias("cats"),
        pl.col("attributes")
        .map_elements(lambda a: json.loads(a)["бренд"], return_dtype=pl.String)
        .n_unique()
        .alias("brands"),
    )
    assert (per_cluster["cats"] == 1).all()


def test_images_readable(demo) -> None:
    items = pl.read_parquet(demo.items)
    paths = items["image_paths"].explode().to_list()
    formats = set()
    for rel in paths:
        assert rel.startswith("images/")
        with Image.open(demo.items.parent / rel) as img:
            img.load()
            assert img.size == (160, 160)
            formats.add(img.format)
    assert formats == {"JPEG", "PNG"}
    assert len(list(demo.images_dir.iterdir())) == len(paths)


def test_cli_writes_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cardfeatures_data.demo import main

    assert (
        main(["--items", "12", "--seed", "2", "--corruption", "0.9", "--out", str(tmp_path)]) == 0
    )
    assert pq.read_metadata(tmp_path / "items.parquet").num_rows == 12
    assert "wrote 12 items" in capsys.readouterr().out
