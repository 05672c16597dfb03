import random

import numpy as np
import pytest

from encoders.text import SentenceTransformerEncoder
from encoders.wordpiece import FastWordPiece

WORDS = [
    "Смартфон Apple iPhone 13 128 ГБ синий, новый!",
    "ЁЛКА-палка: «цена» 1 500₽ (скидка 10%) — №5; e-mail a_b@c.d https://x.ru/a?b=1",
    "Ünïcödé Ça va? Ἀθῆναι ΑΘΗΝΑ ΟΔΟΣ Σ σ ς İstanbul ǅ ß ﬁ",
    "таб\tстрока\nперевод\r\x0bвертикаль\x0c мягкий\u00adперенос нулевой\u200bпробел\u2028 \xa0",
    "[CLS] [cls] [MASK] ##x [UNK][PAD] [SE\x00P]",
    "😀 👍🏻 ❤️ ⚪ 🤗 🫨 smile",
    "中文 日本語 한국어 ไทย العربية עברית",
    "й ё Й Ё e\u0301 a\u0308 \u0378 \ufffd \x00 \x7f \x85",
    "",
    "   ",
]


def _tokenizer(text_model_dir, **normalizer):
    """The demo tokenizer, optionally with another BertNormalizer configuration."""
    from tokenizers import normalizers
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(text_model_dir)
    if normalizer:
        tok.backend_tokenizer.normalizer = normalizers.BertNormalizer(**normalizer)
    return tok


def _texts(n=3000, seed=0):
    """Product-card-like texts plus random strings over many scripts, symbols and controls."""
    rng = random.Random(seed)
    pool = [chr(c) for c in range(0x20, 0x530)] + [chr(c) for c in range(0x2000, 0x2200)]
    pool += [chr(c) for c in range(0x1F300, 0x1F700, 7)] + list("\t\n\x00\x0b\xad\u200b\u03a3中")
    words = " ".join(WORDS).split() + ["[CLS]", "[MASK]", "ОЧЕНЬдлинноеслово" * 8]
    out = list(WORDS)
    for i in range(n):
        if i % 3:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 30))))
        else:
            out.append("".join(rng.choice(pool) for _ in range(rng.randrange(0, 60))))
    return out


def _reference(tok, texts, max_length):
    return tok(
        texts,
        add_special_tokens=True,
        truncation=True,
        max_length=max_length,
        return_attention_mask=False,
        return_token_type_ids=False,
    )["input_ids"]


@pytest.mark.parametrize(
    "normalizer",
    [
        {},  # the demo model: lowercase, accents kept
        {"lowercase": False},  # cased (rubert-tiny2, LaBSE)
        {"lowercase": True, "strip_accents": None},  # uncased BERT: accents stripped too
        {"lowercase": False, "strip_accents": True},
    ],
)
@pytest.mark.parametrize("max_length", [8, 64, 512])
def test_ids_equal_the_tokenizer(text_model_dir, normalizer, max_length):
    tok = _tokenizer(text_model_dir, **normalizer)
    fast = FastWordPiece.from_tokenizer(tok)
    assert fast is not None
    texts = _texts()
    ids, lengths = fast.encode(texts, max_length)
    want = _reference(tok, texts, max_length)
    assert [list(map(int, row)) for row in ids] == [list(row) for row in want]
    np.testing.assert_array_equal(lengths, [len(row) for row in want])
    # Texts with CJK, characters outside the checked blocks, a capital sigma or [CLS] went to the
    # tokenizer; card-like texts (Cyrillic, Latin, punctuation, emoji, controls) do not.
    assert fast.fallback_texts > 0
    before = fast.fallback_texts
    fast.encode(WORDS[:2] + WORDS[3:4] + WORDS[5:6] + WORDS[8:], max_length)
    assert fast.fallback_texts == before


def test_other_tokenizer_shapes_are_left_to_the_tokenizer(text_model_dir):
    from tokenizers import pre_tokenizers

    tok = _tokenizer(text_model_dir)
    tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    assert FastWordPiece.from_tokenizer(tok) is None
    assert FastWordPiece.from_tokenizer(object()) is None


def test_empty_input_and_too_short_max_length(text_model_dir):
    fast = FastWordPiece.from_tokenizer(_tokenizer(text_model_dir))
    ids, lengths = fast.encode([], 16)
    assert ids == [] and len(lengths) == 0
    with pytest.raises(ValueError, match="no room"):
        fast.encode(["a"], 1)


def test_encoder_vectors_equal_with_and_without_fast_tokens(text_model_dir):
    texts = [t for t in _texts(200, seed=1) if t.strip()]
    fast = SentenceTransformerEncoder(text_model_dir, device="cpu", token_budget=512)
    slow = SentenceTransformerEncoder(
        text_model_dir, device="cpu", token_budget=512, fast_tokens=False
    )
    fast.load()
    slow.load()
    assert fast._fast_tokens is not None and slow._fast_tokens is None
    ids_fast, len_fast = fast.token_lengths(texts)
    ids_slow, len_slow = slow.token_lengths(texts)
    assert [list(map(int, r)) for r in ids_fast] == [list(r) for r in ids_slow]
    np.testing.assert_array_equal(len_fast, len_slow)
    np.testing.assert_allclose(fast.encode(texts), slow.encode(texts), atol=1e-6)
