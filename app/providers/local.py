"""An offline image model: a deterministic comic-book treatment made with Pillow, for development and demos.

No network and no key. The photo gets flat posterised colours in the style's grade, black ink outlines and
halftone shading, and is set as a bordered panel on a burst of rays in the style's colours.
"""

from __future__ import annotations

import asyncio
import io
import math
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps, ImageStat

from app.providers.base import AnswerSlot, FailureKind, ImageSource, ProviderError, ProviderResult
from app.styles import Style

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class _Look:
    shadow: RGB  # what the darkest tones are graded towards
    highlight: RGB  # ... and the brightest
    ray_a: RGB
    ray_b: RGB
    saturation: float
    contrast: float
    levels: int  # posterisation steps per channel


_LOOKS = {
    "superhero": _Look((70, 0, 20), (255, 245, 200), (228, 30, 36), (255, 204, 0), 1.6, 1.3, 5),
    "marvel": _Look((0, 40, 90), (255, 190, 120), (20, 70, 170), (245, 130, 30), 1.4, 1.35, 5),
    "dc": _Look((5, 10, 30), (200, 215, 235), (20, 30, 60), (95, 105, 125), 0.35, 1.9, 4),
}

_RAYS = 18
# Below this spread of brightness there is nothing to draw (a blank or single-colour picture).
_MIN_DETAIL_STDDEV = 4.0
BLANK_MESSAGE = "There is nothing to transform in this picture: it looks blank. Try a photo of a person."


class LocalComicProvider:
    name = "local"

    async def generate(
        self, image: ImageSource, content_type: str, style: Style, *, generation_id: str,
        instructions: str | None = None, aspect_ratio: str | None = None, model: str | None = None,
        answer_slot: AnswerSlot | None = None,
    ) -> ProviderResult:
        if answer_slot is not None:
            await answer_slot.take()
        png = await asyncio.to_thread(render_comic, await image(), style.id, aspect_ratio)
        if png is None:
            raise ProviderError(FailureKind.REFUSED, BLANK_MESSAGE)
        return ProviderResult(image=png, model="local", provider_generation_id=None, cost_usd=Decimal(0))

    def is_available(self) -> bool:
        return True

    async def health(self) -> dict[str, str]:
        return {"provider": "local", "status": "ok"}

    async def aclose(self) -> None:
        return None


def render_comic(image: bytes, style_id: str, aspect_ratio: str | None = None) -> bytes | None:
    """The comic panel for a photo, as PNG bytes of the photo's own dimensions (or cut to `aspect_ratio`, "4:5",
    around its centre); None for a blank picture."""
    look = _LOOKS.get(style_id, _LOOKS["superhero"])
    with Image.open(io.BytesIO(image)) as src:
        photo = src.convert("RGB")
    if aspect_ratio:
        across, down = (int(part) for part in aspect_ratio.split(":"))
        photo = ImageOps.fit(photo, _shape(photo.size, across / down))
    if ImageStat.Stat(photo.convert("L")).stddev[0] < _MIN_DETAIL_STDDEV:
        return None
    width, height = photo.size
    border = max(3, min(width, height) // 60)
    margin = max(border * 2, min(width, height) // 14)
    inner = (max(1, width - 2 * margin - 2 * border), max(1, height - 2 * margin - 2 * border))

    canvas = _burst((width, height), look)
    panel = ImageOps.expand(_stylise(photo.resize(inner, Image.Resampling.BILINEAR), look), border, "black")
    # A hard offset shadow makes the panel sit on the page rather than float in it.
    shadow_offset = border * 2
    canvas.paste(
        (0, 0, 0),
        (
            margin + shadow_offset,
            margin + shadow_offset,
            margin + shadow_offset + panel.width,
            margin + shadow_offset + panel.height,
        ),
    )
    canvas.paste(panel, (margin, margin))

    buf = io.BytesIO()
    # Fast zlib level: the flat colours still compress well, and the default costs most of the render time.
    canvas.save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def _shape(size: tuple[int, int], ratio: float) -> tuple[int, int]:
    """The largest size of this ratio inside `size`."""
    width, height = size
    if width / height > ratio:
        return max(1, round(height * ratio)), height
    return width, max(1, round(width / ratio))


def _stylise(photo: Image.Image, look: _Look) -> Image.Image:
    # Filters are sized to the photo so a 2048px upload gets the same look as a 512px one.
    scale = max(photo.size) / 512
    smooth = photo.filter(ImageFilter.BoxBlur(max(1, round(scale))))
    graded = ImageEnhance.Contrast(ImageEnhance.Color(smooth).enhance(look.saturation)).enhance(look.contrast)
    flat = graded.point(_grade_table(look))
    luma = ImageOps.autocontrast(smooth.convert("L"), cutoff=1)

    # Halftone: dots grow where the photo is dark, and print as a darker shade of the flat colour.
    shade = flat.point(lambda v: v * 45 // 100)
    flat = Image.composite(shade, flat, _halftone_mask(luma, cell=max(6, round(8 * scale))))
    return Image.composite(Image.new("RGB", flat.size, (0, 0, 0)), flat, _ink(luma, scale))


def _ink(luma: Image.Image, scale: float) -> Image.Image:
    """255 on bold outlines: strong luminance edges found at ~512px (so line weight follows the photo's
    size), then enlarged smoothly and thresholded so lines come out joined with clean edges."""
    small = luma.resize(
        (max(1, round(luma.width / scale)), max(1, round(luma.height / scale))), Image.Resampling.BOX
    )
    edges = small.filter(ImageFilter.SMOOTH).filter(ImageFilter.FIND_EDGES).filter(ImageFilter.BoxBlur(1))
    return edges.resize(luma.size, Image.Resampling.BILINEAR).point(lambda v: 255 if v > 24 else 0)


def _grade_table(look: _Look) -> list[int]:
    """Posterise each channel and pull it towards the style's shadow/highlight colours, in one lookup."""
    step = 255 / (look.levels - 1)
    table: list[int] = []
    for channel in range(3):
        low, high = look.shadow[channel], look.highlight[channel]
        for v in range(256):
            level = round(v / step) * step / 255
            table.append(round(low + (high - low) * level))
    return table


def _halftone_mask(luma: Image.Image, *, cell: int) -> Image.Image:
    """255 where a halftone dot is inked: a tiled radial screen compared against the darkness of the photo."""
    dot = Image.radial_gradient("L").resize((cell, cell), Image.Resampling.BILINEAR)  # 0 at centre
    screen = _tile(dot, luma.size)
    # Only shadows and midtones get dots; light tones stay flat colour.
    darkness = luma.point(lambda v: max(0, 150 - v) * 255 // 150)
    return ImageChops.subtract(darkness, screen).point(lambda v: 255 if v > 0 else 0)


def _tile(tile: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`tile` repeated to cover `size`, by doubling (a few pastes instead of one per cell)."""
    out = tile
    while out.width < size[0] or out.height < size[1]:
        doubled = Image.new(out.mode, (out.width * 2, out.height * 2))
        for x in (0, out.width):
            for y in (0, out.height):
                doubled.paste(out, (x, y))
        out = doubled
    return out.crop((0, 0, *size))


def _burst(size: tuple[int, int], look: _Look) -> Image.Image:
    """Rays of two colours radiating from the centre, with a halftone dot screen over them."""
    width, height = size
    canvas = Image.new("RGB", size, look.ray_a)
    draw = ImageDraw.Draw(canvas)
    cx, cy = width / 2, height / 2
    reach = math.hypot(width, height)
    for i in range(0, _RAYS * 2, 2):
        a0, a1 = (math.tau * (i + k) / (_RAYS * 2) for k in (0, 1))
        points = [
            (cx, cy),
            (cx + reach * math.cos(a0), cy + reach * math.sin(a0)),
            (cx + reach * math.cos(a1), cy + reach * math.sin(a1)),
        ]
        draw.polygon(points, fill=look.ray_b)
    cell = max(12, max(size) // 32)
    dots = _tile(Image.radial_gradient("L").resize((cell, cell)), size).point(lambda v: 255 if v < 70 else 0)
    darker = canvas.point(lambda v: v * 75 // 100)
    return Image.composite(darker, canvas, dots)
