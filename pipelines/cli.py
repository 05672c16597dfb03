"""The ``cardfeatures`` command line.

Each package contributes its own subcommands through a ``register(subparsers)`` function in its
``cli`` module; those modules import their heavy dependencies (torch, dagster) only inside the
command handlers, so ``cardfeatures --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that contribute subcommands, in the order they appear in --help.
COMMAND_MODULES = (
    "pipelines.commands",
    "textclean.cli",
    "encoders.cli",
    "featurestore.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cardfeatures",
        description="Offline feature extraction and feature store for marketplace product cards.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except KeyboardInterrupt:
        # Ctrl-C: pair-features, embed and the store write files whole (temp file + rename), so
        # earlier output stands; a traceback would tell the user nothing more.
        print(f"cardfeatures {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`cardfeatures repair ... | head`): stop quietly, and
        # point stdout at /dev/null so the interpreter's final flush does not complain either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass  # stdout is no real file (a test's stand-in)
        return 141  # 128 + SIGPIPE, what `yes | head` gives
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
