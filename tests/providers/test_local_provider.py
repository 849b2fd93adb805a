import io
from decimal import Decimal

import pytest
from PIL import Image, ImageChops, ImageStat

from app.providers.base import FailureKind, ImageProvider, ProviderError, image_of
from app.providers.local import LocalComicProvider
from app.styles import STYLES
from tests.support import PORTRAIT as PHOTO

PORTRAIT = PHOTO.read_bytes()


@pytest.fixture
async def provider():
    local = LocalComicProvider()
    yield local
    await local.aclose()


async def generate(provider: LocalComicProvider, image: bytes = PORTRAIT, style: str = "superhero") -> bytes:
    result = await provider.generate(image_of(image), "image/jpeg", STYLES[style], generation_id="gen-1")
    return result.image


def colours(im: Image.Image) -> int:
    return len(im.convert("RGB").getcolors(maxcolors=1 << 24))


def test_it_is_an_image_provider() -> None:
    provider: ImageProvider = LocalComicProvider()
    assert provider.name == "local"


async def test_result_is_free_and_named_local(provider: LocalComicProvider) -> None:
    result = await provider.generate(image_of(PORTRAIT), "image/jpeg", STYLES["marvel"], generation_id="gen-1")

    assert result.model == "local"
    assert result.cost_usd == Decimal(0)
    assert result.provider_generation_id is None
    assert result.prompt_tokens is None
    assert result.completion_tokens is None


@pytest.mark.parametrize("size", [(512, 512), (640, 360), (300, 500)])
async def test_output_is_a_png_of_the_input_size(provider: LocalComicProvider, size: tuple[int, int]) -> None:
    buf = io.BytesIO()
    Image.open(io.BytesIO(PORTRAIT)).resize(size).save(buf, format="PNG")

    out = Image.open(io.BytesIO(await generate(provider, buf.getvalue())))
    out.load()

    assert out.format == "PNG"
    assert out.size == size


async def test_same_input_and_style_give_identical_bytes(provider: LocalComicProvider) -> None:
    assert await generate(provider, style="dc") == await generate(LocalComicProvider(), style="dc")


async def test_each_style_looks_different(provider: LocalComicProvider) -> None:
    outputs = {style: Image.open(io.BytesIO(await generate(provider, style=style))).convert("RGB")
               for style in STYLES}

    styles = list(outputs)
    for i, a in enumerate(styles):
        for b in styles[i + 1:]:
            difference = ImageStat.Stat(ImageChops.difference(outputs[a], outputs[b])).mean
            assert sum(difference) / 3 > 20, (a, b)


@pytest.mark.parametrize("style", list(STYLES))
async def test_photo_is_really_stylised(provider: LocalComicProvider, style: str) -> None:
    photo = Image.open(io.BytesIO(PORTRAIT)).convert("RGB")

    out = Image.open(io.BytesIO(await generate(provider, style=style))).convert("RGB")

    # Flat comic colours: a small palette compared with the photo's tens of thousands.
    assert colours(out) < colours(photo) / 20
    difference = ImageStat.Stat(ImageChops.difference(photo, out)).mean
    assert sum(difference) / 3 > 30
    # Bold ink: a real share of the picture is pure black (outlines and the panel border).
    black = out.convert("L").point(lambda v: 255 if v < 8 else 0)
    assert ImageStat.Stat(black).mean[0] / 255 > 0.05


async def test_noir_style_is_darker_and_less_colourful_than_superhero(provider: LocalComicProvider) -> None:
    dc = Image.open(io.BytesIO(await generate(provider, style="dc"))).convert("HSV")
    hero = Image.open(io.BytesIO(await generate(provider, style="superhero"))).convert("HSV")

    _, dc_s, dc_v = ImageStat.Stat(dc).mean
    _, hero_s, hero_v = ImageStat.Stat(hero).mean
    assert dc_s < hero_s
    assert dc_v < hero_v


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (200, 30, 30)])
async def test_blank_picture_is_refused_with_a_message_for_people(
    provider: LocalComicProvider, colour: tuple[int, int, int]
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (400, 400), colour).save(buf, format="PNG")

    with pytest.raises(ProviderError) as refused:
        await generate(provider, buf.getvalue())

    assert refused.value.kind == FailureKind.REFUSED
    assert refused.value.model_called
    assert "blank" in str(refused.value)
