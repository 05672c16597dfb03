"""Ctrl-C in any ``cardfeatures`` command: one line and exit 130, not a KeyboardInterrupt traceback."""

from __future__ import annotations

import polars as pl

import featurestore.features as features
from pipelines.cli import main


def test_ctrl_c_is_one_line_and_exit_130_and_leaves_the_earlier_output(
    tmp_path, monkeypatch, capsys
):
    pl.DataFrame({"item_id": ["a", "b"], "title": ["x", "y"]}).write_parquet(tmp_path / "i.parquet")
    pl.DataFrame({"item_id_1": ["a"], "item_id_2": ["b"]}).write_parquet(tmp_path / "p.parquet")
    (tmp_path / "f.parquet").write_bytes(b"earlier run")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(features, "pair_features", interrupted)
    argv = ["pair-features", "--items", str(tmp_path / "i.parquet")]
    argv += ["--pairs", str(tmp_path / "p.parquet"), "--out", str(tmp_path / "f.parquet")]
    assert main(argv) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["cardfeatures pair-features: interrupted"]
    assert (tmp_path / "f.parquet").read_bytes() == b"earlier run"
