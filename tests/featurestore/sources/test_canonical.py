"""Tests for the canonical source format (featurestore.sources, "canonical")."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA, SOURCE_EMBEDDINGS_SCHEMA
from featurestore.sources import SOURCE_FORMATS, SourceFormatError, read_source


def _items(rows: list[dict]) -> pa.Table:
    cols = {f.name: [r.get(f.name) for r in rows] for f in ITEMS_SCHEMA}
    return pa.table(cols, schema=ITEMS_SCHEMA)


def test_formats_listed() -> None:
    assert set(SOURCE_FORMATS) == {
        "canonical",
        "avito_dups",
        "ozon",
        "kazanexpress",
        "avito_demand",
    }
    with pytest.raises(ValueError, match="unknown source format"):
        read_source("nope", ".")


def test_reads_items_pairs_embeddings(tmp_path: Path) -> None:
    rows = [
        {
            "item_id": "a1",
            "title": "Смартфон Samsung",
            "category_path": ["Электроника", "Телефоны"],
            "attributes": '{"цвет": "черный"}',
            "price": 100.0,
            "image_paths": ["images/a1_0.jpg", "/abs/x.png", "s3://b/k.jpg", "./images/a1_1.png"],
        },
        {"item_id": "a2", "title": None, "image_paths": None},
    ]
    pq.write_table(_items(rows), tmp_path / "items.parquet")
    pq.write_table(
        pa.table({"item_id_1": ["a1"], "item_id_2": ["a2"], "label": [1]}, schema=PAIRS_SCHEMA),
        tmp_path / "pairs.parquet",
    )
    emb = pa.table(
        {"item_id": ["a1"], "space": ["title"], "photo_index": [0], "embedding": [[0.5, 1.0]]},
        schema=SOURCE_EMBEDDINGS_SCHEMA,
    )
    pq.write_table(emb, tmp_path / "source_embeddings.parquet")

    out = read_source("canonical", tmp_path)
    assert out.items.schema.equals(ITEMS_SCHEMA)
    got = out.items.to_pylist()
    base = str(tmp_path.resolve())
    assert got[0]["image_paths"] == [
        f"{base}/images/a1_0.jpg",
        "/abs/x.png",
        "s3://b/k.jpg",
        f"{base}/images/a1_1.png",
    ]
    assert got[0]["category_path"] == ["Электроника", "Телефоны"]
    assert got[1]["title"] is None and got[1]["image_paths"] is None
    assert out.stats.nulls["title"] == 1
    assert out.pairs.to_pylist() == [{"item_id_1": "a1", "item_id_2": "a2", "label": 1}]
    assert out.source_embeddings.to_pylist()[0]["embedding"] == [0.5, 1.0]
    # Reading the items file directly works too.
    assert read_source("canonical", tmp_path / "items.parquet").items.num_rows == 2


def test_missing_column_names_file(tmp_path: Path) -> None:
    pq.write_table(pa.table({"item_id": ["x"], "title": ["t"]}), tmp_path / "items.parquet")
    with pytest.raises(SourceFormatError, match=r"items\.parquet: missing required column.*price"):
        read_source("canonical", tmp_path)


def test_empty_input(tmp_path: Path) -> None:
    pq.write_table(ITEMS_SCHEMA.empty_table(), tmp_path / "items.parquet")
    out = read_source("canonical", tmp_path)
    assert out.items.num_rows == 0 and out.items.schema.equals(ITEMS_SCHEMA)
    assert out.pairs.num_rows == 0 and out.pairs.schema.equals(PAIRS_SCHEMA)
    assert out.source_embeddings.schema.equals(SOURCE_EMBEDDINGS_SCHEMA)


def test_null_and_repeated_ids_are_counted(tmp_path: Path) -> None:
    table = _items([{"item_id": "a"}, {"item_id": "a", "title": "second"}]).cast(
        pa.schema([f.with_nullable(True) for f in ITEMS_SCHEMA])
    )
    table = pa.concat_tables(
        [table, pa.table({f.name: [None] for f in ITEMS_SCHEMA}, schema=table.schema)]
    )
    pq.write_table(table, tmp_path / "items.parquet")
    out = read_source("canonical", tmp_path)
    assert out.items.column("item_id").to_pylist() == ["a"]
    assert sum(out.stats.rows_skipped.values()) == 2


def test_demo_output_round_trip(tmp_path: Path) -> None:
    from cardfeatures_data.demo import generate

    paths = generate(tmp_path, items=30, seed=0)
    out = read_source("canonical", tmp_path)
    assert out.items.num_rows == 30
    assert out.pairs.num_rows == pq.read_metadata(paths.pairs).num_rows
    for path_list in out.items.column("image_paths").to_pylist():
        assert all(Path(p).is_file() for p in path_list)


def test_stats_as_plain_dict(tmp_path: Path) -> None:
    import json

    pq.write_table(_items([{"item_id": "a", "title": None}]), tmp_path / "items.parquet")
    stats = read_source("canonical", tmp_path).stats
    as_dict = dict(stats)
    assert as_dict == stats.as_dict()
    assert as_dict["nulls"]["title"] == 1
    assert json.loads(json.dumps(as_dict))["rows_read"] == {str(tmp_path / "items.parquet"): 1}


def test_nan_labels_are_unknown_and_bad_prices_are_null(tmp_path: Path) -> None:
    # pandas writes an int label column with gaps as float64 with NaN: that crashed the Int8
    # cast. Prices that are NaN, infinite or negative gave price_ratio < 0 and log terms of -inf.
    prices = [float("nan"), float("inf"), -5.0, 0.0, 12.5]
    rows = [{"item_id": f"i{k}", "price": p} for k, p in enumerate(prices)]
    pq.write_table(_items(rows), tmp_path / "items.parquet")
    labels = pa.table(
        {
            "item_id_1": ["i0", "i1", "i2"],
            "item_id_2": ["i1", "i2", "i3"],
            "label": pa.array([1.0, float("nan"), 0.0]),
        }
    )
    pq.write_table(labels, tmp_path / "pairs.parquet")

    out = read_source("canonical", tmp_path)
    assert out.items.column("price").to_pylist() == [None, None, None, 0.0, 12.5]
    assert out.stats.values_invalid == {
        "items.parquet: price NaN, infinite or negative (made null)": 3
    }
    assert out.pairs.column("label").to_pylist() == [1, None, 0]


def test_labels_other_than_0_1_are_null_and_counted(tmp_path: Path) -> None:
    pq.write_table(_items([{"item_id": "a"}, {"item_id": "b"}]), tmp_path / "items.parquet")
    pairs = pa.table(
        {"item_id_1": ["a", "a", "b"], "item_id_2": ["b", "b", "a"], "label": [1, 2, 0]}
    )
    pq.write_table(pairs, tmp_path / "pairs.parquet")
    out = read_source("canonical", tmp_path)
    assert out.pairs.column("label").to_pylist() == [1, None, 0]
    assert out.stats.values_invalid == {f"{tmp_path / 'pairs.parquet'}: label not 0/1": 1}
