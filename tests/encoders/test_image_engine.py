import io

import numpy as np
import pytest
from PIL import Image

from encoders.engine import embed_images, load_vectors
from encoders.errors import ModelLoadError


def _photo(path, seed, size=(120, 90), fmt="JPEG"):
    arr = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(arr).save(path, fmt)
    return str(path)


@pytest.fixture
def photo_dir(tmp_path):
    good = [_photo(tmp_path / f"p{i}.jpg", i) for i in range(4)]
    (tmp_path / "zero.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not an image at all")
    data = (tmp_path / "p0.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    buf = io.BytesIO()
    _photo(tmp_path / "png.png", 7, fmt="PNG")
    png = bytearray((tmp_path / "png.png").read_bytes())
    at = png.find(b"IDAT")
    for k in range(at + 20, at + 200):
        png[k] ^= 0x5A
    (tmp_path / "broken.png").write_bytes(bytes(png))
    Image.new("1", (12000, 12000)).save(buf, "PNG")  # 144 Mpx in ~17 KB: a decompression bomb
    (tmp_path / "bomb.png").write_bytes(buf.getvalue())
    return tmp_path, good


def test_bad_files_are_flagged_and_never_stop_the_run(photo_dir, image_encoder):
    d, good = photo_dir
    paths = [
        good[0],
        str(d / "zero.jpg"),
        str(d / "text.jpg"),
        str(d / "cut.jpg"),
        str(d / "broken.png"),
        str(d / "bomb.png"),
        str(d / "nope.jpg"),
        None,
        good[1],
        good[0],
    ]
    result = embed_images(
        paths, image_encoder, str(d / "store"), workers=2, batch_size=2, progress=False
    )
    assert result.status.to_pylist() == [
        "ok",
        "empty",
        "not_image",
        "truncated",
        "corrupt",
        "too_large",
        "missing",
        "missing",
        "ok",
        "ok",
    ]
    hashes = result.hashes.to_pylist()
    assert [h is None for h in hashes] == [False] + [True] * 7 + [False, False]
    assert hashes[0] == hashes[9]
    assert result.stats.encoded == 2
    assert result.stats.status_counts["missing"] == 2 and result.stats.status_counts["ok"] == 3
    vectors = load_vectors(str(d / "store"), "image", image_encoder.model_key, result.hashes)
    from encoders.images import decode_image  # the engine decodes JPEGs in draft mode

    size = image_encoder.image_size
    ref = image_encoder.encode([decode_image(open(p, "rb").read(), size) for p in good[:2]])  # noqa: SIM115
    np.testing.assert_allclose(vectors[[0, 8]], ref, atol=2e-3)
    assert np.isnan(vectors[1:8]).all()


def test_parallel_and_single_threaded_decoding_agree_and_rerun_is_cached(photo_dir, image_encoder):
    d, good = photo_dir
    a = embed_images(good, image_encoder, str(d / "s1"), workers=0, progress=False)
    b = embed_images(
        good, image_encoder, str(d / "s2"), workers=2, batch_size=2, chunk_rows=2, progress=False
    )
    assert a.hashes.to_pylist() == b.hashes.to_pylist() and b.stats.chunks_written == 2
    va = load_vectors(str(d / "s1"), "image", image_encoder.model_key, a.hashes)
    vb = load_vectors(str(d / "s2"), "image", image_encoder.model_key, b.hashes)
    np.testing.assert_allclose(va, vb, atol=1e-3)
    again = embed_images(good, image_encoder, str(d / "s2"), workers=2, progress=False)
    assert again.stats.encoded == 0 and again.stats.cache_hits == 4


def test_large_jpeg_draft_mode_decodes_close_to_full(tmp_path, image_encoder):
    from encoders.images import decode_image

    path = _photo(tmp_path / "big.jpg", 3, size=(800, 600))
    img = decode_image(open(path, "rb").read(), 32)  # noqa: SIM115
    assert min(img.size) >= 32 and img.size[0] < 800  # decoded at reduced scale


def test_clip_text_tower_and_load_errors(clip_model):
    from encoders.clip import OpenClipImageEncoder, OpenClipTextEncoder

    arch, checkpoint = clip_model
    text = OpenClipTextEncoder(arch, checkpoint=checkpoint, device="cpu")
    vec = text.encode(["фото смартфона", "a photo of a phone"])
    assert vec.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ModelLoadError, match="Random weights are never used"):
        OpenClipImageEncoder("ViT-B-32", None, device="cpu")
    with pytest.raises(ModelLoadError, match="Unknown open_clip architecture"):
        OpenClipImageEncoder("no-such-arch", checkpoint=checkpoint, device="cpu")
    with pytest.raises(ModelLoadError, match="does not exist"):
        OpenClipImageEncoder(arch, checkpoint=checkpoint + ".missing", device="cpu")


def test_cpu_model_threads_leave_room_for_decode_workers_and_are_restored():
    import os

    import torch

    from encoders.images import _model_threads_beside

    before = torch.get_num_threads()
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    with _model_threads_beside(1, cpu):
        assert torch.get_num_threads() == max(1, min(before, (os.cpu_count() or 1) - 1))
    assert torch.get_num_threads() == before
    with _model_threads_beside(0, cpu), _model_threads_beside(4, cuda):
        assert torch.get_num_threads() == before  # no workers, or a GPU model: untouched
