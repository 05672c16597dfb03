"""``cardfeatures repair`` (and ``train-lm``, from ``textclean.lmtrain``).

``cardfeatures repair --lm MODEL.arpa [--explain]`` reads lines on stdin and writes the normalised,
repaired lines to stdout: same number of lines, same order, streamed in batches so large inputs
never sit in memory. ``--explain`` writes each changed or ambiguous word with its readings and
scores to stderr, so stdout stays the repaired lines.
"""

from __future__ import annotations

import argparse
import sys
from itertools import islice


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the textclean subcommands to the ``cardfeatures`` parser."""
    p = subparsers.add_parser(
        "repair",
        help="repair Cyrillic/Latin homoglyphs in stdin lines (one output line per input line)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lm", required=True, help="character language model (ARPA or KenLM binary)")
    p.add_argument(
        "--explain",
        action="store_true",
        help="print readings and scores of changed words to stderr",
    )
    p.add_argument(
        "--no-normalize", action="store_true", help="skip normalisation (HTML, Unicode, spaces)"
    )
    p.add_argument("--batch", type=int, default=4096, help="lines per batch (default 4096)")
    p.set_defaults(handler=_repair)
    try:
        from textclean import lmtrain
    except ImportError as exc:  # the trainer module is developed separately
        msg = f"train-lm is unavailable: textclean.lmtrain could not be imported ({exc})"
        t = subparsers.add_parser("train-lm", help="(unavailable) train a char/word KenLM model")
        t.set_defaults(handler=lambda _args: sys.exit(msg))
    else:
        lmtrain.add_command(subparsers)


def _repair(args: argparse.Namespace) -> int:
    import polars as pl

    from textclean.arpa import ArpaError
    from textclean.repair import HomoglyphRepairer

    try:
        repairer = HomoglyphRepairer.from_arpa(args.lm, normalize=not args.no_normalize)
    except ArpaError as exc:
        print(f"cardfeatures repair: {exc}", file=sys.stderr)
        return 2
    out, err = sys.stdout, sys.stderr
    stdin = sys.stdin
    if getattr(stdin, "errors", None) == "strict" and hasattr(stdin, "reconfigure"):
        # A UTF-8 locale (en_US.UTF-8) gives a strict stdin: one byte that is not UTF-8 would
        # stop the run. Undecodable bytes become lone surrogates instead, replaced below.
        stdin.reconfigure(errors="surrogateescape")
    interactive = stdin.isatty()
    batch = 1 if interactive else max(1, args.batch)
    done = 0
    while True:
        lines = list(islice(stdin, batch))
        if not lines:
            break
        texts = [line.rstrip("\r\n") for line in lines]
        # Lone surrogates (from undecodable bytes) cannot enter polars: replace them first.
        texts = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
        if args.explain:
            for i, t in enumerate(texts, start=done + 1):
                for line in repairer.explain(t):
                    print(f"line {i}: {line}", file=err)
        done += len(texts)
        clean = repairer.repair_column(pl.Series("text", texts, dtype=pl.String))["clean"]
        out.write("\n".join(clean.to_list()) + "\n")
        if interactive:
            out.flush()
    out.flush()
    return 0
