import argparse
import json

import pyarrow as pa
import pyarrow.parquet as pq

from encoders import cli


def _run(argv):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_embed_text_and_image_cli(tmp_path, text_model_dir, clip_model, capsys):
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "a.jpg")
    pq.write_table(
        pa.table(
            {
                "title": ["a", "b", None, "a"],
                "image_paths": [[str(tmp_path / "a.jpg"), str(tmp_path / "x.jpg")], [], None, []],
            }
        ),
        tmp_path / "in.parquet",
    )
    store, inp = str(tmp_path / "store"), str(tmp_path / "in.parquet")
    rc = _run(
        [
            "embed",
            "text",
            "--model",
            text_model_dir,
            "--input",
            inp,
            "--column",
            "title",
            "--store",
            store,
            "--output",
            str(tmp_path / "h.parquet"),
            "--quiet",
        ]
    )
    assert rc == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["encoded"] == 2 and stats["rows"] == 4
    assert pq.read_table(tmp_path / "h.parquet").column("content_hash").null_count == 1

    arch, checkpoint = clip_model
    rc = _run(
        [
            "embed",
            "image",
            "--arch",
            arch,
            "--checkpoint",
            checkpoint,
            "--input",
            inp,
            "--column",
            "image_paths",
            "--store",
            store,
            "--workers",
            "0",
            "--output",
            str(tmp_path / "i.parquet"),
            "--quiet",
        ]
    )
    assert rc == 0
    out = pq.read_table(tmp_path / "i.parquet")
    assert out.column("status").to_pylist() == ["ok", "missing"]
    assert out.column("row").to_pylist() == [0, 0] and out.column("photo_index").to_pylist() == [
        0,
        1,
    ]


def test_embed_text_cli_reports_load_error(tmp_path, capsys):
    pq.write_table(pa.table({"t": ["a"]}), tmp_path / "in.parquet")
    rc = _run(
        [
            "embed",
            "text",
            "--model",
            str(tmp_path / "nope"),
            "--input",
            str(tmp_path / "in.parquet"),
            "--column",
            "t",
            "--store",
            str(tmp_path),
        ]
    )
    assert rc == 2 and "local path" in capsys.readouterr().err


def test_embed_input_missing_or_not_parquet_is_a_one_line_error(tmp_path):
    """A missing --input or a file that is not parquet gave a pyarrow traceback."""
    import pytest

    (tmp_path / "bad.parquet").write_text("title\nphone\n")
    for name in ("nope.parquet", "bad.parquet"):
        path = str(tmp_path / name)
        argv = ["embed", "text", "--model", "unused", "--input", path, "--column", "title"]
        with pytest.raises(SystemExit) as exc:
            _run(argv + ["--store", str(tmp_path / "store")])
        message = str(exc.value.code)
        assert path in message and "\n" not in message


def test_embed_text_of_a_list_column_is_a_one_line_error(tmp_path):
    """A list column (category_path) gave pyarrow's 'Unsupported cast ... to utf8' traceback."""
    import pytest

    path = str(tmp_path / "in.parquet")
    pq.write_table(pa.table({"category_path": [["Обувь", "Кеды"], None]}), path)
    argv = ["embed", "text", "--model", "unused", "--input", path, "--column", "category_path"]
    with pytest.raises(SystemExit) as exc:
        _run(argv + ["--store", str(tmp_path / "store")])
    message = str(exc.value.code)
    assert path in message and "'category_path'" in message and "\n" not in message


def test_embed_output_that_cannot_be_written_is_a_one_line_error(tmp_path):
    """--output naming a folder (or a path under a file) ended in IsADirectoryError /
    FileExistsError tracebacks from the final write."""
    import pytest

    path = str(tmp_path / "in.parquet")
    pq.write_table(pa.table({"title": ["a"]}), path)
    (tmp_path / "folder").mkdir()
    for output in (tmp_path / "folder", tmp_path / "in.parquet" / "x.parquet"):
        argv = ["embed", "text", "--model", "unused", "--input", path, "--column", "title"]
        with pytest.raises(SystemExit) as exc:
            _run(argv + ["--store", str(tmp_path / "store"), "--output", str(output)])
        message = str(exc.value.code)
        assert str(output) in message and "\n" not in message


def test_embed_image_with_a_bad_checkpoint_is_an_error_not_a_traceback(
    tmp_path, clip_model, capsys
):
    """The image model loads lazily, inside embed_images, outside the handler's ModelLoadError
    guard: a checkpoint that is no checkpoint gave a ModelLoadError traceback (exit 1)."""
    from PIL import Image

    arch, _ = clip_model
    Image.new("RGB", (40, 30), (200, 10, 10)).save(tmp_path / "a.jpg")
    path = str(tmp_path / "in.parquet")
    pq.write_table(pa.table({"p": [str(tmp_path / "a.jpg")]}), path)
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint\n")
    argv = ["embed", "image", "--arch", arch, "--checkpoint", str(bad), "--input", path]
    argv += ["--column", "p", "--store", str(tmp_path / "store"), "--quiet", "--workers", "0"]
    assert _run(argv) == 2
    assert "Could not load the image model" in capsys.readouterr().err
