import io
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from app.errors import UnsupportedMediaType, UploadFailed
from app.images import CleanImage, clean_image, make_thumbnail

PORTRAIT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "portrait-astronaut.jpg"
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
    with pytest.raises(UnsupportedMediaType) as caught:
        clean_image(data, output="jpeg", **LIMITS)
    assert caught.value.status_code == 415


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_truncated_image_is_an_upload_failure(fmt: str) -> None:
    data = encode(Image.open(PORTRAIT), fmt)

    with pytest.raises(UploadFailed) as caught:
        clean_image(data[: len(data) // 2], output="jpeg", **LIMITS)

    assert type(caught.value) is UploadFailed
    assert caught.value.status_code == 400
    assert "corrupt" in caught.value.message


def test_real_photo_cut_in_half_fails() -> None:
    data = PORTRAIT.read_bytes()
    with pytest.raises(UploadFailed, match="corrupt or truncated"):
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
        with pytest.raises(UploadFailed, match="too large in pixels"):
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
    with pytest.raises(UploadFailed, match="too large in pixels"):
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
    cleaned = clean_image(encode(gradient(width, height), "JPEG"), output="jpeg", **LIMITS)

    thumb = opened(make_thumbnail(cleaned.data, size=512))

    assert thumb.format == "WEBP"
    assert max(thumb.size) == min(512, max(width, height))
    assert abs(thumb.width / thumb.height - width / height) < 0.02


def test_thumbnail_of_garbage_fails_cleanly() -> None:
    with pytest.raises(UnsupportedMediaType):
        make_thumbnail(b"not an image", size=512)
