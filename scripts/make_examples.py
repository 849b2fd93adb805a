"""The landing page's example pictures and the link-preview image, made from the repository's own photos.

    .venv/bin/python scripts/make_examples.py

Each result is what the offline `local` provider makes of the photo (the same call a generation makes), so the
pictures show the product as it runs here, with no network and no key, and the same inputs give the same files.
Writes into frontend/public/ (served as they are, at /examples/... and /og-image.jpg):

- examples/<photo>-photo.webp: the photo, as a "before";
- examples/<photo>-<style>.webp: the photo in that style, for every style of app/styles.py (astronaut) and for
  the cat's one example;
- og-image.jpg: 1200x630, the astronaut before and after under the name, for link previews.

Needs frontend/node_modules (`cd frontend && npm ci`) for the brand's display font.
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.providers.base import image_of  # noqa: E402
from app.providers.local import LocalComicProvider  # noqa: E402
from app.styles import STYLES  # noqa: E402

PHOTOS = ROOT / "tests" / "photos"
PUBLIC = ROOT / "frontend" / "public"
EXAMPLES = PUBLIC / "examples"
FONT = ROOT / "frontend" / "node_modules" / "@fontsource" / "bangers" / "files" / "bangers-latin-400-normal.woff"

WIDTH = 480  # wide enough for a card at twice the pixels of a phone's column, never enlarged
QUALITY = 75
BUDGET = 60 * 1024

# Which photo shows which styles: the portrait every style, the cat one (a cat is no person, but a fine hero).
SUBJECTS = {
    "astronaut": ("portrait-astronaut.jpg", list(STYLES)),
    "cat": ("cat-chelsea.jpg", ["marvel"]),
}

INK = (20, 18, 31)
RED = (217, 15, 42)
YELLOW = (255, 208, 0)
PAPER = (255, 248, 232)


async def stylised(photo: bytes, style_id: str) -> Image.Image:
    result = await LocalComicProvider().generate(image_of(photo), "image/jpeg", STYLES[style_id],
                                                 generation_id="example")
    return Image.open(io.BytesIO(result.image)).convert("RGB")


def narrowed(image: Image.Image) -> Image.Image:
    if image.width <= WIDTH:
        return image
    return image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS)


def save_webp(image: Image.Image, name: str) -> Path:
    path = EXAMPLES / name
    # method 6: the slowest, smallest encoding; the files are made once and downloaded by every visitor.
    narrowed(image).save(path, format="WEBP", quality=QUALITY, method=6)
    size = path.stat().st_size
    if size > BUDGET:
        raise SystemExit(f"{path.name} is {size} bytes, over the {BUDGET} byte budget")
    return path


def og_image(before: Image.Image, after: Image.Image) -> Image.Image:
    """1200x630: the name on a red band, then the photo and its superhero side by side on paper."""
    canvas = Image.new("RGB", (1200, 630), PAPER)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, 1200, 120), fill=RED)
    draw.line((0, 120, 1200, 120), fill=INK, width=6)
    font = ImageFont.truetype(str(FONT), 92)
    name_width = draw.textlength("AIVenger", font=font)
    x = (1200 - name_width) / 2
    for dx, dy in ((4, 4), (-2, -2), (2, -2), (-2, 2)):
        draw.text((x + dx, 10 + dy), "AIVenger", font=font, fill=INK)
    draw.text((x, 10), "AI", font=font, fill="white")
    draw.text((x + draw.textlength("AI", font=font), 10), "Venger", font=font, fill=YELLOW)

    side = 440
    for image, left in ((before, 110), (after, 650)):
        panel = ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)
        draw.rectangle((left + 10, 160 + 10, left + side + 10, 160 + side + 10), fill=INK)
        canvas.paste(ImageOps.expand(panel, 5, INK), (left - 5, 155))
    # An arrow from the photo to the hero.
    draw.polygon([(575, 345), (620, 380), (575, 415)], fill=RED, outline=INK, width=4)
    draw.rectangle((560, 368, 580, 392), fill=RED)
    return canvas


def main() -> None:
    if not FONT.is_file():
        raise SystemExit(f"No {FONT.relative_to(ROOT)}: run `npm ci` in frontend/ first (it has the brand's font).")
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    results: dict[tuple[str, str], Image.Image] = {}
    photos: dict[str, Image.Image] = {}
    for subject, (filename, style_ids) in SUBJECTS.items():
        photo = (PHOTOS / filename).read_bytes()
        photos[subject] = Image.open(io.BytesIO(photo)).convert("RGB")
        made.append(save_webp(photos[subject], f"{subject}-photo.webp"))
        for style_id in style_ids:
            results[subject, style_id] = asyncio.run(stylised(photo, style_id))
            made.append(save_webp(results[subject, style_id], f"{subject}-{style_id}.webp"))

    preview = PUBLIC / "og-image.jpg"
    og_image(photos["astronaut"], results["astronaut", "superhero"]).save(
        preview, format="JPEG", quality=80, optimize=True, progressive=True
    )
    made.append(preview)
    for path in made:
        with Image.open(path) as image:
            sys.stdout.write(f"{path.relative_to(ROOT)}  {image.width}x{image.height}  {path.stat().st_size} bytes\n")


if __name__ == "__main__":
    main()
