"""Synthetic product photos for the demo: small, fast to draw, deterministic.

A product's photos are drawn from its own seed: a background gradient, the product's shape in the
colour of its ``цвет`` attribute (or a seeded colour), a few seeded decorations and the brand and
model written on it. Photo ``k`` of a product varies scale and position, so one product's photos
are alike but not identical. A re-listed duplicate reuses the product's photos through
``perturb``: re-compressed, cropped, re-coloured or mirrored, as re-uploaded photos are in real data.
Different products (even of the same brand) get different seeds and therefore different pictures.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

# Pillow's built-in bitmap font: loaded once (loading the default font per photo is slow).
_FONT = ImageFont.load_default_imagefont()


def render_photo(
    product_seed: int,
    photo_index: int,
    *,
    shape: str,
    colour: tuple[int, int, int] | None,
    label: str,
    size: tuple[int, int],
) -> Image.Image:
    """Draw photo ``photo_index`` of the product identified by ``product_seed``."""
    rng = np.random.default_rng([product_seed, 7])  # product-level look: same for all its photos
    w, h = size
    bg_top = rng.integers(150, 256, 3)
    bg_bottom = rng.integers(90, 220, 3)
    main = np.array(colour) if colour is not None else rng.integers(0, 256, 3)
    accents = rng.integers(0, 256, (3, 3))
    # Background: vertical gradient built as one numpy array.
    t = np.linspace(0.0, 1.0, h)[:, None, None]
    bg = (bg_top[None, None, :] * (1 - t) + bg_bottom[None, None, :] * t).astype(np.uint8)
    img = Image.fromarray(np.broadcast_to(bg, (h, w, 3)).copy(), "RGB")
    draw = ImageDraw.Draw(img)

    view = np.random.default_rng([product_seed, 11, photo_index])  # per-photo framing
    scale = 0.55 + 0.3 * view.random() if photo_index else 0.75
    cx = w * (0.5 + 0.12 * (view.random() - 0.5) * (photo_index > 0))
    cy = h * (0.5 + 0.12 * (view.random() - 0.5) * (photo_index > 0))
    bw, bh = w * scale / 2, h * scale / 2
    box = (cx - bw, cy - bh * 0.8, cx + bw, cy + bh * 0.8)
    fill = tuple(int(c) for c in main)
    outline = tuple(int(c) for c in accents[0])
    if shape == "ellipse":
        draw.ellipse(box, fill=fill, outline=outline, width=3)
    elif shape == "triangle":
        draw.polygon(
            [(cx - bw, cy + bh), (cx + bw, cy + bh), (cx, cy - bh)], fill=fill, outline=outline
        )
    elif shape == "bottle":
        draw.rectangle(
            (cx - bw * 0.45, cy - bh * 0.4, cx + bw * 0.45, cy + bh), fill=fill, outline=outline
        )
        draw.rectangle((cx - bw * 0.15, cy - bh, cx + bw * 0.15, cy - bh * 0.4), fill=outline)
    elif shape == "box":
        draw.rectangle(box, fill=fill, outline=outline, width=4)
        draw.line((box[0], box[1], box[2], box[3]), fill=outline, width=2)
    else:  # "rect": a rounded slab such as a phone
        draw.rounded_rectangle(
            (cx - bw * 0.55, cy - bh, cx + bw * 0.55, cy + bh),
            radius=10,
            fill=fill,
            outline=outline,
            width=3,
        )
    # Seeded decorations that identify the product (same spots on every photo of it).
    for a in range(3):
        px, py = rng.random(2) * np.array([w, h])
        r = 4 + 6 * rng.random()
        draw.ellipse((px - r, py - r, px + r, py + r), fill=tuple(int(c) for c in accents[a]))
    text = label[:24].encode("latin-1", "ignore").decode("latin-1")  # bitmap font is Latin-1
    draw.text((6, h - 16), text, fill=(20, 20, 20), font=_FONT)
    return img


def perturb(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A re-uploaded version of a photo: cropped, re-coloured and/or mirrored."""
    w, h = img.size
    out = img
    if rng.random() < 0.6:
        dx, dy = (rng.random(2) * 0.12 * np.array([w, h])).astype(int)
        out = out.crop((int(dx), int(dy), w - int(dx // 2), h - int(dy // 2))).resize((w, h))
    if rng.random() < 0.5:
        out = ImageEnhance.Color(out).enhance(0.6 + 0.8 * rng.random())
        out = ImageEnhance.Brightness(out).enhance(0.85 + 0.3 * rng.random())
    if rng.random() < 0.2:
        out = ImageOps.mirror(out)
    return out


def encode(img: Image.Image, fmt: str, quality: int = 85) -> bytes:
    """Encode a photo as JPEG or PNG bytes (deterministic: no timestamps, no metadata)."""
    buf = io.BytesIO()
    if fmt == "png":
        img.save(buf, format="PNG", optimize=False, compress_level=1)
    else:
        img.save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)
