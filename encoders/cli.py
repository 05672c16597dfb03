"""``cardfeatures embed text|image|demo-models``: embed a parquet column into a store's cache.

Heavy imports (torch, sentence-transformers, open_clip) happen inside the handlers so that
``cardfeatures --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``embed`` command and its ``text``, ``image`` and ``demo-models`` subcommands."""
    embed = subparsers.add_parser("embed", help="embed texts or images into the store's cache")
    sub = embed.add_subparsers(dest="embed_kind", required=True, metavar="KIND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--input", required=True, help="parquet file with the column to embed")
        p.add_argument("--column", required=True, help="text column / image path(s) column")
        p.add_argument("--store", required=True, help="store root (local path or fsspec URL)")
        p.add_argument("--device", default="auto")
        p.add_argument("--precision", default="auto", help="auto|fp32|fp16|bf16")
        p.add_argument("--output-dtype", default="float16", choices=["float16", "float32"])
        p.add_argument("--chunk-rows", type=int, default=None, help="new vectors per part file")
        p.add_argument("--output", help="write the input row order's hashes (and status) here")
        p.add_argument("--quiet", action="store_true", help="no progress lines")

    text = sub.add_parser("text", help="sentence-transformers text embeddings")
    text.add_argument("--model", required=True, help="Hugging Face id or local folder")
    text.add_argument("--revision")
    text.add_argument("--prefix", default="", help="e.g. 'passage: ' for e5 models")
    text.add_argument("--token-budget", type=int, default=16384)
    text.add_argument("--max-seq-length", type=int)
    common(text)
    text.set_defaults(handler=_embed_text)

    image = sub.add_parser("image", help="open_clip image embeddings")
    image.add_argument("--model", help="ARCH[:PRETRAINED], hf-hub:ORG/REPO, or a checkpoint file")
    image.add_argument("--arch")
    image.add_argument("--pretrained")
    image.add_argument("--checkpoint")
    image.add_argument("--batch-size", type=int, default=64)
    image.add_argument("--workers", type=int, default=2)
    common(image)
    image.set_defaults(handler=_embed_image)

    demo = sub.add_parser("demo-models", help="build the tiny RANDOM-WEIGHT demo/test models")
    demo.add_argument("out_dir")
    demo.set_defaults(handler=_demo_models)


def parse_image_model(args: argparse.Namespace) -> tuple[str, str | None, str | None]:
    """(arch, pretrained, checkpoint) from --model and/or --arch/--pretrained/--checkpoint."""
    import os

    arch, pretrained, checkpoint = args.arch, args.pretrained, args.checkpoint
    model = args.model
    if model:
        if os.path.isfile(model):
            checkpoint = model
        elif model.startswith("hf-hub:"):
            arch = model
        else:
            arch, _, tag = model.partition(":")
            pretrained = tag or pretrained
    if checkpoint and not arch:
        from encoders.demo_models import DEMO_CLIP_ARCH, is_demo_model

        if not is_demo_model(checkpoint):
            raise SystemExit("embed image: a checkpoint needs --arch (the open_clip architecture)")
        arch = DEMO_CLIP_ARCH
    if not arch:
        raise SystemExit("embed image: give --model or --arch")
    return arch, pretrained, checkpoint


def _read_column(path: str, column: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from featurestore.storage import filesystem

    fs, fs_path = filesystem(path)
    try:
        schema = pq.read_schema(fs_path, filesystem=fs)
    except FileNotFoundError:
        raise SystemExit(f"{path}: no such file") from None
    except (OSError, pa.ArrowException) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SystemExit(f"{path}: cannot read as parquet ({first})") from None
    if column not in schema.names:
        raise SystemExit(f"{path}: no column {column!r} (columns: {schema.names})")
    return pq.read_table(fs_path, columns=[column], filesystem=fs).column(column)


def _check_output(path: str | None) -> None:
    """Refuse an --output that cannot be a file before any embedding work."""
    from featurestore.storage import prepare_output

    problem = path and prepare_output(path)
    if problem:
        raise SystemExit(f"--output {problem}")


def _finish(args: argparse.Namespace, stats: Any, columns: dict[str, Any]) -> int:
    if args.output:
        import pyarrow as pa

        from featurestore.storage import write_parquet_atomic

        write_parquet_atomic(args.output, pa.table(columns))
    print(json.dumps(stats.as_metadata(), ensure_ascii=False, indent=2))
    return 0


def _embed_text(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from encoders.engine import embed_texts
    from encoders.errors import ModelLoadError
    from encoders.text import SentenceTransformerEncoder

    _check_output(args.output)
    texts = _read_column(args.input, args.column)
    if pa.types.is_nested(texts.type):
        raise SystemExit(
            f"{args.input}: column {args.column!r} has type {texts.type}; embed text needs a "
            "text column (one string per row)"
        )
    try:
        encoder = SentenceTransformerEncoder(
            args.model,
            revision=args.revision,
            device=args.device,
            precision=args.precision,
            token_budget=args.token_budget,
            max_seq_length=args.max_seq_length,
            prefix=args.prefix,
            output_dtype=args.output_dtype,
        )
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:  # a lazily loaded model fails here, on the first text to encode
        result = embed_texts(
            texts,
            encoder,
            args.store,
            chunk_rows=args.chunk_rows or 50_000,
            progress=not args.quiet,
        )
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _finish(args, result.stats, {"content_hash": result.hashes})


def _embed_image(args: argparse.Namespace) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc

    from encoders.clip import OpenClipImageEncoder
    from encoders.engine import embed_images
    from encoders.errors import ModelLoadError

    arch, pretrained, checkpoint = parse_image_model(args)
    _check_output(args.output)
    column = _read_column(args.input, args.column).combine_chunks()
    row = photo = None
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        row = pc.list_parent_indices(column)
        photo = pc.subtract(
            pa.array(range(len(row)), pa.int64()),
            pc.take(column.offsets, row).cast(pa.int64()),
        )
        column = column.flatten()
    try:
        encoder = OpenClipImageEncoder(
            arch,
            pretrained,
            checkpoint=checkpoint,
            device=args.device,
            precision=args.precision,
            batch_size=args.batch_size,
            workers=args.workers,
            output_dtype=args.output_dtype,
        )
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:  # the model loads lazily, on the first image to encode
        result = embed_images(
            column,
            encoder,
            args.store,
            workers=args.workers,
            chunk_rows=args.chunk_rows or 10_000,
            progress=not args.quiet,
        )
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out: dict[str, Any] = {"path": column, "image_hash": result.hashes, "status": result.status}
    if row is not None:
        out = {"row": row, "photo_index": photo, **out}
    return _finish(args, result.stats, out)


def _demo_models(args: argparse.Namespace) -> int:
    import os

    from encoders.demo_models import DEMO_LABEL, build_demo_clip_model, build_demo_text_model

    text = build_demo_text_model(os.path.join(args.out_dir, "text"))
    arch, checkpoint = build_demo_clip_model(os.path.join(args.out_dir, "clip"))
    print(
        json.dumps(
            {
                "label": DEMO_LABEL,
                "text_model": text,
                "clip_arch": arch,
                "clip_checkpoint": checkpoint,
            },
            indent=2,
        )
    )
    return 0
