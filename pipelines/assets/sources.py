"""Group ``sources``: raw parquet in the landing folder -> canonical ``items``, ``pairs`` and the
embeddings that some sources ship with their data (``source_embeddings``)."""

import dagster as dg
import polars as pl

from featurestore.catalog import list_partition_values, table_root
from featurestore.schemas import ITEMS_SCHEMA, PAIRS_SCHEMA, SOURCE_EMBEDDINGS_SCHEMA
from pipelines.metadata import preview, timer
from pipelines.partitions import snapshot_of
from pipelines.resources import PipelineConfigResource, SourceResource, StoreResource


def build(snapshot_partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                "items",
                description="Canonical product cards of the snapshot (featurestore.schemas."
                "ITEMS_SCHEMA), read from the landing folder by the configured source adapter.",
                group_name="sources",
                kinds={"parquet"},
            ),
            dg.AssetSpec(
                "pairs",
                description="Candidate pairs of cards with labels where known (PAIRS_SCHEMA).",
                group_name="sources",
                kinds={"parquet"},
            ),
            dg.AssetSpec(
                "source_embeddings",
                description="Vectors shipped with the source data (Ozon name BERT and picture "
                "embeddings), L2-normalised, one table per embedding space.",
                group_name="sources",
                kinds={"parquet"},
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                "unique_item_ids",
                asset="items",
                blocking=True,
                description="No null or duplicate item_id.",
            ),
            dg.AssetCheckSpec(
                "pairs_name_known_items",
                asset="pairs",
                blocking=True,
                description="Every pair names two items of the snapshot, keys not null.",
            ),
        ],
        partitions_def=snapshot_partitions,
        code_version="sources-1",
        can_subset=False,
    )
    def source_tables(
        context: dg.AssetExecutionContext,
        source: SourceResource,
        store: StoreResource,
        pipeline: PipelineConfigResource,
    ):
        from featurestore.sources import read_source

        snapshot = snapshot_of(context)
        fs = store.open()
        with timer() as elapsed:
            tables = read_source(source.format, source.snapshot_path(snapshot), **source.options())
            part = {"snapshot": snapshot}
            fs.write("items", tables.items, partition=part, schema=ITEMS_SCHEMA)
            fs.write("pairs", tables.pairs, partition=part, schema=PAIRS_SCHEMA)
            spaces = sorted(set(tables.source_embeddings.column("space").to_pylist()))
            for space in spaces:
                from encoders.precomputed import normalize_source_embeddings

                vectors = normalize_source_embeddings(tables.source_embeddings, space)
                fs.write(
                    "source_embeddings",
                    vectors,
                    partition={"space": space, "snapshot": snapshot},
                    schema=vectors.schema,
                )
            # A rerun whose source no longer ships a space: empty that space's partition, so the
            # features do not use the vectors of the earlier landing.
            for stale in list_partition_values(table_root(fs.root, "source_embeddings"), "space"):
                partition = {"space": stale, "snapshot": snapshot}
                if stale not in spaces and fs.files("source_embeddings", partition):
                    fs.replace_partition(
                        "source_embeddings", [], partition, SOURCE_EMBEDDINGS_SCHEMA
                    )
            fs.refresh_catalog()
        items = pl.from_arrow(tables.items)
        pairs = pl.from_arrow(tables.pairs)
        seconds = elapsed()
        context.log.info(f"{snapshot}: {len(items)} items, {len(pairs)} pairs in {seconds:.1f}s")

        dup_ids = len(items) - items["item_id"].n_unique()
        known = items["item_id"].implode()
        unknown = pairs.filter(
            ~pl.col("item_id_1").is_in(known) | ~pl.col("item_id_2").is_in(known)
        )
        yield dg.MaterializeResult(
            asset_key="items",
            metadata={
                "rows": len(items),
                "seconds": round(seconds, 2),
                "source_format": source.format,
                "source_path": source.snapshot_path(snapshot),
                "skipped_rows": dg.MetadataValue.json(dict(getattr(tables, "stats", {}) or {})),
                "null_titles": items["title"].null_count(),
                "preview": preview(items, ["item_id", "title", "category_path", "price"]),
            },
            check_results=[
                dg.AssetCheckResult(
                    asset_key="items",
                    check_name="unique_item_ids",
                    passed=dup_ids == 0,
                    metadata={"duplicate_ids": dup_ids},
                )
            ],
        )
        yield dg.MaterializeResult(
            asset_key="pairs",
            metadata={
                "rows": len(pairs),
                "positives": int((pairs["label"] == 1).sum()),
                "negatives": int((pairs["label"] == 0).sum()),
                "unlabelled": pairs["label"].null_count(),
                "preview": preview(pairs),
            },
            check_results=[
                dg.AssetCheckResult(
                    asset_key="pairs",
                    check_name="pairs_name_known_items",
                    passed=len(unknown) == 0,
                    severity=dg.AssetCheckSeverity.WARN
                    if pipeline.drop_unknown_pairs
                    else dg.AssetCheckSeverity.ERROR,
                    metadata={
                        "pairs_with_unknown_items": len(unknown),
                        "examples": dg.MetadataValue.json(unknown.head(5).to_dicts()),
                    },
                )
            ],
        )
        yield dg.MaterializeResult(
            asset_key="source_embeddings",
            metadata={
                "spaces": dg.MetadataValue.json(spaces),
                "rows": tables.source_embeddings.num_rows,
            },
        )

    return [source_tables]
