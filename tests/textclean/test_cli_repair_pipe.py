"""``cardfeatures repair ... | head``: a reader that stops early is no error worth a traceback."""

from __future__ import annotations

import io
import sys

from pipelines.cli import main


class ClosedPipe(io.StringIO):
    """stdout of ``| head -1`` after head has exited: every write fails with EPIPE."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


def test_repair_into_a_closed_pipe_exits_quietly(char_lm, monkeypatch):
    """The BrokenPipeError from stdout.write went up as a traceback."""
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO("Мoлoкo\n" * 10))
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["repair", "--lm", str(char_lm), "--batch", "2"]) == 141
    assert "Traceback" not in err.getvalue() and "BrokenPipe" not in err.getvalue()
