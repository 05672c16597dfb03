"""Group ``features``: pairwise features per (snapshot, shard) and per-item features per snapshot."""

import time

import dagster as dg
import polars as pl
import pyarrow as pa

from featurestore.sharding import shard_pairs
from featurestore.vectors import item_vectors
from pipelines.assets.embeddings import write_shard_part
from pipelines.metadata import histogram, preview
from pipelines.partitions import shard_of, snapshot_of
from pipelines.resources import (
    ImageEncoderResource,
    PipelineConfigResource,
    StoreResource,
    TextEncoderResource,
)

FEATURES_CODE_VERSION = "features-1"


def range_check(frame: pl.DataFrame, specs, check_name: str) -> dg.AssetCheckResult:
    """Blocking check: every feature with a declared range stays inside it (NaN allowed)."""
    bad: dict[str, int] = {}
    for spec in specs:
        lo, hi = getattr(spec, "value_range", None) or (None, None)
        if spec.name not in frame.columns or (lo is None and hi is None):
            continue
        col = pl.col(spec.name)
        outside = frame.select(
            (
                (col < (lo if lo is not None else float("-inf")))
                | (col > (hi if hi is not None else float("inf")))
            ).sum()
        ).item()
        if outside:
            bad[spec.name] = int(outside)
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not bad,
        metadata={"features_out_of_range": dg.MetadataValue.json(bad), "rows": len(frame)},
    )


def build(
    snapshot_partitions: dg.PartitionsDefinition,
    shard_partitions: dg.PartitionsDefinition,
):
    @dg.asset(
        group_name="features",
        partitions_def=shard_partitions,
        deps=[
            "clean_items",
            "pairs",
            "source_embeddings",
            "text_embeddings",
            "image_embeddings",
        ],
        code_version=FEATURES_CODE_VERSION,
        kinds={"polars", "duckdb"},
        description="Pairwise features of the shard's candidate pairs: BM25 both ways, TF-IDF "
        "cosine, n-gram IoU, LCS/LCP, fuzzy ratios, Dice, numbers with units, anti-words, "
        "category/attribute/price matches, text and image cosines. IDF statistics are over the "
        "whole snapshot, so shards give the same values as one unsharded run.",
        check_specs=[
            dg.AssetCheckSpec(
                "pair_rows_match_pairs",
                asset="pair_features",
                blocking=True,
                description="One feature row per distinct input pair of the shard (pairs "
                "naming unknown items left out when they are dropped).",
            ),
            dg.AssetCheckSpec(
                "pair_features_in_range",
                asset="pair_features",
                blocking=True,
                description="Bounded features (IoU, ratios, cosines) in range.",
            ),
        ],
    )
    def pair_features(
        context: dg.AssetExecutionContext,
        store: StoreResource,
        pipeline: PipelineConfigResource,
        text_encoder: TextEncoderResource,
        image_encoder: ImageEncoderResource,
    ) -> dg.MaterializeResult:
        from featurestore.features import feature_specs, pair_feature_schema
        from featurestore.features import pair_features as compute

        snapshot = snapshot_of(context)
        shard, shards = shard_of(context)
        fs = store.open()
        items = fs.read("clean_items", snapshot=snapshot).collect()
        pairs = shard_pairs(fs.read("pairs", snapshot=snapshot).collect(), shard, shards)
        named = pl.concat([pairs["item_id_1"], pairs["item_id_2"]]).unique()
        vectors = item_vectors(
            fs,
            snapshot,
            text_model_key=text_encoder.load().model_key,
            image_model_key=image_encoder.load().model_key,
            items=named,
        )
        started = time.perf_counter()
        stream = compute(
            items,
            pairs,
            vectors,
            feature_set=pipeline.feature_set,
            on_unknown="drop" if pipeline.drop_unknown_pairs else "error",
        )
        chunks = list(stream)
        spaces = tuple(sorted(vectors))
        schema = pair_feature_schema(pipeline.feature_set, spaces)
        table = pa.concat_tables(chunks) if chunks else schema.empty_table()
        frame = pl.from_arrow(table)
        seconds = time.perf_counter() - started
        specs = feature_specs(pipeline.feature_set, spaces=spaces)
        version = specs[0].version
        written = write_shard_part(
            fs,
            "pair_features",
            table,
            partition={
                "feature_set": pipeline.feature_set,
                "version": version,
                "snapshot": snapshot,
            },
            shard=shard,
            shards=shards,
            schema=schema,
        )
        fs.register_features(specs, code_version=FEATURES_CODE_VERSION)
        fs.refresh_catalog()
        rows = len(frame)
        # One row per distinct pair (repeats are kept once), unknown items' pairs left out when
        # they are dropped: counted here, independently of the feature code.
        wanted = pairs.select("item_id_1", "item_id_2")
        if pipeline.drop_unknown_pairs:
            known = items["item_id"].implode()
            wanted = wanted.filter(
                pl.col("item_id_1").is_in(known) & pl.col("item_id_2").is_in(known)
            )
        expected = wanted.n_unique()
        numeric = [s.name for s in specs if s.name in frame.columns]
        return dg.MaterializeResult(
            metadata={
                "rows": rows,
                "pairs_in_shard": len(pairs),
                "features": len(numeric),
                "feature_set": pipeline.feature_set,
                "version": version,
                "seconds": round(seconds, 2),
                "pairs_per_s": round(rows / max(seconds, 1e-9)),
                "seconds_by_feature_group": dg.MetadataValue.json(
                    {g: round(t, 2) for g, t in stream.timings.items()}
                ),
                "embedding_spaces": dg.MetadataValue.json(sorted(vectors)),
                "path": written.path,
                "preview": preview(frame, ["item_id_1", "item_id_2", "label", *numeric[:6]]),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="pair_rows_match_pairs",
                    passed=rows == expected,
                    metadata={"rows": rows, "pairs": len(pairs), "expected_rows": expected},
                ),
                range_check(frame, specs, "pair_features_in_range"),
            ],
        )

    @dg.asset(
        group_name="features",
        partitions_def=snapshot_partitions,
        deps=[
            "clean_items",
            "text_embeddings",
            "image_embeddings",
            "source_embeddings",
        ],
        code_version=FEATURES_CODE_VERSION,
        kinds={"polars"},
        description="Per-item features for classifiers and regressors: lengths, counts, repair "
        "statistics, price, category levels, and the item's embeddings joined in.",
        check_specs=[
            dg.AssetCheckSpec(
                "one_row_per_item",
                asset="item_features",
                blocking=True,
                description="Exactly one row per item of the snapshot.",
            ),
        ],
    )
    def item_features(
        context: dg.AssetExecutionContext,
        store: StoreResource,
        text_encoder: TextEncoderResource,
        image_encoder: ImageEncoderResource,
    ) -> dg.MaterializeResult:
        from featurestore.features import feature_specs, item_feature_schema
        from featurestore.features import item_features as compute

        snapshot = snapshot_of(context)
        fs = store.open()
        items = fs.read("clean_items", snapshot=snapshot).collect()
        vectors = item_vectors(
            fs,
            snapshot,
            text_model_key=text_encoder.load().model_key,
            image_model_key=image_encoder.load().model_key,
        )
        started = time.perf_counter()
        frame = compute(items, vectors)
        seconds = time.perf_counter() - started
        specs = feature_specs("items", spaces=tuple(sorted(vectors)))
        version = specs[0].version if specs else "1"
        fs.write(
            "item_features",
            frame,
            partition={"feature_set": "items", "version": version, "snapshot": snapshot},
            # vector widths are the models' dimensions, as the embedding caches hold them
            schema=item_feature_schema({s: frame.schema[f"emb_{s}"].size for s in vectors}),
        )
        fs.register_features(specs, code_version=FEATURES_CODE_VERSION)
        fs.refresh_catalog()
        return dg.MaterializeResult(
            metadata={
                "rows": len(frame),
                "columns": len(frame.columns),
                "seconds": round(seconds, 2),
                "preview": preview(frame, frame.columns[:8]),
                **(
                    {"price": histogram(frame["price"], title="price")}
                    if "price" in frame.columns
                    else {}
                ),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="one_row_per_item",
                    passed=len(frame) == len(items) and frame["item_id"].n_unique() == len(frame),
                    metadata={"rows": len(frame), "items": len(items)},
                )
            ],
        )

    return [pair_features, item_features]
