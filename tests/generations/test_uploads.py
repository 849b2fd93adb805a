"""Bad uploads are refused before any credit is taken; good ones are stored cleaned (no EXIF, no GPS)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from struct import pack

import pillow_heif
import pytest
from PIL import Image

from tests.support import PORTRAIT, Api, blank_png, image_bytes


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares huge dimensions: a decompression bomb's calling card."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))
    ihdr = pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + \
        chunk(b"IEND", b"")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'

BAD_UPLOADS = {
    "text": (b"this is not an image", "notes.txt", "text/plain", 415),
    "svg": (SVG, "avatar.svg", "image/svg+xml", 415),
    "svg-pretending-jpeg": (SVG, "avatar.jpg", "image/jpeg", 415),
    "gif": (image_bytes("GIF"), "anim.gif", "image/gif", 415),
    "truncated": (PORTRAIT.read_bytes()[: len(PORTRAIT.read_bytes()) // 2], "cut.jpg", "image/jpeg", 400),
    "bomb": (_png_header_only(60000, 60000), "bomb.png", "image/png", 400),
    "empty": (b"", "empty.jpg", "image/jpeg", 400),
    "one-pixel": (image_bytes("PNG", size=(1, 1)), "dot.png", "image/png", 400),
    "too-small": (image_bytes(size=(200, 200)), "small.jpg", "image/jpeg", 400),
    "thin": (image_bytes(size=(1600, 255)), "banner.jpg", "image/jpeg", 400),
    "blank": (blank_png(), "blank.png", "image/png", 400),
    "white-jpeg": (blank_png((1024, 768)), "white.png", "image/png", 400),
    # Large enough that the blank check reads a reduced decode of the clean output, not pixels kept in memory.
    "blank-large": (blank_png((2400, 1800)), "wall.png", "image/png", 400),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
async def test_bad_upload_is_refused_and_charges_nothing(api: Api, case: str) -> None:
    data, filename, content_type, status = BAD_UPLOADS[case]
    me = await api.register()

    refused = await api.upload(me, data, filename=filename, content_type=content_type)

    assert refused.status_code == status, refused.text
    assert refused.json()["code"] == "UPLOAD_FAILED"
    assert refused.json()["success"] is False
    assert await api.credits(me) == 30
    assert (await api.client.get("/generations", headers=me)).json()["count"] == 0
    assert [f for f in api.settings.storage_dir.rglob("*") if f.is_file()] == []


@pytest.mark.parametrize(("picture", "reason"), [
    (image_bytes(size=(300, 200)), "The picture is too small: its shorter side must be at least 256 pixels."),
    (blank_png(), "The picture looks blank (nearly a single colour): there is nothing to transform. "
                  "Use a photo of a person."),
])
async def test_a_picture_the_model_cannot_use_is_refused_with_its_reason(api: Api, picture: bytes,
                                                                         reason: str) -> None:
    me = await api.register()
    refused = await api.upload(me, picture, filename="p.png", content_type="image/png")
    assert (refused.status_code, refused.json()["error"]) == (400, reason)
    assert await api.credits(me) == 30


async def test_the_smallest_usable_picture_is_accepted(api: Api) -> None:
    me = await api.register()
    assert (await api.upload(me, image_bytes(size=(256, 256)))).status_code == 202


async def test_missing_file_is_upload_failed(api: Api) -> None:
    me = await api.register()
    refused = await api.client.post("/generations", headers=me, data={"style": "superhero"})
    assert (refused.status_code, refused.json()["code"]) == (400, "UPLOAD_FAILED")
    assert await api.credits(me) == 30


async def test_too_large_file_is_413_and_charges_nothing(start_api) -> None:
    api = await start_api(max_upload_bytes=1024 * 1024)
    me = await api.register()
    big = image_bytes("PNG", (1400, 1400), compress_level=0)
    assert len(big) > 1024 * 1024 + 64 * 1024

    refused = await api.upload(me, big, filename="big.png", content_type="image/png")

    assert (refused.status_code, refused.json()["code"]) == (413, "FILE_TOO_LARGE")
    assert "1 MB" in refused.json()["error"]
    assert await api.credits(me) == 30


async def test_too_large_stream_is_refused_without_reading_the_rest(start_api) -> None:
    """A chunked upload (no Content-Length) is cut off as soon as it passes the limit."""
    api = await start_api(max_upload_bytes=1024 * 1024)
    me = await api.register()
    sent = 0

    async def endless_body():
        nonlocal sent
        boundary = b"--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n" \
                   b"Content-Type: image/jpeg\r\n\r\n"
        yield boundary
        for _ in range(10_000):  # up to 640 MB if nobody stops us
            sent += 65536
            yield b"\xff" * 65536

    refused = await api.client.post(
        "/generations", headers={**me, "Content-Type": "multipart/form-data; boundary=x"}, content=endless_body()
    )

    assert (refused.status_code, refused.json()["code"]) == (413, "FILE_TOO_LARGE")
    assert sent < 4 * 1024 * 1024
    assert await api.credits(me) == 30


async def test_declared_length_over_the_limit_is_refused_before_reading(start_api) -> None:
    api = await start_api(max_upload_bytes=1024 * 1024)
    me = await api.register()
    request = api.client.build_request("POST", "/generations", headers={**me, "Content-Length": str(50 << 20)},
                                       content=b"")
    refused = await api.client.send(request)
    assert (refused.status_code, refused.json()["code"]) == (413, "FILE_TOO_LARGE")


@pytest.mark.parametrize("filename", ["../../etc/passwd.jpg", "..\\..\\boot.ini", "/abs/path.jpg",
                                      "a b;rm -rf ~.jpg", "évil\u0000name.jpg", "x" * 300 + ".jpg"])
async def test_hostile_file_names_never_reach_storage_keys_or_urls(api: Api, filename: str) -> None:
    me = await api.register()

    accepted = await api.upload(me, filename=filename)

    assert accepted.status_code == 202, accepted.text
    generation = accepted.json()["generation"]
    stored = sorted(p.relative_to(api.settings.storage_dir).as_posix()
                    for p in api.settings.storage_dir.rglob("*") if p.is_file())
    folder = f"users/{generation['userId']}/{generation['id']}"
    assert stored == [f"{folder}/original-thumbnail.webp", f"{folder}/original.jpg"]
    assert "passwd" not in generation["originalImageUrl"]
    assert "rm" not in generation["originalImageUrl"]
    assert not any("passwd" in p.name for p in api.settings.storage_dir.parent.rglob("*"))


def stored_folder(api: Api, generation: dict[str, str]) -> Path:
    return api.settings.storage_dir / "users" / generation["userId"] / generation["id"]


def _jpeg_with_gps_and_rotation() -> bytes:
    picture = Image.open(io.BytesIO(image_bytes("JPEG", (450, 300))))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "SpyCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.0)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)
    buf = io.BytesIO()
    picture.save(buf, format="JPEG", exif=exif)
    assert Image.open(io.BytesIO(buf.getvalue())).getexif().get_ifd(0x8825)
    return buf.getvalue()


async def test_stored_original_has_no_exif_or_gps_and_is_upright(api: Api) -> None:
    me = await api.register()

    generation = (await api.upload(me, _jpeg_with_gps_and_rotation())).json()["generation"]

    served = await api.client.get(generation["originalImageUrl"])
    preview = await api.client.get(generation["originalThumbnailUrl"])
    stored = (stored_folder(api, generation) / "original.jpg").read_bytes()
    for data in (served.content, stored, preview.content):
        picture = Image.open(io.BytesIO(data))
        assert picture.size[0] < picture.size[1]  # orientation applied (300 x 450 upright), then dropped
        assert not picture.getexif()
        assert "exif" not in picture.info
        assert "icc_profile" not in picture.info
        assert b"SpyCam" not in data
        assert b"GPS" not in data


async def test_large_photos_are_downscaled_for_the_model(api: Api) -> None:
    me = await api.register()
    generation = (await api.upload(me, image_bytes("JPEG", (3000, 1500)))).json()["generation"]
    assert Image.open(stored_folder(api, generation) / "original.jpg").size == (2048, 1024)


async def test_heic_upload_is_accepted(api: Api) -> None:
    picture = Image.open(io.BytesIO(image_bytes("PNG", (400, 300))))
    buf = io.BytesIO()
    pillow_heif.from_pillow(picture).save(buf, format="HEIF")
    me = await api.register()

    accepted = await api.upload(me, buf.getvalue(), filename="IMG_0001.HEIC", content_type="image/heic")

    assert accepted.status_code == 202, accepted.text
    assert (await api.wait_done(me, accepted.json()["generation"]["id"]))["status"] == "completed"
