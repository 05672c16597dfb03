"""``cardfeatures run`` driven through the entry point: bad snapshots are one-line errors."""

from __future__ import annotations

from pipelines.cli import main


def test_run_a_snapshot_that_is_no_date_is_a_one_line_error(pipeline_env, capsys):
    """A snapshot that is not a daily partition gave DagsterUnknownPartitionError's traceback."""
    assert main(["run", "--snapshot", "garbage"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "garbage" in err[0] and "CARDFEATURES_START_DATE" in err[0]


def test_run_a_snapshot_that_has_not_landed_names_the_missing_folder(pipeline_env, capsys):
    """The RuntimeError traceback said only 'Execution of step "source_tables" failed'."""
    assert main(["run", "--snapshot", "2026-11-02"]) == 1
    err = capsys.readouterr().err  # Dagster's own log lines come first
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: snapshot_sources 2026-11-02 failed")
    assert "step source_tables: FileNotFoundError" in last
    assert "landing/2026-11-02 does not exist" in last


def test_demo_with_zero_shards_is_refused_before_any_work(tmp_path, capsys):
    """--shards 0 built the models and the dataset, then died in shard_keys with a traceback."""
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["demo", "--store", str(tmp_path / "store"), "--shards", "0"])
    assert exc.value.code == 2
    assert "--shards" in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


def test_run_a_failed_blocking_check_names_the_check(pipeline_env, tmp_path, capsys):
    """The error line ended at 'failed with ERROR severity:', before the check's name."""
    from pathlib import Path

    from tests.pipelines.conftest import land_demo

    land_demo(Path(pipeline_env.landing), items=3)  # too few words for the homoglyph LM
    assert main(["run", "--snapshot", "2026-11-01"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "homoglyph_lm: lm_has_enough_words" in last


def test_a_bad_cardfeatures_shards_variable_is_one_error_not_a_broken_cli(
    tmp_path, monkeypatch, capsys
):
    """CARDFEATURES_SHARDS=abc made every command (even sql) die with int()'s ValueError while
    the parser was built; CARDFEATURES_SHARDS=0 bypassed the --shards check of demo."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("CARDFEATURES_STORE", str(tmp_path / "store"))
    for value in ("abc", "0"):
        monkeypatch.setenv("CARDFEATURES_SHARDS", value)
        assert main(["sql", "--store", str(tmp_path / "nostore"), "select 1"]) == 2
        assert main(["demo", "--store", str(tmp_path / "store")]) == 2
        assert main(["run", "--snapshot", "2026-11-01"]) == 2
        assert "CARDFEATURES_SHARDS" in capsys.readouterr().err
    assert not (tmp_path / "store").exists()


def test_run_with_a_bad_start_date_or_timezone_names_the_variable(
    pipeline_env, monkeypatch, capsys
):
    """CARDFEATURES_START_DATE=bad gave strptime's ValueError and CARDFEATURES_TIMEZONE=Mars/Base
    a ZoneInfoNotFoundError, both as tracebacks from inside Dagster, naming no variable."""
    for name, value in (("CARDFEATURES_START_DATE", "bad"), ("CARDFEATURES_TIMEZONE", "Mars/Base")):
        with monkeypatch.context() as env:
            env.setenv(name, value)
            assert main(["run", "--snapshot", "2026-11-01"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and name in err[0] and value in err[0]
