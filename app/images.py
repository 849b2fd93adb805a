"""Turning untrusted upload bytes into a clean image: decoded, checked, metadata-free and sized for the model.

The work is synchronous and CPU-bound; `clean` runs it in the image threads. libvips does the work: pyvips
calls it through cffi, which releases the GIL for the length of every C call, so uploads cleaned in two threads
really use two cores. HEIC is the one exception: the libvips of the pyvips-binary wheel has no HEVC decoder (its
libheif reads AVIF only), so HEIC/HEIF is decoded by pillow-heif and its pixels handed to libvips.

The steps, and why in this order:

1. The format is decided from the magic bytes, before any decoder sees the data. libvips itself would load
   nearly anything (TIFF, GIF, SVG, AVIF, ...); what is not JPEG, PNG, WebP or HEIC/HEIF is refused here.
2. The header alone is read (libvips and Pillow open lazily) and the pixel count checked against the caller's
   limit, so a decompression bomb is refused before a single row is decoded.
3. libvips' thumbnail decodes with shrink-on-load (JPEG decodes at 1/2, 1/4, 1/8 scale; WebP at any scale),
   streaming rows (sequential access), resizes with Lanczos, converts to sRGB (through the embedded ICC profile,
   if there is one) and turns the pixels upright per the EXIF orientation.
4. Every metadata field is removed and the image saved with keep=none: no EXIF/GPS, XMP, IPTC, ICC profile or
   comment can reach the output.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import struct
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import pillow_heif
import pyvips
from PIL import Image, ImageOps, UnidentifiedImageError

from app.slots import Slots

pillow_heif.register_heif_opener()

# How clients label what clean_image accepts (JPEG, PNG, WebP, HEIC/HEIF), so they can check a file before
# uploading it. Only a hint for them: here the bytes decide, never the label.
ACCEPTED_CONTENT_TYPES = (
    "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/webp",
    "image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence",
)

TOO_MANY_PIXELS = "The image is too large in pixels (possible decompression bomb). Use a smaller photo."
UNSUPPORTED = "Unsupported image format. Use JPEG, PNG, WebP or HEIC."
CORRUPT = "The image is corrupt or truncated."
BLANK = "The picture looks blank (nearly a single colour): there is nothing to transform. Use a photo of a person."

# What an upload must have for the model to make anything of it, refused before anything is charged: a shorter
# side of at least this many pixels, and at least this spread of brightness (standard deviation, 0-255). A blank
# or single-colour picture, JPEG noise included, stays well under 1; a plain wall in real light is above 5.
MIN_UPLOAD_SIDE = 256
MIN_UPLOAD_DETAIL = 2.0

class ImageRejected(ValueError):
    """Why a picture cannot be used; the message is a sentence for people."""


class UnsupportedFormat(ImageRejected):
    def __init__(self) -> None:
        super().__init__(UNSUPPORTED)


JPEG_QUALITY = 90
# Gallery tiles: a page of fifty must stay under a megabyte, even of busy comic-book pictures.
THUMBNAIL_QUALITY = 70
# libwebp's effort (0-6): its default, 4, took twice as long as 2 (10 ms against 5 for a 320 px preview) for
# files 4% smaller.
THUMBNAIL_EFFORT = 2
# A JPEG decodes again cheaply when it can decode at a quarter of its size or less (see clean_image).
_CHEAP_REDECODE_SHRINK = 4
_DETAIL_SIZE = 128

# --- libvips, set up for a server ---------------------------------------------------------------------------------
#
# The operation cache (by default the last 100 operations, up to 100 MB) makes repeating an operation on the same
# input free. A server never repeats one: every upload is new, so the cache would only keep earlier requests'
# buffers and pixels alive after they were answered (memory that grows with traffic, and one user's photo held
# while the next request runs). Off.
pyvips.cache_set_max(0)
pyvips.cache_set_max_mem(0)
pyvips.cache_set_max_files(0)
# Each libvips pipeline runs on its own pool of worker threads, by default one per core. Our callers already run
# one pipeline per request thread (asyncio.to_thread), so with the default N uploads at once would start N x cores
# threads fighting over the same cores. One worker per pipeline: parallelism comes from the request threads, which
# really run at once since libvips runs without the GIL (measured on 2 cores: two threads clean 12 MP photos 1.8x
# as fast as one; with two workers per pipeline only 1.4x, as they get in each other's way). A lone photo loses
# little: JPEG decoding, most of the time, is sequential anyway. An operator can still set VIPS_CONCURRENCY.
if "VIPS_CONCURRENCY" not in os.environ:
    pyvips.concurrency_set(1)
# Defence in depth behind the magic-byte check: every libvips loader is blocked except the three we call, so
# nothing in this process can reach libvips' TIFF, GIF, SVG, HEIF/AVIF, PDF, ... parsers. (Process-wide: code
# elsewhere that wants another loader must unblock it deliberately.)
pyvips.block_untrusted_set(True)
pyvips.operation_block_set("VipsForeignLoad", True)
for _loader in ("VipsForeignLoadJpegBuffer", "VipsForeignLoadPngBuffer", "VipsForeignLoadWebpBuffer"):
    pyvips.operation_block_set(_loader, False)
# The loaders by format, named as libvips reports them in an image's "vips-loader" field.
_VIPS_LOADERS = {
    "jpeg": ("jpegload_buffer", pyvips.Image.jpegload_buffer),
    "png": ("pngload_buffer", pyvips.Image.pngload_buffer),
    "webp": ("webpload_buffer", pyvips.Image.webpload_buffer),
}

# Loader option: fail on truncation and real errors, as Pillow did, but not on the harmless warnings phones'
# JPEGs often give (e.g. stray bytes before a marker). thumbnail_buffer's own fail_on argument is NOT passed on to
# the loader for buffers (libvips 8.18, resample/thumbnail.c), so it goes in the loader's option string.
_FAIL_ON = "error"
_LOADER_OPTIONS = f"fail_on={_FAIL_ON}"
# Header fields that carry no data about the photo; everything else (exif-data, exif-ifd*, xmp-data,
# icc-profile-data, iptc-data, jpeg-comment, png-comment, gainmap, orientation, ...) is removed.
_KEEP_FIELDS = frozenset(
    {"width", "height", "bands", "format", "coding", "interpretation", "xoffset", "yoffset", "xres", "yres",
     "filename", "vips-sequential"}
)
_KEEP_NONE = 0  # pyvips.enums.ForeignKeep.NONE: save pixels only
# PNG row filters (VipsForeignPngFilter flags): let the encoder pick the best per row, like Pillow's optimize did;
# libvips' default (none) makes photo PNGs a third larger.
_PNG_FILTER_ALL = 0xF8

# --- Pillow, for HEIC/HEIF --------------------------------------------------------------------------------------

# pillow-heif's HEIF brands (pillow_heif.as_plugin._is_supported_heif) ...
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})
# ... but "mif1"/"msf1" are generic: an AVIF may carry them as its major brand and announce "avif" only among its
# compatible brands. AVIF stays refused.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEVC_BRANDS = _HEIF_BRANDS - {b"mif1", b"msf1"}

# What decoders raise on damaged data; anything else is a bug and should surface as one. pillow-heif raises
# RuntimeError when libheif cannot decode (damaged data, or a codec it was built without).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, RuntimeError, struct.error)

# warnings.catch_warnings swaps a process-wide filter list; serialise our use of it so two threads cannot
# restore each other's filters in the wrong order.
_warnings_lock = threading.Lock()


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int
    # A WebP preview of the same pixels, when asked for.
    thumbnail: bytes | None = None

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"


def clean_image(
    data: bytes, *, max_pixels: int, max_side: int, output: Literal["jpeg", "png"], quality: int = JPEG_QUALITY,
    full_colour: bool = False, thumbnail_size: int | None = None, min_side: int = 0, min_detail: float = 0.0,
) -> CleanImage:
    """Decode an upload, refuse what is unsafe, and re-encode only its pixels (upright, sRGB, at most max_side).

    With `thumbnail_size`, a WebP preview of the clean picture comes with it. `full_colour`
    keeps JPEG's chroma at full resolution: sharper coloured edges (a costume's outline) for half again the bytes.
    `min_side` and `min_detail` refuse pictures too small or too blank to be of use (MIN_UPLOAD_*)."""
    im = _load_fitted(data, max_pixels=max_pixels, max_side=max_side)
    if min(im.width, im.height) < min_side:
        raise ImageRejected(f"The picture is too small: its shorter side must be at least {min_side} pixels.")
    keep_alpha = output == "png"
    try:
        im = _pixels_only(im, keep_alpha=keep_alpha)
        # The preview and the blank check are made from the clean picture, never the upload, so none of its
        # metadata can reach them. A large picture is decoded again from the output at a fraction of its size (a
        # JPEG decodes at 1/2, 1/4 or 1/8 scale) rather than held whole in memory by each upload in progress; a
        # small one (a model's 1024 px answer, a small photo) stays decoded: decoding it again would cost almost
        # as much as the first time.
        kept = thumbnail_size is not None and max(im.width, im.height) < _CHEAP_REDECODE_SHRINK * thumbnail_size
        if kept:
            im = im.copy_memory()
        if output == "jpeg":
            # subsample_mode="on": 4:2:0 chroma, what Pillow (and every camera) does at q90; libvips' "auto" would
            # switch it off at q >= 90 for a third more bytes the model does not need. No optimize_coding: its
            # second Huffman pass doubles the encoding time (+20 ms at 2048 px) to save 3% of the bytes.
            out = im.jpegsave_buffer(Q=quality, subsample_mode="off" if full_colour else "on", keep=_KEEP_NONE)
        else:
            out = im.pngsave_buffer(compression=6, filter=_PNG_FILTER_ALL, keep=_KEEP_NONE)
        clean: pyvips.Image | bytes = im if kept else out
        thumbnail = None
        if thumbnail_size is not None:
            # In memory (a few hundred KB), so that the blank check below starts from it rather than from the
            # whole picture again: 0.3 ms instead of 2.6 for a 1024 px photo.
            clean = _reduced(clean, thumbnail_size).copy_memory()
            thumbnail = clean.webpsave_buffer(Q=THUMBNAIL_QUALITY, effort=THUMBNAIL_EFFORT, keep=_KEEP_NONE)
        if min_detail and _detail(_reduced(clean, _DETAIL_SIZE)) < min_detail:
            raise ImageRejected(BLANK)
    except pyvips.Error as exc:  # pixels are decoded only now, as they stream into the encoder
        raise ImageRejected(CORRUPT) from exc
    return CleanImage(out, f"image/{output}", im.width, im.height, thumbnail)


def _reduced(picture: pyvips.Image | bytes, size: int) -> pyvips.Image:
    """A copy at most `size` pixels on its long side: of pixels in memory, or of an encoded clean picture."""
    if isinstance(picture, bytes):
        return pyvips.Image.thumbnail_buffer(picture, size, height=size, size="down")
    return picture.thumbnail_image(size, height=size, size="down")


def _detail(small: pyvips.Image) -> float:
    """The spread of brightness of a clean picture, measured on a small copy."""
    return float(small.colourspace("b-w")[0].deviate())


# Image work is CPU-bound and holds a decoded picture per call: more calls at once than cores would only hold more
# pictures in memory while they wait for a core. Callers queue here instead (and the event loop never waits).
IMAGE_THREADS = os.cpu_count() or 2
_POOL = ThreadPoolExecutor(max_workers=IMAGE_THREADS, thread_name_prefix="image")
# Who gets the next free image thread: a model's answer before an upload. With more work than the threads can
# clean, generations under way finish first, rather than uploads being accepted faster than anything finishes:
# every model answer waiting its turn holds at least its connection's first read in memory (about 250 KB), and
# with uploads first (as they came) a thousand generations in flight took the API from 240 to 350 MB. It did
# accept more uploads meanwhile (19-26/s against 10-16/s on 2 cores), at a rate it could not keep: the backlog
# grew for as long as it ran. Answers cannot outnumber the uploads that started them, so uploads are not
# starved; and one that has waited IMAGE_WAIT_PROMOTE_SECONDS goes first anyway.
IMAGE_WAIT_PROMOTE_SECONDS = 10.0
IMAGE_SLOTS = Slots(IMAGE_THREADS, promote_after=IMAGE_WAIT_PROMOTE_SECONDS)
# Model answers held at once, waiting for these threads or in them (app.providers.base.AnswerSlot): enough to keep
# every thread busy while the next answers are read, few enough that a burst of results costs megabytes, not
# hundreds of them.
ANSWERS_IN_MEMORY = 4 * IMAGE_THREADS


async def clean(data: bytes, *, priority: bool = False, **options: Any) -> CleanImage:
    """`clean_image`, run in the image threads; with `priority` (a model's answer), before uploads that wait."""
    async with IMAGE_SLOTS.hold(priority=priority):
        return await asyncio.get_running_loop().run_in_executor(_POOL, functools.partial(clean_image, data, **options))


def _sniff(data: bytes) -> str:
    """The format, from the magic bytes alone."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 16 and data[:4] == b"RIFF" and data[8:16] in (b"WEBPVP8 ", b"WEBPVP8L", b"WEBPVP8X"):
        return "webp"
    if len(data) >= 16 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        # The ftyp box: size, "ftyp", major brand, minor version, then the compatible brands.
        box_size = min(int.from_bytes(data[:4], "big"), len(data), 4096)
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box_size - 3, 4)}
        if not (brands & _AVIF_BRANDS) or brands & _HEVC_BRANDS:
            return "heif"
    raise UnsupportedFormat()


def _load_fitted(data: bytes, *, max_pixels: int, max_side: int) -> pyvips.Image:
    """The upload's pixels as a lazy libvips pipeline: checked, sRGB, upright, long side at most max_side."""
    kind = _sniff(data)
    if kind == "heif":
        return _load_heif(data, max_pixels=max_pixels, max_side=max_side)

    loader, load = _VIPS_LOADERS[kind]
    try:
        # Reads the header only; no pixels are decoded yet.
        header = load(data, access="sequential", fail_on=_FAIL_ON)
        _check_size(header.width, header.height, max_pixels)
        colour_managed = _icc_options(header)
        im = pyvips.Image.thumbnail_buffer(
            data, max_side, height=max_side, size="down", option_string=_LOADER_OPTIONS, **colour_managed
        )
    except pyvips.Error as exc:
        raise ImageRejected(CORRUPT) from exc
    # thumbnail_buffer picks its loader itself; it must be the one the magic bytes named.
    if not im.get_typeof("vips-loader") or im.get("vips-loader") != loader:
        raise UnsupportedFormat()
    return im


def _icc_options(im: pyvips.Image) -> dict[str, Any]:
    """With an embedded ICC profile (Display P3 from iPhones, Adobe RGB, CMYK, ...), convert to sRGB through it;
    the profile itself is stripped, so leaving the pixels as they are would shift the colours. A profile libvips
    cannot use falls back to sRGB. Without a profile there is nothing to convert (and the transform would cost)."""
    if im.get_typeof("icc-profile-data"):
        return {"input_profile": "srgb", "output_profile": "srgb"}
    return {}


def _check_size(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise ImageRejected(CORRUPT)
    if width * height > max_pixels:
        raise ImageRejected(TOO_MANY_PIXELS)


def _load_heif(data: bytes, *, max_pixels: int, max_side: int) -> pyvips.Image:
    """HEIC/HEIF through pillow-heif (header check, decode, EXIF orientation), then into libvips."""
    try:
        with _warnings_lock, warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            pil: Image.Image = Image.open(io.BytesIO(data), formats=("HEIF",))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(TOO_MANY_PIXELS) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedFormat() from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected(CORRUPT) from exc
    _check_size(pil.width, pil.height, max_pixels)

    try:
        pil.load()
        icc = pil.info.get("icc_profile")
        pil = _to_8bit(ImageOps.exif_transpose(pil))
        mode = "RGBA" if pil.has_transparency_data else "RGB"
        if pil.mode != mode:
            pil = pil.convert(mode)
        pixels = pil.tobytes()
    except _DECODE_ERRORS as exc:
        raise ImageRejected(CORRUPT) from exc

    try:
        im = pyvips.Image.new_from_memory(pixels, pil.width, pil.height, len(mode), "uchar")
        im = im.copy(interpretation="srgb")
        if icc:
            im.set_type(pyvips.GValue.blob_type, "icc-profile-data", icc)
        # Already upright: exif_transpose applied the orientation and dropped the tag.
        return im.thumbnail_image(max_side, height=max_side, size="down", no_rotate=True, **_icc_options(im))
    except pyvips.Error as exc:
        raise ImageRejected(CORRUPT) from exc


def _to_8bit(im: Image.Image) -> Image.Image:
    # 16-bit greyscale would clip to white if converted directly.
    if im.mode.startswith("I"):
        return im.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    return im


def _pixels_only(im: pyvips.Image, *, keep_alpha: bool) -> pyvips.Image:
    """8-bit sRGB (RGB, or RGBA with keep_alpha and an alpha band) with no metadata left on it.

    Without keep_alpha, transparency is flattened onto white (what a viewer would show)."""
    # thumbnail already went to 8-bit sRGB or B_W (16-bit scaled, not clipped); greyscale becomes RGB here.
    if im.interpretation != "srgb" or im.format != "uchar":
        im = im.colourspace("srgb")
    has_alpha = im.hasalpha()
    if has_alpha and not keep_alpha:
        im = im.flatten(background=[255, 255, 255])
        has_alpha = False
    if im.bands != (4 if has_alpha else 3):  # extra bands beyond colour and alpha: drop them
        colour = im[0:3]
        im = colour.bandjoin(im[im.bands - 1]) if has_alpha else colour
    if im.format != "uchar":
        im = im.cast("uchar")
    # A fresh header: copy() shares the pixels but gives us our own metadata to empty.
    im = im.copy()
    for name in im.get_fields():
        if name not in _KEEP_FIELDS:
            im.remove(name)
    return im
