"""Evidence files for the demo: receipts and invoices drawn with Pillow, each
a little different (seeded paper grain)."""

# ruff: noqa: S311 - the demo wants a seeded, repeatable generator, not a secret one

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont


def evidence_image(lines: list[str], seed: int) -> bytes:
    rng = random.Random(seed)
    img = Image.new("RGB", (360, 48 + 22 * len(lines)), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    draw.rectangle((8, 8, 351, img.height - 9), outline=(180, 180, 170))
    for i, line in enumerate(lines):
        draw.text((20, 22 + 22 * i), line, fill=(30, 30, 30), font=font)
    for _ in range(40):  # a little paper grain, so no two files are alike
        x, y = rng.randrange(img.width), rng.randrange(img.height)
        draw.point((x, y), fill=(200, 200, 190))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def evidence_pdf(lines: list[str], seed: int) -> bytes:
    png = evidence_image(lines, seed)
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as img:
        img.convert("RGB").save(out, "PDF", resolution=72.0)
    return out.getvalue()

