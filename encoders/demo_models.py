"""Tiny RANDOM-WEIGHT models for tests and the demo. Never use them for real features.

No model hub is reachable where this project is developed and tested, so the tests and the demo
build their own models here:

* ``build_demo_text_model`` - a 2-layer BERT with a WordPiece tokenizer trained locally on a small
  built-in Russian+English text, saved as a sentence-transformers folder (mean pooling).
* ``build_demo_clip_model`` - a very small open_clip configuration (ViT image tower + transformer
  text tower), registered with open_clip through a JSON file next to the checkpoint.

Both are seeded (the same call gives the same weights) and build in a few seconds on a CPU. Their
folders carry a README that says RANDOM WEIGHTS - DEMO/TEST ONLY, and the encoders put that label in
the log when they load one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

DEMO_LABEL = "RANDOM WEIGHTS - DEMO/TEST ONLY"
#: Marker file written into every demo model folder; encoders warn when they see it.
DEMO_MARKER = "CARDFEATURES_DEMO_MODEL"
DEMO_CLIP_ARCH = "cardfeatures-demo-clip"
DEMO_SEED = 1234

# A small bilingual corpus of product-card-like text for training the demo WordPiece vocabulary.
_CORPUS = """
Смартфон Apple iPhone 13 128 ГБ синий, новый, гарантия год.
Смартфон Samsung Galaxy A52 черный, б/у, в отличном состоянии.
Ноутбук Lenovo IdeaPad 15 дюймов, процессор Intel Core i5, 8 ГБ памяти.
Детская коляска прогулочная, легкая, складная, красного цвета.
Кроссовки Nike Air Max мужские, размер 42, оригинал.
Куртка зимняя женская с капюшоном, размер M, пуховик.
Диван угловой раскладной, серый, с ящиком для белья.
Велосипед горный, 21 скорость, алюминиевая рама, колеса 26 дюймов.
Продаю холодильник Bosch двухкамерный, белый, работает отлично.
Квартира двухкомнатная в центре города, ремонт, мебель, техника.
Наушники беспроводные Sony с шумоподавлением, черные.
Платье вечернее длинное, шелк, размер 44, новое с биркой.
Чехол для телефона силиконовый, прозрачный, защита камеры.
Кофемашина DeLonghi автоматическая, капучинатор, гарантия.
Игрушка конструктор Lego City, полицейский участок, полный комплект.
Шины зимние шипованные 205/55 R16, комплект четыре штуки.
Apple iPhone 13 128GB blue smartphone, brand new, one year warranty.
Samsung Galaxy A52 black phone, used, excellent condition.
Lenovo IdeaPad laptop 15 inch, Intel Core i5 processor, 8 GB RAM.
Wireless noise cancelling headphones by Sony, black colour.
Running shoes for men, size 42, original, free delivery.
Winter jacket for women with hood, size M, down filled.
Corner sofa bed, grey fabric, with storage box.
Mountain bike, 21 speed, aluminium frame, 26 inch wheels.
Coffee machine, automatic espresso and cappuccino, warranty included.
Silicone phone case, transparent, camera protection, fits all models.
Lego City building set, police station, complete with minifigures.
Winter tyres studded 205/55 R16, set of four, like new.
цена скидка доставка новый оригинал размер цвет черный белый красный синий зеленый
price discount delivery new original size colour black white red blue green
0 1 2 3 4 5 6 7 8 9 10 16 32 64 100 128 256 512 1000 2023 2024
"""


def _write_label(out: Path, what: str, details: dict[str, object]) -> None:
    """Write the README/model card and the marker file that label a folder as a demo model."""
    lines = [
        f"# {DEMO_LABEL}",
        "",
        f"This folder holds a tiny {what} with RANDOM weights, built by",
        "`encoders.demo_models` for the cardfeatures tests and demo. Its vectors carry no meaning.",
        "Do not use it to compute real features.",
        "",
        "```json",
        json.dumps(details, indent=2, ensure_ascii=False),
        "```",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    (out / DEMO_MARKER).write_text(DEMO_LABEL + "\n", encoding="utf-8")


def _demo_vocab() -> dict[str, int]:
    """A deterministic WordPiece vocabulary built from the corpus.

    ``tokenizers``' WordPiece trainer breaks frequency ties in hash-map order, so two trainings give
    different vocabularies; this builds one from sorted sets instead: the special tokens, every
    character (word-initial and ``##`` continuation), every corpus word, and the 2-4 character word
    endings as ``##`` pieces, so unseen words split into sub-words the way a real BERT vocabulary does.
    """
    from tokenizers import normalizers, pre_tokenizers

    norm = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    pre = pre_tokenizers.BertPreTokenizer()
    words = {w for w, _ in pre.pre_tokenize_str(norm.normalize_str(_CORPUS))}
    chars = {c for w in words for c in w}
    pieces = {w[-k:] for w in words for k in (2, 3, 4) if len(w) > k}
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += sorted(chars) + sorted("##" + c for c in chars)
    tokens += sorted(words - chars) + sorted("##" + p for p in pieces if "##" + p not in tokens)
    vocab: dict[str, int] = {}
    for token in tokens:
        vocab.setdefault(token, len(vocab))
    return vocab


def is_demo_model(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` (a folder or a file inside one) was built by this module."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    return (folder / DEMO_MARKER).exists()


#: Random-weight BERT shapes for benchmarks: the default tiny demo model, and one shaped like
#: cointegrated/rubert-tiny2 (its layer sizes; the vocabulary is the demo one unless the caller
#: passes one: ``bench/embed.py`` builds one of rubert-tiny2's size from word-frequency lists).
TEXT_SHAPES: dict[str, dict[str, int]] = {
    "demo": {
        "hidden_size": 64,
        "num_layers": 2,
        "num_heads": 4,
        "intermediate_size": 128,
        "max_seq_length": 128,
    },
    "rubert-tiny2": {
        "hidden_size": 312,
        "num_layers": 3,
        "num_heads": 12,
        "intermediate_size": 600,
        "max_seq_length": 2048,
    },
}


def build_demo_text_model(
    out_dir: str | os.PathLike[str],
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    intermediate_size: int | None = None,
    max_seq_length: int = 128,
    seed: int = DEMO_SEED,
    vocab: Mapping[str, int] | None = None,
) -> str:
    """Build a tiny random-weight BERT sentence-transformers model in ``out_dir``; return its path.

    The tokenizer is a WordPiece vocabulary built here (no hub) from the built-in Russian+English
    corpus, so the model tokenises text like a real BERT would; the weights are random (seeded).
    The defaults are the tiny test/demo model; ``TEXT_SHAPES`` holds larger shapes for benchmarks
    (``build_demo_text_model(out, **TEXT_SHAPES["rubert-tiny2"])``), still random weights.
    ``vocab`` (token -> id, with ``[PAD] [UNK] [CLS] [SEP] [MASK]``) replaces the demo vocabulary,
    e.g. one of a real model's size so that texts split into as many tokens as they would there.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hf_dir = out / "_hf_bert"

    vocab = dict(vocab) if vocab is not None else _demo_vocab()
    missing = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"} - vocab.keys()
    if missing:
        raise ValueError(f"vocab lacks the special tokens {sorted(missing)}")
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        do_lower_case=True,
        strip_accents=False,
        model_max_length=max_seq_length,
    )

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size or hidden_size * 2,
        max_position_embeddings=max_seq_length,
    )
    BertModel(config).save_pretrained(hf_dir)
    fast.save_pretrained(hf_dir)

    transformer = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    pooling = Pooling(hidden_size, pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")
    model.save(str(out))
    shutil.rmtree(hf_dir)  # the saved sentence-transformers folder holds its own copy
    _write_label(
        out,
        "BERT sentence-transformers model",
        {
            "hidden_size": hidden_size,
            "layers": num_layers,
            "heads": num_heads,
            "intermediate_size": intermediate_size or hidden_size * 2,
            "max_seq_length": max_seq_length,
            "vocab": tok.get_vocab_size(),
            "seed": seed,
        },
    )
    return str(out)


def demo_clip_config(embed_dim: int = 32) -> dict[str, object]:
    """The open_clip model configuration of the demo CLIP (tiny ViT + tiny text transformer)."""
    return {
        "embed_dim": embed_dim,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8},
        "text_cfg": {
            "context_length": 32,
            "vocab_size": 49408,
            "width": 32,
            "heads": 4,
            "layers": 2,
        },
    }


def register_clip_config_dir(folder: str | os.PathLike[str]) -> None:
    """Make open_clip aware of the ``*.json`` model configs in ``folder`` (idempotent)."""
    import open_clip

    folder = Path(folder)
    if not any(folder.glob("*.json")):
        return
    known = set(open_clip.list_models())
    if all(p.stem in known for p in folder.glob("*.json")):
        return
    open_clip.add_model_config(folder)


def build_demo_clip_model(
    out_dir: str | os.PathLike[str], *, embed_dim: int = 32, seed: int = DEMO_SEED
) -> tuple[str, str]:
    """Build a tiny random-weight open_clip model; return ``(arch, checkpoint_path)``.

    The configuration is written as ``<out_dir>/configs/cardfeatures-demo-clip.json`` and registered
    with open_clip in this process; ``encoders.clip`` registers it again in other processes because
    it looks for ``configs/<arch>.json`` next to a checkpoint.
    """
    import open_clip
    import torch

    out = Path(out_dir)
    config_dir = out / "configs"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / f"{DEMO_CLIP_ARCH}.json").write_text(
        json.dumps(demo_clip_config(embed_dim), indent=2), encoding="utf-8"
    )
    register_clip_config_dir(config_dir)
    torch.manual_seed(seed)
    model = open_clip.create_model(DEMO_CLIP_ARCH, pretrained=None, device="cpu")
    checkpoint = out / "demo_clip.pt"
    torch.save({"state_dict": model.state_dict()}, checkpoint)
    _write_label(out, "open_clip model", {"arch": DEMO_CLIP_ARCH, **demo_clip_config(embed_dim)})
    return DEMO_CLIP_ARCH, str(checkpoint)
