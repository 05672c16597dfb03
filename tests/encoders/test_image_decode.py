"""Photos as marketplaces get them: phone pictures with an EXIF orientation, 16-bit scans."""

import numpy as np
from PIL import Image

from encoders.engine import embed_images, load_vectors
from encoders.images import decode_image


def _pixels(seed: int, shape: tuple[int, ...], dtype=np.uint8, high: int = 255) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, shape, dtype=dtype)


def test_exif_orientation_is_applied_before_encoding(tmp_path, image_encoder):
    """A phone photo stored sideways with Orientation=6 is the upright photo, as viewers show it."""
    upright = Image.fromarray(_pixels(1, (60, 100, 3)))  # 100 wide, 60 high
    upright.save(tmp_path / "upright.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "sideways.png", exif=exif)

    decoded = decode_image((tmp_path / "sideways.png").read_bytes(), None)
    assert decoded.size == (100, 60)
    assert np.array_equal(np.asarray(decoded), np.asarray(upright))

    paths = [str(tmp_path / "upright.png"), str(tmp_path / "sideways.png")]
    result = embed_images(paths, image_encoder, str(tmp_path / "store"), workers=0, progress=False)
    assert result.status.to_pylist() == ["ok", "ok"]
    vectors = load_vectors(str(tmp_path / "store"), "image", image_encoder.model_key, result.hashes)
    np.testing.assert_allclose(vectors[1], vectors[0], atol=2e-3)


def test_16_bit_grayscale_keeps_its_tones(tmp_path, image_encoder):
    """A 16-bit grey PNG (Pillow mode I;16) decodes like its 8-bit version, not clipped to white."""
    grey16 = _pixels(2, (80, 80), np.uint16, 65535)
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    grey8 = (grey16 // 257).astype(np.uint8)
    Image.fromarray(grey8).save(tmp_path / "grey8.png")

    decoded = np.asarray(decode_image((tmp_path / "grey16.png").read_bytes(), None)).astype(int)
    assert decoded.shape == (80, 80, 3)
    assert np.abs(decoded - grey8[:, :, None].astype(int)).max() <= 1

    paths = [str(tmp_path / "grey8.png"), str(tmp_path / "grey16.png")]
    result = embed_images(paths, image_encoder, str(tmp_path / "store"), workers=0, progress=False)
    vectors = load_vectors(str(tmp_path / "store"), "image", image_encoder.model_key, result.hashes)
    np.testing.assert_allclose(vectors[1], vectors[0], atol=2e-2)


def test_image_model_key_names_the_decoding(clip_model, image_encoder):
    """Vectors cached before a decoding change (EXIF, 16-bit) must not be reused after it."""
    from encoders.clip import OpenClipTextEncoder
    from encoders.images import DECODE_VERSION

    assert image_encoder.spec["preprocessing_version"] == f"1+decode{DECODE_VERSION}"
    arch, checkpoint = clip_model
    text = OpenClipTextEncoder(arch, checkpoint=checkpoint, device="cpu")
    assert text.spec["preprocessing_version"] == "1"  # the text tower decodes no image


def test_no_usable_photo_on_a_fresh_store_loads_nan_rows(tmp_path, image_encoder):
    """A first run whose photos are all missing (or a source with none) writes no cache folder;
    reading its vectors back with the encoder's dim gives NaN rows, not FileNotFoundError."""
    root = str(tmp_path / "store")
    result = embed_images(
        [str(tmp_path / "gone.jpg"), None], image_encoder, root, workers=0, progress=False
    )
    assert result.status.to_pylist() == ["missing", "missing"]
    key, dim = image_encoder.model_key, image_encoder.dim
    vectors = load_vectors(root, "image", key, result.hashes, dim=dim)
    assert vectors.shape == (2, dim) and np.isnan(vectors).all()
    assert load_vectors(root, "image", key, result.hashes.drop_null(), dim=dim).shape == (0, dim)


def test_transparent_background_is_white_as_on_the_marketplace_page(tmp_path):
    """A product cut-out (RGBA or palette PNG, transparent pixels stored as black) is shown on a
    white page; decoded on black it would look unlike the same product photographed on white."""
    on_white = np.full((40, 40, 3), 255, np.uint8)
    on_white[10:30, 10:30] = [200, 30, 30]  # the product
    rgba = np.zeros((40, 40, 4), np.uint8)  # transparent black around it
    rgba[10:30, 10:30] = [200, 30, 30, 255]
    Image.fromarray(rgba).save(tmp_path / "cutout.png")
    Image.fromarray(rgba).convert("P").save(tmp_path / "palette.png", transparency=0)
    palette = Image.open(tmp_path / "palette.png")
    assert palette.mode == "P" and palette.getpixel((0, 0)) == 0  # index 0: transparent black

    for name in ("cutout.png", "palette.png"):
        decoded = np.asarray(decode_image((tmp_path / name).read_bytes(), None))
        assert np.array_equal(decoded, on_white), name
