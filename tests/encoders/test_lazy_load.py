"""The text encoder keys its cache from config files and loads weights only when it must encode."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from encoders.base import folder_fingerprint, make_model_key
from encoders.engine import embed_texts
from encoders.errors import ModelLoadError
from encoders.st_config import ModelShape, read_model_shape
from encoders.text import SentenceTransformerEncoder

TEXTS = ["Смартфон Apple iPhone 13 синий", "Кроссовки Nike Air Max", "диван угловой", "b"]


def old_model_key(path: str, max_seq_length: int | None = None) -> tuple[str, int]:
    """The key and dim as the encoder made them before lazy loading: from the loaded model."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu")
    if max_seq_length is not None:
        model.max_seq_length = max_seq_length
    spec = {
        "backend": "sentence-transformers",
        "model": f"local:{folder_fingerprint(path)}",
        "revision": None,
        "prefix": "",
        "max_seq_length": int(model.max_seq_length or 512),
        "preprocessing_version": "1",
        "output_dtype": "float16",
    }
    name = os.path.basename(os.path.normpath(path))
    return make_model_key(name, spec), int(model.get_embedding_dimension())


def legacy_format(src: str, dst: Path) -> str:
    """The demo model with config files as older sentence-transformers releases wrote them."""
    shutil.copytree(src, dst)
    (dst / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": 64, "do_lower_case": False})
    )
    (dst / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": 64,
                "pooling_mode_cls_token": True,
                "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False,
            }
        )
    )
    return str(dst)


def with_dense(src: str, dst: Path) -> str:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    model = SentenceTransformer(src, device="cpu")
    torch.manual_seed(0)
    model.append(Dense(64, 24))
    model.save(str(dst))
    return str(dst)


@pytest.mark.parametrize("variant", ["demo", "legacy", "dense", "max_seq_length"])
def test_key_from_config_files_equals_todays_key(tmp_path, text_model_dir, variant):
    path = {
        "demo": lambda: text_model_dir,
        "legacy": lambda: legacy_format(text_model_dir, tmp_path / "legacy"),
        "dense": lambda: with_dense(text_model_dir, tmp_path / "dense"),
        "max_seq_length": lambda: text_model_dir,
    }[variant]()
    msl = 32 if variant == "max_seq_length" else None
    enc = SentenceTransformerEncoder(path, device="cpu", max_seq_length=msl)
    assert enc.loads == 0 and not enc.is_loaded
    assert (enc.model_key, enc.dim) == old_model_key(path, msl)
    eager = SentenceTransformerEncoder(path, device="cpu", max_seq_length=msl, lazy=False)
    assert eager.loads == 1 and eager.model_key == enc.model_key
    np.testing.assert_allclose(enc.encode(TEXTS), eager.encode(TEXTS), atol=1e-6)
    assert enc.loads == 1  # the check against the loaded model passed


def test_shapes_of_the_test_variants(tmp_path, text_model_dir):
    assert read_model_shape(text_model_dir) == ModelShape(128, 64)
    legacy = legacy_format(text_model_dir, tmp_path / "legacy")
    assert read_model_shape(legacy) == ModelShape(64, 128)  # cls + mean pooling: 2 x 64


def test_unchanged_rerun_never_loads_weights(tmp_path, text_model_dir):
    root = str(tmp_path / "store")
    first = SentenceTransformerEncoder(text_model_dir, device="cpu")
    assert embed_texts(TEXTS, first, root, progress=False).stats.encoded == 4
    assert first.loads == 1

    nightly = SentenceTransformerEncoder(text_model_dir, device="cpu")  # a new process
    result = embed_texts(TEXTS, nightly, root, progress=False)
    assert result.stats.encoded == 0 and nightly.loads == 0 and not nightly.is_loaded

    result = embed_texts([*TEXTS, "новый товар"], nightly, root, progress=False)
    assert result.stats.encoded == 1 and nightly.loads == 1


def test_broken_weights_raise_model_load_error_at_first_encode(tmp_path, text_model_dir):
    broken = tmp_path / "broken"
    shutil.copytree(text_model_dir, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    enc = SentenceTransformerEncoder(str(broken), device="cpu")  # config files are fine
    assert enc.loads == 0
    with pytest.raises(ModelLoadError, match="Fix:"):
        embed_texts(TEXTS, enc, str(tmp_path / "store"), progress=False)
    with pytest.raises(ModelLoadError, match="Fix:"):
        SentenceTransformerEncoder(str(broken), device="cpu", lazy=False)


def test_missing_config_loads_eagerly_and_raises_at_init(tmp_path, text_model_dir):
    no_modules = tmp_path / "no_modules"
    shutil.copytree(text_model_dir, no_modules)
    (no_modules / "modules.json").unlink()
    (no_modules / "model.safetensors").unlink()
    assert read_model_shape(str(no_modules)) is None
    with pytest.raises(ModelLoadError):
        SentenceTransformerEncoder(str(no_modules), device="cpu")


def test_pooling_modes_count_in_the_dimension(tmp_path, text_model_dir):
    two_modes = tmp_path / "two_modes"
    shutil.copytree(text_model_dir, two_modes)
    (two_modes / "1_Pooling" / "config.json").write_text(
        json.dumps({"embedding_dimension": 64, "pooling_mode": ["mean", "max"]})
    )
    enc = SentenceTransformerEncoder(str(two_modes), device="cpu")
    assert enc.dim == 128 and enc.loads == 0
    assert enc.encode(TEXTS).shape == (4, 128)  # the loaded model agrees


def test_config_that_disagrees_with_the_loaded_model_raises(text_model_dir):
    enc = SentenceTransformerEncoder(text_model_dir, device="cpu")
    enc.max_seq_length = 99  # as if the config files had said 99 (the model says 128)
    with pytest.raises(ModelLoadError, match="lazy=False"):
        enc.load()
    assert not enc.is_loaded


def test_hub_id_is_read_from_the_local_hf_cache_only(tmp_path, text_model_dir, monkeypatch):
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hub"
    repo = cache / "models--org--tiny"
    snapshot = repo / "snapshots" / ("a" * 40)
    shutil.copytree(text_model_dir, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    assert read_model_shape("org/tiny") == read_model_shape(text_model_dir)
    assert read_model_shape("org/not-downloaded") is None  # unknown: the encoder loads eagerly
    (snapshot / "modules.json").unlink()
    assert read_model_shape("org/tiny") is None


def test_cpu_workers_give_the_same_vectors_and_restore_threads(text_model_dir):
    threads = torch.get_num_threads()
    texts = [f"товар номер {i} " * (i % 7 + 1) for i in range(80)]
    one = SentenceTransformerEncoder(text_model_dir, device="cpu", token_budget=256, cpu_workers=1)
    two = SentenceTransformerEncoder(text_model_dir, device="cpu", token_budget=256, cpu_workers=2)
    np.testing.assert_allclose(two.encode(texts), one.encode(texts), atol=1e-6)
    assert torch.get_num_threads() == threads


def test_open_clip_key_from_config_and_all_cached_rerun_loads_nothing(tmp_path, clip_model):
    from PIL import Image

    from encoders.clip import OpenClipImageEncoder, OpenClipTextEncoder
    from encoders.engine import embed_images

    arch, checkpoint = clip_model
    eager = OpenClipImageEncoder(arch, checkpoint=checkpoint, device="cpu", lazy=False)
    lazy = OpenClipImageEncoder(arch, checkpoint=checkpoint, device="cpu")
    assert lazy.loads == 0 and not lazy.is_loaded and eager.loads == 1
    assert (lazy.model_key, lazy.dim, lazy.image_size) == (
        eager.model_key,
        eager.dim,
        eager.image_size,
    )
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.jpg"))
        Image.new("RGB", (40, 30), (i * 80, 20, 200)).save(paths[-1])
    store = str(tmp_path / "store")
    first = embed_images(paths, lazy, store, workers=0, progress=False)
    assert first.stats.encoded == 3 and lazy.loads == 1
    rerun = OpenClipImageEncoder(arch, checkpoint=checkpoint, device="cpu")
    again = embed_images(paths, rerun, store, workers=0, progress=False)
    assert again.stats.encoded == 0 and rerun.loads == 0
    text = OpenClipTextEncoder(arch, checkpoint=checkpoint, device="cpu")
    assert text.loads == 0
    np.testing.assert_allclose(
        text.encode(["красный диван"]),
        OpenClipTextEncoder(arch, checkpoint=checkpoint, device="cpu", lazy=False).encode(
            ["красный диван"]
        ),
        atol=1e-6,
    )


def test_open_clip_config_disagreeing_with_the_model_raises(clip_model, monkeypatch):
    import encoders.clip as clip

    arch, checkpoint = clip_model
    monkeypatch.setattr(clip, "config_shape", lambda arch, checkpoint: (999, 32))
    enc = clip.OpenClipImageEncoder(arch, checkpoint=checkpoint, device="cpu")
    with pytest.raises(ModelLoadError, match="embed_dim=999"):
        enc.load()
    with pytest.raises(ModelLoadError, match="does not exist"):
        clip.OpenClipImageEncoder(arch, checkpoint=checkpoint + ".missing", device="cpu")
