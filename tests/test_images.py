import asyncio
import io
import struct
import threading
import time
import tracemalloc
import zlib

import pytest
import pyvips
from PIL import ExifTags, Image, ImageCms, ImageOps

from app.images import CleanImage, ImageRejected, UnsupportedFormat, clean_image
from tests.support import PORTRAIT

LIMITS = {"max_pixels": 40_000_000, "max_side": 2048}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
       b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **params)
    return buf.getvalue()


def gradient(width: int, height: int) -> Image.Image:
    """A picture with real content, so a wrong rotation or a black output cannot pass unnoticed."""
    return Image.merge("RGB", (
        Image.linear_gradient("L").resize((width, height)),
        Image.linear_gradient("L").rotate(90).resize((width, height)),
        Image.new("L", (width, height), 128),
    ))


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("output", ["jpeg", "png"])
def test_accepted_formats_decode_and_clean(fmt: str, output: str) -> None:
    data = encode(gradient(320, 240), fmt)

    result = clean_image(data, output=output, **LIMITS)

    out = opened(result.data)
    assert out.format == output.upper()
    assert result.content_type == f"image/{output}"
    assert result.extension == ("jpg" if output == "jpeg" else "png")
    assert (result.width, result.height) == out.size == (320, 240)
    assert out.mode == "RGB"


def test_heic_from_a_phone_decodes() -> None:
    photo = Image.open(PORTRAIT)
    heic = encode(photo, "HEIF")
    assert heic[4:12] == b"ftypheic"

    result = clean_image(heic, output="jpeg", **LIMITS)

    assert (result.width, result.height) == photo.size


def photo_with_metadata(fmt: str) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: viewers rotate 90° clockwise
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
    }
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    extra = {"comment": b"taken at home"} if fmt == "JPEG" else {}
    data = encode(gradient(300, 200), fmt, exif=exif.tobytes(), icc_profile=icc, xmp=XMP, **extra)
    source = opened(data)
    # The test is only meaningful if the input really carries what must be removed.
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "icc_profile" in source.info
    return data


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("output", ["jpeg", "png"])
def test_metadata_is_stripped_and_orientation_applied(fmt: str, output: str) -> None:
    result = clean_image(photo_with_metadata(fmt), output=output, **LIMITS)

    out = opened(result.data)
    assert not out.getexif()
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & out.info.keys()
    assert b"Exif" not in result.data
    assert b"taken at home" not in result.data
    assert out.size == (200, 300) == (result.width, result.height)


def test_rotation_turns_the_pixels_not_just_the_size() -> None:
    # What a viewer shows for orientation 6.
    upright = gradient(300, 200).transpose(Image.Transpose.ROTATE_270)

    result = clean_image(photo_with_metadata("PNG"), output="png", **LIMITS)

    out = opened(result.data).convert("RGB")
    for xy in [(10, 10), (190, 10), (10, 290), (190, 290)]:
        assert all(abs(a - b) <= 3 for a, b in zip(out.getpixel(xy), upright.getpixel(xy), strict=True))


def test_transparency_is_flattened_onto_white_for_jpeg() -> None:
    clear = encode(Image.new("RGBA", (50, 40), (255, 0, 0, 0)), "PNG")

    result = clean_image(clear, output="jpeg", **LIMITS)

    assert all(c > 250 for c in opened(result.data).getpixel((25, 20)))


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"hello, I am not a picture\n" * 20, id="text"),
        pytest.param(SVG, id="svg"),
        pytest.param(encode(gradient(40, 30).convert("P"), "GIF"), id="gif"),
        pytest.param(encode(gradient(40, 30), "BMP"), id="bmp"),
        pytest.param(encode(gradient(40, 30), "TIFF"), id="tiff"),
        pytest.param(encode(gradient(40, 30), "AVIF"), id="avif"),
        pytest.param(encode(gradient(40, 30), "PDF"), id="pdf"),
        pytest.param(b"", id="empty"),
    ],
)
def test_other_content_is_unsupported_media(data: bytes) -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        clean_image(data, output="jpeg", **LIMITS)
    assert "Unsupported image format" in str(caught.value)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_truncated_image_is_an_upload_failure(fmt: str) -> None:
    data = encode(Image.open(PORTRAIT), fmt)

    with pytest.raises(ImageRejected) as caught:
        clean_image(data[: len(data) // 2], output="jpeg", **LIMITS)

    assert type(caught.value) is ImageRejected
    assert "corrupt" in str(caught.value)


def test_real_photo_cut_in_half_fails() -> None:
    data = PORTRAIT.read_bytes()
    with pytest.raises(ImageRejected, match="corrupt or truncated"):
        clean_image(data[: len(data) // 2], output="png", **LIMITS)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims the given size but holds a few bytes of pixel data: what a decompression bomb
    looks like before it is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(8_000, 8_000, id="over-our-limit"),
        pytest.param(10_000, 10_000, id="pillow-warns"),
        pytest.param(30_000, 30_000, id="pillow-refuses"),
    ],
)
def test_pixel_bomb_is_refused_from_the_header(
    width: int, height: int, recwarn: pytest.WarningsRecorder
) -> None:
    bomb = png_header_only(width, height)
    assert len(bomb) < 200

    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ImageRejected, match="too large in pixels"):
            clean_image(bomb, output="jpeg", **LIMITS)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert elapsed < 1
    assert peak < 10_000_000
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_pixel_limit_is_the_callers() -> None:
    data = encode(gradient(200, 200), "PNG")
    with pytest.raises(ImageRejected, match="too large in pixels"):
        clean_image(data, output="jpeg", max_pixels=39_999, max_side=2048)
    assert clean_image(data, output="jpeg", max_pixels=40_000, max_side=2048).width == 200


def test_large_image_is_downscaled_keeping_aspect() -> None:
    result = clean_image(encode(gradient(3000, 1500), "JPEG"), output="jpeg", **LIMITS)

    assert (result.width, result.height) == opened(result.data).size == (2048, 1024)


def test_tall_image_is_downscaled_on_its_long_edge() -> None:
    result = clean_image(encode(gradient(1000, 4000), "PNG"), output="png", **LIMITS)

    assert opened(result.data).size == (512, 2048)


def test_small_image_is_not_upscaled() -> None:
    result = clean_image(encode(gradient(300, 200), "JPEG"), output="jpeg", **LIMITS)

    assert (result.width, result.height) == (300, 200)


def test_clean_image_is_a_value() -> None:
    result = CleanImage(b"x", "image/png", 1, 1)
    with pytest.raises(AttributeError):
        result.width = 2  # type: ignore[misc]


@pytest.mark.parametrize(("width", "height"), [(2048, 1024), (600, 900), (300, 200)])
def test_thumbnail_is_a_small_webp(width: int, height: int) -> None:
    cleaned = clean_image(encode(gradient(width, height), "JPEG"), output="jpeg", thumbnail_size=512, **LIMITS)

    assert cleaned.thumbnail is not None
    thumb = opened(cleaned.thumbnail)

    assert thumb.format == "WEBP"
    assert max(thumb.size) == min(512, max(width, height))
    assert abs(thumb.width / thumb.height - width / height) < 0.02


def test_thumbnail_of_garbage_fails_cleanly() -> None:
    with pytest.raises(UnsupportedFormat):
        clean_image(b"not an image", output="jpeg", thumbnail_size=512, **LIMITS)


@pytest.mark.parametrize("thumbnail_size", [120, 300])  # decoded again from the output; kept decoded
def test_the_thumbnail_shows_the_cleaned_picture_upright(thumbnail_size: int) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    cleaned = clean_image(encode(asymmetric(600, 400), "JPEG", exif=exif.tobytes()), output="jpeg",
                          thumbnail_size=thumbnail_size, **LIMITS)

    assert cleaned.thumbnail is not None
    thumb = opened(cleaned.thumbnail).convert("RGB")
    assert thumb.size == (thumbnail_size * 2 // 3, thumbnail_size)  # turned like the cleaned picture
    assert (cleaned.width, cleaned.height) == (400, 600)


# --- libvips-specific guarantees ----------------------------------------------------------------------------------


def asymmetric(width: int, height: int) -> Image.Image:
    """Distinct colours in each corner, so every flip and turn shows."""
    im = gradient(width, height)
    im.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    im.paste((0, 0, 255), (width - width // 4, height - height // 4, width, height))
    return im


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(fmt: str, orientation: int) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    data = encode(asymmetric(120, 80), fmt, exif=exif.tobytes(), **({"quality": 95} if fmt != "PNG" else {}))
    # What a viewer shows, by Pillow's reading of the same tag.
    upright = ImageOps.exif_transpose(opened(data)).convert("RGB")

    result = clean_image(data, output="png", **LIMITS)

    out = opened(result.data).convert("RGB")
    assert out.size == upright.size == (result.width, result.height)
    for xy in [(5, 5), (out.width - 6, 5), (5, out.height - 6), (out.width - 6, out.height - 6)]:
        assert all(abs(a - b) <= 12 for a, b in zip(out.getpixel(xy), upright.getpixel(xy), strict=True)), xy


@pytest.mark.parametrize("fmt", ["jpg", "png", "webp", "heif"])
def test_wide_gamut_colours_are_converted_to_srgb_before_the_profile_goes(fmt: str) -> None:
    # Pure sRGB red, stored as Display P3 numbers with the P3 profile attached (what an iPhone photo looks like).
    red = (pyvips.Image.black(64, 48) + [255, 0, 0]).cast("uchar").copy(interpretation="srgb")
    p3 = red.icc_transform("p3", input_profile="srgb")
    assert p3(5, 5)[0] < 240  # P3 numbers, not sRGB ones: dropping the profile alone would dull the red
    if fmt == "heif":
        pixels = Image.frombytes("RGB", (p3.width, p3.height), p3.write_to_memory())
        data = encode(pixels, "HEIF", quality=95, icc_profile=p3.get("icc-profile-data"))
    else:
        data = p3.write_to_buffer(f".{fmt}", **({} if fmt == "png" else {"Q": 95}))

    result = clean_image(data, output="png", **LIMITS)

    out = opened(result.data)
    assert "icc_profile" not in out.info
    r, g, b = out.getpixel((5, 5))
    assert r > 250
    assert max(g, b) < 8


def test_a_broken_icc_profile_is_dropped_not_fatal() -> None:
    data = encode(Image.new("RGB", (40, 30), (10, 200, 30)), "JPEG", icc_profile=b"not a profile" * 20)

    result = clean_image(data, output="png", **LIMITS)

    out = opened(result.data)
    assert "icc_profile" not in out.info
    assert all(abs(a - b) <= 3 for a, b in zip(out.getpixel((5, 5)), (10, 200, 30), strict=True))


def test_16_bit_png_is_scaled_not_clipped() -> None:
    grey = encode(Image.new("I;16", (40, 30), 32768), "PNG")
    rgb16 = (pyvips.Image.black(40, 30) + [32768, 16384, 65535]).cast("ushort").copy(interpretation="rgb16")

    for data, expected in [(grey, (128, 128, 128)), (rgb16.pngsave_buffer(), (128, 64, 255))]:
        for output in ("png", "jpeg"):
            out = opened(clean_image(data, output=output, **LIMITS).data)  # type: ignore[arg-type]
            assert out.mode == "RGB"
            assert all(abs(a - b) <= 3 for a, b in zip(out.getpixel((5, 5)), expected, strict=True)), output


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode(Image.new("RGBA", (50, 40), (255, 0, 0, 128)), "PNG"), id="rgba-png"),
        pytest.param(encode(Image.new("LA", (50, 40), (90, 128)), "PNG"), id="grey-alpha-png"),
        pytest.param(encode(Image.new("RGBA", (50, 40), (255, 0, 0, 128)), "WEBP", lossless=True), id="webp"),
    ],
)
def test_transparency_is_kept_for_png_and_flattened_for_jpeg(data: bytes) -> None:
    source = opened(data).convert("RGBA").getpixel((25, 20))

    kept = opened(clean_image(data, output="png", **LIMITS).data)
    flat = opened(clean_image(data, output="jpeg", **LIMITS).data)

    assert kept.mode == "RGBA"
    assert kept.getpixel((25, 20)) == source
    assert flat.mode == "RGB"
    # Half-transparent over white.
    expected = [round(c * source[3] / 255 + 255 * (1 - source[3] / 255)) for c in source[:3]]
    assert all(abs(a - b) <= 4 for a, b in zip(flat.getpixel((25, 20)), expected, strict=True))


def test_palette_transparency_counts_as_transparency() -> None:
    pal = Image.new("P", (50, 40), 0)
    pal.putpalette([255, 0, 0, 0, 255, 0])
    data = encode(pal, "PNG", transparency=0)

    assert opened(clean_image(data, output="png", **LIMITS).data).getpixel((25, 20))[3] == 0
    assert all(c > 250 for c in opened(clean_image(data, output="jpeg", **LIMITS).data).getpixel((25, 20)))


def test_avif_under_a_generic_heif_brand_is_unsupported_media() -> None:
    # An AVIF may name the generic "mif1" as its major brand and "avif" only among its compatible brands.
    avif = bytearray(encode(gradient(40, 30), "AVIF"))
    assert avif[4:12] == b"ftypavif"
    avif[8:12] = b"mif1"

    with pytest.raises(UnsupportedFormat):
        clean_image(bytes(avif), output="jpeg", **LIMITS)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims the given size."""
    data = bytearray(encode(gradient(16, 16), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A small lossless WebP whose header claims the given size."""
    data = bytearray(encode(gradient(16, 16), "WEBP", lossless=True))
    assert data[12:16] == b"VP8L"
    assert data[20] == 0x2F
    # 14 bits width - 1, 14 bits height - 1, then the alpha and version bits, little-endian.
    bits = int.from_bytes(data[21:25], "little")
    data[21:25] = ((bits & ~0xFFFFFFF) | (width - 1) | (height - 1) << 14).to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize("bomb", [jpeg_claiming(20_000, 20_000), webp_claiming(16_000, 16_000)], ids=["jpeg", "webp"])
def test_pixel_bombs_in_other_formats_are_refused_from_the_header(bomb: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(ImageRejected, match="too large in pixels"):
        clean_image(bomb, output="jpeg", **LIMITS)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("output", ["jpeg", "png"])
def test_large_truncated_image_fails_while_streaming(fmt: str, output: str) -> None:
    # Big enough that decoding streams through the resize and encoder: the damage shows only mid-way.
    data = encode(Image.open(PORTRAIT).resize((3000, 3000)), fmt)

    with pytest.raises(ImageRejected, match="corrupt or truncated") as caught:
        clean_image(data[: len(data) * 3 // 4], output=output, **LIMITS)  # type: ignore[arg-type]

    assert type(caught.value) is ImageRejected


def jpeg_markers(data: bytes) -> list[int]:
    markers, i = [], 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        markers.append(data[i + 1])
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    chunks, i = [], 8
    while i < len(data):
        length = struct.unpack(">I", data[i : i + 4])[0]
        chunks.append(data[i + 4 : i + 8])
        i += 12 + length
    return chunks


def riff_chunks(data: bytes) -> list[bytes]:
    chunks, i = [], 12
    while i < len(data):
        length = struct.unpack("<I", data[i + 4 : i + 8])[0]
        chunks.append(data[i : i + 4])
        i += 8 + length + (length & 1)
    return chunks


# The preview of a picture at least 4 times its size is decoded again from the clean output; of a smaller one, from
# the clean pixels kept in memory. Both must leave nothing behind.
@pytest.mark.parametrize("thumbnail_size", [64, 256])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_nothing_but_pixels_leaves(fmt: str, thumbnail_size: int) -> None:
    source = photo_with_metadata(fmt)

    as_jpeg = clean_image(source, output="jpeg", **LIMITS).data
    as_png = clean_image(source, output="png", **LIMITS).data
    thumb = clean_image(source, output="jpeg", thumbnail_size=thumbnail_size, **LIMITS).thumbnail
    assert thumb is not None

    # JPEG: quantisation and Huffman tables, frame and scan headers, at most a JFIF header: no APP1 (EXIF, XMP),
    # APP2 (ICC), APP13 (IPTC) or COM.
    assert set(jpeg_markers(as_jpeg)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD}
    assert set(png_chunks(as_png)) <= {b"IHDR", b"PLTE", b"pHYs", b"IDAT", b"IEND"}
    # WebP: VP8X, then the frame; no EXIF, ICCP or "XMP " chunk.
    assert not {b"EXIF", b"ICCP", b"XMP "} & set(riff_chunks(thumb))
    for data in (as_jpeg, as_png, thumb):
        assert b"xmpmeta" not in data
        assert b"Exif" not in data


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_thumbnails_from_other_formats(fmt: str) -> None:
    thumbnail = clean_image(encode(asymmetric(600, 400), fmt), output="png", thumbnail_size=256, **LIMITS).thumbnail
    assert thumbnail is not None
    thumb = opened(thumbnail)

    assert thumb.format == "WEBP"
    assert thumb.size == (256, 171)


def test_libvips_runs_without_the_gil() -> None:
    """Callers clean uploads in worker threads: while one is cleaned, Python code elsewhere must keep running."""
    photo = encode(Image.open(PORTRAIT).resize((4000, 3000)), "JPEG")
    clean_image(photo, output="jpeg", **LIMITS)  # warm up
    done = threading.Event()
    took: list[float] = []

    def work() -> None:
        started = time.perf_counter()
        clean_image(photo, output="jpeg", **LIMITS)
        took.append(time.perf_counter() - started)
        done.set()

    worker = threading.Thread(target=work)
    longest_gap, last = 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        longest_gap, last = max(longest_gap, now - last), now
    worker.join()

    # With the GIL held through the C calls, this thread would stall for (nearly) the whole cleaning.
    assert longest_gap < took[0] / 2, (longest_gap, took[0])


def test_results_may_keep_their_colour_at_full_resolution() -> None:
    from PIL import JpegImagePlugin

    source = encode(asymmetric(200, 100), "PNG")

    usual = opened(clean_image(source, output="jpeg", **LIMITS).data)
    full = opened(clean_image(source, output="jpeg", full_colour=True, **LIMITS).data)

    assert JpegImagePlugin.get_sampling(usual) == 2  # 4:2:0, what cameras do
    assert JpegImagePlugin.get_sampling(full) == 0  # 4:4:4


async def test_clean_runs_in_the_image_threads_not_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.images as images

    loop_thread = threading.get_ident()
    threads: list[tuple[int, str]] = []

    def recording(data: bytes, **options: object) -> CleanImage:
        threads.append((threading.get_ident(), threading.current_thread().name))
        return clean_image(data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(images, "clean_image", recording)
    cleaned = await images.clean(encode(gradient(300, 200), "PNG"), output="jpeg", thumbnail_size=64, **LIMITS)

    assert cleaned.thumbnail is not None
    [(ident, name)] = threads
    assert ident != loop_thread
    assert name.startswith("image")


async def test_a_model_answer_gets_the_next_image_thread_before_uploads_that_waited_longer() -> None:
    import app.images as images

    picture = encode(gradient(300, 200), "PNG")
    finished: list[str] = []

    async def cleaned(name: str, priority: bool) -> None:
        await images.clean(picture, priority=priority, output="jpeg", **LIMITS)
        finished.append(name)

    # Every image thread taken: what comes next waits its turn.
    taken = [images.IMAGE_SLOTS.hold() for _ in range(images.IMAGE_THREADS)]
    for place in taken:
        await place.__aenter__()
    try:
        uploads = [asyncio.create_task(cleaned(f"upload-{i}", False)) for i in range(2)]
        await asyncio.sleep(0)
        answer = asyncio.create_task(cleaned("answer", True))
        await asyncio.sleep(0)

        await taken.pop().__aexit__(None, None, None)  # one thread free: the answer takes it
        await answer
        assert finished == ["answer"]
        assert not any(upload.done() for upload in uploads)
    finally:
        for place in taken:
            await place.__aexit__(None, None, None)
    await asyncio.gather(*uploads)
    assert sorted(finished) == ["answer", "upload-0", "upload-1"]
