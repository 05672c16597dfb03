"""Group ``clean``: the homoglyph language model and the cleaned, repaired item text."""

import os
import tempfile

import dagster as dg

from featurestore import storage
from featurestore.schemas import CLEAN_ITEMS_SCHEMA
from pipelines.metadata import histogram, preview, timer
from pipelines.partitions import snapshot_of
from pipelines.resources import HomoglyphLMResource, PipelineConfigResource, StoreResource

TEXT_COLUMNS = ("title", "description")


def lm_path(store_root: str, snapshot: str, order: int) -> str:
    return storage.join(
        store_root, "models", "homoglyph_lm", f"snapshot={snapshot}", f"char{order}.arpa"
    )


def build(snapshot_partitions: dg.PartitionsDefinition) -> list:
    @dg.asset(
        group_name="clean",
        partitions_def=snapshot_partitions,
        deps=["items"],
        code_version="lm-1",
        kinds={"kenlm"},
        check_specs=[
            dg.AssetCheckSpec(
                "lm_has_enough_words",
                asset="homoglyph_lm",
                blocking=True,
                description="The LM was trained on enough distinct clean words to judge repairs.",
            )
        ],
        description="Character n-gram language model (modified Kneser-Ney, ARPA) that scores "
        "candidate readings of words with mixed Cyrillic/Latin letters. Trained from the "
        "snapshot's own clean single-script words unless a fixed ARPA file is configured.",
    )
    def homoglyph_lm(
        context: dg.AssetExecutionContext,
        store: StoreResource,
        homoglyph_lm: HomoglyphLMResource,
        pipeline: PipelineConfigResource,
    ) -> dg.MaterializeResult:
        from textclean import single_script_word_counts
        from textclean.lmtrain import train_char_lm

        snapshot = snapshot_of(context)
        if homoglyph_lm.arpa:
            fs, fs_path = storage.filesystem(homoglyph_lm.arpa)
            if not fs.exists(fs_path):
                raise FileNotFoundError(f"homoglyph LM {homoglyph_lm.arpa!r} does not exist")
            return dg.MaterializeResult(
                metadata={"arpa": homoglyph_lm.arpa, "trained": False},
                check_results=[
                    dg.AssetCheckResult(
                        check_name="lm_has_enough_words",
                        passed=True,
                        metadata={"note": "fixed ARPA file configured"},
                    )
                ],
            )
        items = store.open().read("items", snapshot=snapshot, columns=list(TEXT_COLUMNS)).collect()
        with timer() as elapsed:
            counts = single_script_word_counts([items[c] for c in TEXT_COLUMNS])
            out = lm_path(store.root, snapshot, homoglyph_lm.order)
            # trained locally, then put into the store whole (an object store needs an upload;
            # on a local disk a rename, so clean_items never reads half a model)
            with tempfile.TemporaryDirectory(prefix="cardfeatures-lm-") as tmp:
                local = os.path.join(tmp, os.path.basename(out))
                train_char_lm(counts, local, order=homoglyph_lm.order)
                storage.put_file(local, out)
        return dg.MaterializeResult(
            metadata={
                "arpa": out,
                "trained": True,
                "order": homoglyph_lm.order,
                "distinct_words": len(counts),
                "word_tokens": sum(c for _, c in counts),
                "seconds": round(elapsed(), 2),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="lm_has_enough_words",
                    passed=len(counts) >= pipeline.min_lm_words,
                    metadata={"distinct_words": len(counts), "minimum": pipeline.min_lm_words},
                )
            ],
        )

    @dg.asset(
        group_name="clean",
        partitions_def=snapshot_partitions,
        deps=["items", "homoglyph_lm"],
        code_version="clean-1",
        kinds={"polars"},
        description="Items with normalised text (HTML, Unicode, quotes, glued words) and "
        "Cyrillic/Latin homoglyphs repaired: title_clean, description_clean beside the original "
        "text, and per-text repair statistics (mixed, repaired, ambiguous words, broken share).",
        check_specs=[
            dg.AssetCheckSpec(
                "mixed_script_rate_after_repair",
                asset="clean_items",
                blocking=True,
                description="Share of words still mixed-script after repair is below the threshold.",
            )
        ],
    )
    def clean_items(
        context: dg.AssetExecutionContext,
        store: StoreResource,
        homoglyph_lm: HomoglyphLMResource,
        pipeline: PipelineConfigResource,
    ) -> dg.MaterializeResult:
        from textclean import HomoglyphRepairer, clean_frame

        snapshot = snapshot_of(context)
        fs = store.open()
        items = fs.read("items", snapshot=snapshot).collect()
        arpa = homoglyph_lm.arpa or lm_path(store.root, snapshot, homoglyph_lm.order)
        with timer() as elapsed:
            repairer = HomoglyphRepairer.from_arpa(storage.local_copy(arpa))  # KenLM reads files
            cleaned = clean_frame(items, repairer, columns=TEXT_COLUMNS)
            fs.write(
                "clean_items", cleaned, partition={"snapshot": snapshot}, schema=CLEAN_ITEMS_SCHEMA
            )
            fs.refresh_catalog()
        seconds = elapsed()
        totals = {
            stat: int(sum(cleaned[f"{c}_{stat}"].fill_null(0).sum() for c in TEXT_COLUMNS))
            for stat in ("words", "mixed_words", "repaired_words", "ambiguous_words")
        }
        still_mixed = totals["ambiguous_words"] / max(totals["words"], 1)
        return dg.MaterializeResult(
            metadata={
                "rows": len(cleaned),
                "seconds": round(seconds, 2),
                "words_per_s": round(totals["words"] / max(seconds, 1e-9)),
                **totals,
                "mixed_rate_before": round(totals["mixed_words"] / max(totals["words"], 1), 4),
                "mixed_rate_after": round(still_mixed, 4),
                "title_broken_share": histogram(
                    cleaned["title_broken_share"], title="title broken-word share"
                ),
                "preview": preview(cleaned, ["item_id", "title", "title_clean"]),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="mixed_script_rate_after_repair",
                    passed=still_mixed <= pipeline.max_mixed_rate,
                    metadata={
                        "mixed_rate_after": round(still_mixed, 5),
                        "threshold": pipeline.max_mixed_rate,
                    },
                )
            ],
        )

    return [homoglyph_lm, clean_items]
