"""How fast app.images cleans an upload, against bare Pillow doing the least it could on the same file.

`python -m bench.images` prints both figures. The photo is made in memory from the test portrait: upscaled to
12 MP, with sensor-like noise so it compresses like a phone photo, stored sideways (EXIF orientation 6) with a GPS
position, as phones do.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, ImageChops

from app.images import clean_image

PORTRAIT = Path(__file__).resolve().parents[1] / "tests" / "photos" / "portrait-astronaut.jpg"
PHOTO_SIZE = (4000, 3000)
MAX_SIDE = 2048
MAX_PIXELS = 40_000_000
QUALITY = 90
TARGET_RATIO = 0.6
REPEATS = 11


def _photo(size: tuple[int, int], *, sideways: bool) -> bytes:
    """A photo-like JPEG: the portrait cropped to the aspect ratio, upscaled, with grain, and a phone's EXIF."""
    source = Image.open(PORTRAIT).convert("RGB")
    width, height = size
    crop_height = round(source.width * height / width)
    top = (source.height - crop_height) // 2
    photo = source.crop((0, top, source.width, top + crop_height)).resize(size, Image.Resampling.BICUBIC)
    # Luminance grain plus a little colour noise: what keeps a real 12 MP photo at 3-5 MB.
    grain = Image.effect_noise(size, 8)
    noise = Image.merge("RGB", [ImageChops.add(grain, Image.effect_noise(size, 4), 1.0, -128) for _ in range(3)])
    photo = ImageChops.add(photo, noise, 1.0, -128)

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.Base.Model] = "Phone 12"
    if sideways:
        exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (13.0, 24.0, 36.0),
    }
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=92, exif=exif.tobytes())
    return buf.getvalue()


@cache
def phone_photo() -> bytes:
    return _photo(PHOTO_SIZE, sideways=True)


@cache
def small_photo() -> bytes:
    return _photo((1024, 1024), sideways=False)


def _bare_pillow(data: bytes) -> bytes:
    """The least Pillow can do: draft-mode decode, one LANCZOS resize to the long side, encode at q90."""
    im: Image.Image = Image.open(io.BytesIO(data))
    im.draft("RGB", (MAX_SIDE, MAX_SIDE))
    scale = MAX_SIDE / max(im.size)
    if scale < 1:
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=QUALITY)
    return buf.getvalue()


def _ours(data: bytes) -> bytes:
    return clean_image(data, max_pixels=MAX_PIXELS, max_side=MAX_SIDE, output="jpeg").data


def _seconds(fn: Callable[[bytes], bytes], data: bytes) -> float:
    started = time.perf_counter()
    fn(data)
    return time.perf_counter() - started


def measure(repeats: int = REPEATS) -> dict[str, Any]:
    data = phone_photo()
    _ours(data)  # warm up: imports, the libraries' first-call set-up
    _bare_pillow(data)
    # Alternate the two, so that a noisy neighbour on a shared machine slows both alike.
    ours, reference = [], []
    for _ in range(repeats):
        ours.append(_seconds(_ours, data))
        reference.append(_seconds(_bare_pillow, data))
    ours_ms, reference_ms = statistics.median(ours) * 1000, statistics.median(reference) * 1000
    ratio = ours_ms / reference_ms
    return {
        "figure": "12 MP JPEG cleaned",
        "ours_ms": round(ours_ms, 1),
        "reference_ms": round(reference_ms, 1),
        "ratio": round(ratio, 3),
        "target": f"<= {TARGET_RATIO}",
        "ok": ratio <= TARGET_RATIO,
        "input_bytes": len(data),
    }


def measure_loop(seconds: float = 2.0) -> dict[str, Any]:
    """How many 1024 px photos one thread cleans per second: the reference for upload throughput."""
    data = small_photo()
    _ours(data)
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        _ours(data)
        count += 1
    return {"figure": "clean 1024 px photo, one thread", "per_second": round(count / elapsed, 1)}


if __name__ == "__main__":
    print(measure())  # noqa: T201
    print(measure_loop())  # noqa: T201
