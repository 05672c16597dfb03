"""``cardfeatures train-lm`` through the real entry point: bad arguments are one-line errors."""

from __future__ import annotations

from pipelines.cli import main


def test_train_lm_out_that_is_a_folder_is_refused_before_training(tmp_path, capsys):
    """--out naming a folder trained the model, then failed in os.replace with a traceback."""
    corpus = tmp_path / "words.txt"
    corpus.write_text("привет 3\nмир 2\n", encoding="utf-8")
    folder = tmp_path / "models"
    folder.mkdir()
    assert main(["train-lm", "--corpus", str(corpus), "--out", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(folder) in err[0]
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == [
        "models",
        "words.txt",
    ]


def test_train_lm_order_zero_is_an_error_not_the_default(tmp_path, capsys):
    """--order 0 was read as 'not given' and silently trained a 5-gram model."""
    corpus = tmp_path / "words.txt"
    corpus.write_text("привет 3\nмир 2\n", encoding="utf-8")
    out = tmp_path / "lm.arpa"
    assert main(["train-lm", "--corpus", str(corpus), "--out", str(out), "--order", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "order" in err[0]
    assert not out.exists()


def test_train_lm_out_under_a_file_is_refused_before_training(tmp_path, capsys):
    """--out words.txt/lm.arpa trained the model, then died in makedirs (FileExistsError)."""
    corpus = tmp_path / "words.txt"
    corpus.write_text("привет 3\nмир 2\n", encoding="utf-8")
    out = corpus / "lm.arpa"
    assert main(["train-lm", "--corpus", str(corpus), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(out) in err[0]
