from pathlib import Path

import numpy as np

from encoders.demo_models import DEMO_LABEL, _demo_vocab, is_demo_model


def test_demo_text_model_is_labelled_and_matches_sentence_transformers(
    text_model_dir, text_encoder
):
    from sentence_transformers import SentenceTransformer

    readme = Path(text_model_dir, "README.md").read_text(encoding="utf-8")
    assert DEMO_LABEL in readme
    assert is_demo_model(text_model_dir) and text_encoder.is_demo
    texts = ["Смартфон Apple iPhone 13 синий", "b", "ноутбук lenovo " * 30, "кроссовки"]
    ref = SentenceTransformer(text_model_dir, device="cpu").encode(texts, normalize_embeddings=True)
    got = text_encoder.encode(texts)
    assert got.dtype == np.float32 and got.shape == (4, text_encoder.dim)
    np.testing.assert_allclose(got, ref, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_demo_vocab_is_deterministic_and_tokenises_russian(text_encoder):
    assert _demo_vocab() == _demo_vocab()
    tokens = text_encoder.tokenizer.tokenize("Смартфон синий")
    assert tokens == ["смартфон", "синий"]


def test_demo_clip_model_is_labelled(clip_model, image_encoder):
    arch, checkpoint = clip_model
    assert is_demo_model(checkpoint) and image_encoder.is_demo
    assert image_encoder.dim == 32 and image_encoder.image_size == 32


def test_demo_text_model_takes_a_benchmark_shape(tmp_path):
    import json

    from encoders.demo_models import TEXT_SHAPES, build_demo_text_model
    from encoders.st_config import ModelShape, read_model_shape

    shape = TEXT_SHAPES["rubert-tiny2"]
    path = build_demo_text_model(tmp_path / "rt2", **shape)
    config = json.loads(Path(path, "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"]) == (312, 3)
    assert (config["num_attention_heads"], config["intermediate_size"]) == (12, 600)
    assert is_demo_model(path) and read_model_shape(path) == ModelShape(2048, 312)


def test_demo_text_model_takes_a_vocabulary(tmp_path):
    import pytest

    from encoders.demo_models import build_demo_text_model
    from encoders.text import SentenceTransformerEncoder

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {t: i for i, t in enumerate(specials + list("кот") + ["##о", "##т", "кошка", "кот"])}
    path = build_demo_text_model(tmp_path / "v", vocab=vocab)
    encoder = SentenceTransformerEncoder(path, device="cpu")
    assert encoder.tokenizer.get_vocab() == vocab
    # a listed word is one piece; an unlisted one splits into the listed start and endings
    assert encoder.tokenizer.tokenize("Кошка кото") == ["кошка", "кот", "##о"]
    ids, lengths = encoder.token_lengths(["кошка кот"])
    assert list(ids[0]) == [vocab["[CLS]"], vocab["кошка"], vocab["кот"], vocab["[SEP]"]]
    assert list(lengths) == [4]

    with pytest.raises(ValueError, match=r"\[MASK\]"):
        build_demo_text_model(tmp_path / "bad", vocab={t: i for i, t in enumerate(specials[:4])})
