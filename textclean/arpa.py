"""Loading a KenLM model with errors that name the file and the line.

``kenlm.Model`` raises a bare ``OSError`` for a bad file. Before loading, :func:`check_arpa_header`
reads the ARPA header (``\\data\\``, then ``ngram N=count`` lines, then the ``\\1-grams:`` section)
and raises :class:`ArpaError` naming the first line that is wrong. KenLM binary files (``mmap lm``
magic) are passed to KenLM as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

_NGRAM_LINE = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")


class ArpaError(ValueError):
    """A language-model file is missing or malformed; the message names the file and line."""


def check_arpa_header(path: str | Path) -> int:
    """Validate the header of the ARPA file at ``path`` and return the model order.

    Raises :class:`ArpaError` ("<path>:<line>: ...") when the file is missing, empty, or its
    header is not ``\\data\\`` + ``ngram N=count`` lines (N = 1, 2, ... in order) + ``\\1-grams:``.
    """
    p = Path(path)
    if not p.is_file():
        raise ArpaError(f"{p}: language model file not found")
    with p.open("rb") as fh:
        if fh.read(7) == b"mmap lm":
            return 0  # KenLM binary format: KenLM checks it itself
    orders: list[int] = []
    state = "start"
    lineno = 0
    with p.open("r", encoding="utf-8", errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if state == "start":
                if not line:
                    continue
                if line != "\\data\\":
                    raise ArpaError(
                        f"{p}:{lineno}: expected '\\data\\' header, found {line[:60]!r}"
                    )
                state = "counts"
            elif state == "counts":
                if not line:
                    if orders:
                        state = "section"
                    continue
                if line == "\\1-grams:" and orders:
                    return len(orders)
                m = _NGRAM_LINE.match(line)
                if not m:
                    raise ArpaError(f"{p}:{lineno}: expected 'ngram N=count', found {line[:60]!r}")
                if int(m.group(1)) != len(orders) + 1:
                    raise ArpaError(
                        f"{p}:{lineno}: expected 'ngram {len(orders) + 1}=...', found {line!r}"
                    )
                orders.append(int(m.group(2)))
            else:  # section
                if not line:
                    continue
                if line != "\\1-grams:":
                    raise ArpaError(f"{p}:{lineno}: expected '\\1-grams:', found {line[:60]!r}")
                return len(orders)
    where = "no '\\data\\' header" if state == "start" else "header ends before '\\1-grams:'"
    raise ArpaError(f"{p}:{max(lineno, 1)}: {where}")


def load_kenlm(path: str | Path):
    """Check the header, then load the model with KenLM; errors name the file (and line)."""
    import kenlm

    check_arpa_header(path)
    try:
        return kenlm.Model(str(path))
    except (OSError, RuntimeError) as exc:
        raise ArpaError(
            f"{path}:{_line_of(path, str(exc))}: KenLM could not load it: {exc}"
        ) from exc


def _line_of(path: str | Path, message: str) -> str:
    """The 1-based line that KenLM's "Byte: N" in ``message`` points at, or "?"."""
    m = re.search(r"[Bb]yte:?\s*(\d+)", message)
    if not m:
        return "?"
    with Path(path).open("rb") as fh:
        return str(fh.read(int(m.group(1))).count(b"\n") + 1)
