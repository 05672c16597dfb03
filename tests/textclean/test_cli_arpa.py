"""The repair CLI (stdin -> stdout) and errors for missing or malformed ARPA files."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from textclean import ArpaError, HomoglyphRepairer, check_arpa_header
from textclean import cli as tc_cli


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cardfeatures")
    tc_cli.register(p.add_subparsers(dest="command", required=True))
    return p


def _run(argv, stdin_text, monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin_text))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    args = _parser().parse_args(argv)
    rc = args.handler(args)
    return rc, out.getvalue(), err.getvalue()


def test_repair_cli_same_lines_same_order(char_lm, monkeypatch):
    lines = ["Мoлoкo свежее", "", "the quick brоwn fox", "   ", "вода 500мл"]
    rc, out, err = _run(
        ["repair", "--lm", str(char_lm), "--batch", "2"], "\n".join(lines) + "\n", monkeypatch
    )
    assert rc == 0 and err == ""
    got = out.split("\n")[:-1]
    assert len(got) == len(lines)
    assert got[0] == "Молоко свежее"
    assert got[1] == "" and got[3] == ""
    assert got[2] == "the quick brown fox"
    assert got[4] == "вода 500 мл"


def test_repair_cli_explain_goes_to_stderr(char_lm, monkeypatch):
    rc, out, err = _run(["repair", "--lm", str(char_lm), "--explain"], "Мoлoкo\n", monkeypatch)
    assert rc == 0
    assert out == "Молоко\n"
    assert err.startswith("line 1: Мoлoкo -> Молоко")
    assert "cyrillic" in err


def test_repair_cli_undecodable_bytes_with_strict_stdin(char_lm, monkeypatch):
    # Under a UTF-8 locale such as en_US.UTF-8, sys.stdin decodes with errors="strict": one byte
    # that is not UTF-8 (a stray cp1251 byte) crashed the whole run with UnicodeDecodeError.
    # The line keeps its place and the bad byte becomes "?", as under the C locale.
    raw = "Мoлoкo\nцена ".encode() + b"\xff" + b"\nthe quick brown fox\n"
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="strict", newline="\n")
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    args = _parser().parse_args(["repair", "--lm", str(char_lm)])
    assert args.handler(args) == 0
    assert out.getvalue().split("\n") == ["Молоко", "цена ?", "the quick brown fox", ""]


def test_repair_cli_bad_lm(tmp_path, monkeypatch):
    rc, out, err = _run(["repair", "--lm", str(tmp_path / "nope.arpa")], "x\n", monkeypatch)
    assert rc == 2 and out == ""
    assert "nope.arpa" in err and "not found" in err


def _write(tmp_path, text):
    p = tmp_path / "bad.arpa"
    p.write_text(text, encoding="utf-8")
    return p


def test_arpa_missing_and_malformed(tmp_path):
    with pytest.raises(ArpaError, match=r"missing\.arpa: language model file not found"):
        HomoglyphRepairer.from_arpa(tmp_path / "missing.arpa")
    with pytest.raises(ArpaError, match=r"bad\.arpa:1: no '\\data\\' header"):
        check_arpa_header(_write(tmp_path, ""))
    with pytest.raises(ArpaError, match=r"bad\.arpa:2: expected '\\data\\'"):
        check_arpa_header(_write(tmp_path, "\nhello\n"))
    with pytest.raises(ArpaError, match=r"bad\.arpa:3: expected 'ngram N=count'"):
        check_arpa_header(_write(tmp_path, "\\data\\\nngram 1=5\nngram two=3\n"))
    with pytest.raises(ArpaError, match=r"bad\.arpa:3: expected 'ngram 2=...'"):
        check_arpa_header(_write(tmp_path, "\\data\\\nngram 1=5\nngram 3=3\n"))
    with pytest.raises(ArpaError, match=r"bad\.arpa:4: expected '\\1-grams:'"):
        check_arpa_header(_write(tmp_path, "\\data\\\nngram 1=2\n\n\\2-grams:\n"))
    good = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\t<s>\n-0.5\t</s>\n-0.3\ta\n\n\\end\\\n"
    assert check_arpa_header(_write(tmp_path, good)) == 1


def test_arpa_body_error_names_file(tmp_path):
    # Header fine, body broken: KenLM's own error, wrapped with the path (and line if known).
    text = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1.0\t<s>\nnot a number\n\n\\end\\\n"
    with pytest.raises(ArpaError, match=r"bad\.arpa:"):
        HomoglyphRepairer.from_arpa(_write(tmp_path, text))
