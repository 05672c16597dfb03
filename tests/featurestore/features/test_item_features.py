"""Per-item features: values, null handling, schema agreement with the specs."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pyarrow as pa

from featurestore.features import feature_specs, item_feature_schema, item_features


def test_item_features_values_and_specs():
    items = pl.DataFrame(
        {
            "item_id": ["a", "b"],
            "title": ["Красный чайник 2 л", None],
            "title_clean": ["красный чайник 2 л", None],
            "title_broken_share": [0.25, None],
            "category_path": [["Дом", "Кухня"], None],
            "attributes": ['{"цвет": "красный", "объём": "2 л"}', None],
            "image_paths": [["/x/1.jpg", "/x/2.jpg"], []],
            "price": [1999.0, None],
        },
        schema_overrides={"category_path": pl.List(pl.String)},
    )
    vec = {
        "title": pl.DataFrame(
            {
                "item_id": ["a"],
                "photo_index": pl.Series([0], dtype=pl.Int16),
                "embedding": [[0.6, 0.8]],
            }
        )
    }
    out = item_features(items, vec)
    assert out.columns[1:] == [s.name for s in feature_specs("items", ["title"])]
    # the explicit schema the store writes with: the same columns, cast without loss
    schema = item_feature_schema({"title": 2})
    assert schema.names == out.columns
    assert pl.from_arrow(out.to_arrow().cast(schema)).equals(out)
    assert str(schema.field("emb_title").type) == "fixed_size_list<item: float>[2]"
    assert schema.field("category_l1").type == pa.string()
    a, b = out.row(0, named=True), out.row(1, named=True)
    assert a["title_len_chars"] == 18 and a["title_len_words"] == 4
    assert a["n_photos"] == 2 and a["n_attributes"] == 2 and b["n_photos"] == 0
    assert (
        a["title_broken_share"] == 0.25 and a["category_l2"] == "Кухня" and a["category_depth"] == 2
    )
    assert a["log_price"] == np.float32(math.log1p(1999.0))
    assert list(a["emb_title"]) == [np.float32(0.6), np.float32(0.8)]
    # missing values stay missing, never 0
    assert b["title_len_chars"] is None and b["n_attributes"] is None and b["price"] is None
    assert b["description_words"] is None and b["emb_title"] is None and b["category_l1"] is None


def test_null_text_has_null_word_count():
    """A null title / description has an unknown word count (null), not 0 words; an empty or
    punctuation-only text does have 0 words."""
    items = pl.DataFrame(
        {"item_id": ["a", "b", "c"], "title": [None, "", "!!"], "description": ["x y", None, ""]},
        schema_overrides={"title": pl.String},
    )
    out = item_features(items)
    assert out["title_len_words"].to_list() == [None, 0.0, 0.0]
    assert out["desc_len_words"].to_list() == [2.0, None, 0.0]
    assert out["title_len_chars"].to_list() == [None, 0.0, 2.0]
