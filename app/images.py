"""Turning untrusted upload bytes into a clean image: decoded, checked, metadata-free and sized for the model.

Everything here is synchronous and CPU-bound; callers run it in a worker thread.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from dataclasses import dataclass
from typing import Literal

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import UnsupportedMediaType, UploadFailed

pillow_heif.register_heif_opener()

# Pillow's names for what we accept. pillow-heif reports HEIC and HEIF files alike as "HEIF"; AVIF (which
# Pillow 12 reads natively as "AVIF") is deliberately left out.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

TOO_MANY_PIXELS = "The image is too large in pixels (possible decompression bomb). Use a smaller photo."
CORRUPT = "The image is corrupt or truncated."

JPEG_QUALITY = 90
THUMBNAIL_QUALITY = 80
# Thumbnails are made from images this service already sized (uploads, model outputs): a loose bound suffices.
_THUMBNAIL_SOURCE_MAX_PIXELS = 64_000_000

# What decoders raise on damaged data; anything else is a bug and should surface as one.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)

# warnings.catch_warnings swaps a process-wide filter list; serialise our use of it so two threads cannot
# restore each other's filters in the wrong order.
_warnings_lock = threading.Lock()


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"


def clean_image(
    data: bytes, *, max_pixels: int, max_side: int, output: Literal["jpeg", "png"]
) -> CleanImage:
    """Decode an upload, refuse what is unsafe, and re-encode only its pixels (upright, at most max_side)."""
    im = _open(data, max_pixels=max_pixels)
    target = _fit(im.size, max_side)
    if target != im.size:
        # JPEG can decode at 1/2, 1/4 or 1/8 scale directly: far less memory and time for huge photos.
        im.draft(None, target)
    im = _pixels_only(_decode(im), keep_alpha=output == "png")
    width, height = _fit(im.size, max_side)
    if (width, height) != im.size:
        im = im.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)

    buf = io.BytesIO()
    if output == "jpeg":
        im.save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        im.save(buf, format="PNG", optimize=True)
    return CleanImage(buf.getvalue(), f"image/{output}", width, height)


def make_thumbnail(data: bytes, *, size: int) -> bytes:
    """A WebP preview whose long edge is at most `size` pixels."""
    im = _open(data, max_pixels=_THUMBNAIL_SOURCE_MAX_PIXELS)
    im.draft(None, (size, size))
    im = _pixels_only(_decode(im), keep_alpha=True)
    im.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="WEBP", quality=THUMBNAIL_QUALITY)
    return buf.getvalue()


def _open(data: bytes, *, max_pixels: int) -> Image.Image:
    """Identify the image from its header only; no pixels are decoded yet."""
    try:
        with _warnings_lock, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadFailed(TOO_MANY_PIXELS) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaType() from exc
    except _DECODE_ERRORS as exc:
        raise UploadFailed(CORRUPT) from exc
    width, height = im.size
    if width < 1 or height < 1:
        raise UploadFailed(CORRUPT)
    if width * height > max_pixels:
        raise UploadFailed(TOO_MANY_PIXELS)
    return im


def _decode(im: Image.Image) -> Image.Image:
    """Decode the pixels (where truncation shows) and turn them upright per the EXIF orientation."""
    try:
        im.load()
        return _to_8bit(ImageOps.exif_transpose(im))
    except _DECODE_ERRORS as exc:
        raise UploadFailed(CORRUPT) from exc


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    scale = max_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_8bit(im: Image.Image) -> Image.Image:
    # 16-bit greyscale PNGs would clip to white if converted directly.
    if im.mode.startswith("I"):
        return im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    return im


def _pixels_only(im: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """A fresh RGB(A) image holding only the pixels: no EXIF, XMP, ICC profile or comments can follow along.

    Without keep_alpha, transparency is flattened onto white (what a viewer would show)."""
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        if keep_alpha:
            out = Image.new("RGBA", im.size)
            out.paste(rgba)
            return out
        out = Image.new("RGB", im.size, "white")
        out.paste(rgba, mask=rgba.getchannel("A"))
        return out
    out = Image.new("RGB", im.size)
    out.paste(im if im.mode == "RGB" else im.convert("RGB"))
    return out
