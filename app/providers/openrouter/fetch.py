"""Turning the image URL of an answer into bytes without letting it reach anything it should not."""

from __future__ import annotations

import asyncio
import binascii
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpx
import pybase64

from app.providers.base import FailureKind
from app.providers.openrouter.errors import OpenRouterError

# host, port -> every address the name resolves to
Resolver = Callable[[str, int], Awaitable[list[str]]]


def _unusable(reason: str) -> OpenRouterError:
    return OpenRouterError(FailureKind.BAD_OUTPUT, detail=reason)


async def resolve_with_loop(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    # ::ffff:127.0.0.1 is loopback in disguise, and Python 3.11 does not see through it.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )
    # is_global also rules out the shared (carrier NAT) and documentation ranges.
    return not blocked and ip.is_global


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# ASCII whitespace, which base64 broken into lines may hold; anything else outside its alphabet is refused.
_LINE_BREAKS = " \t\r\n\f\v"
_WITHOUT_LINE_BREAKS = str.maketrans("", "", _LINE_BREAKS)


def decode_data_url(url: str, max_bytes: int) -> bytes:
    """The image of a base64 data URL (a model's answer: about 1.4 MB of base64).

    pybase64, not the standard library: 0.1 ms against 5 for such an image, and neither lets go of the GIL, so
    the event loop waited that long whichever thread decoded. Whitespace is looked for before it is removed:
    removing it copied the whole text for 1 ms, to find none."""
    header, comma, payload = url.partition(",")
    if not comma or not header.lower().endswith(";base64"):
        raise _unusable("data URL is not base64")
    if any(space in payload for space in _LINE_BREAKS):
        # Only these: str.split() would also drop Unicode spaces, which are refused when they come alone.
        payload = payload.translate(_WITHOUT_LINE_BREAKS)
    padding = len(payload) - len(payload.rstrip("="))
    # Every 4 characters carry 3 bytes, so the size is known before anything is decoded.
    if len(payload) * 3 // 4 - padding > max_bytes:
        raise _unusable(f"data URL image over {max_bytes} bytes")
    try:
        return pybase64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _unusable("data URL is not valid base64") from None


class ImageFetcher:
    """Reads an answer's image from a data URL, or downloads it from an allowed https host."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allowed_hosts: Iterable[str],
        max_bytes: int,
        resolve: Resolver = resolve_with_loop,
    ) -> None:
        self._client = client
        self._allowed_hosts = frozenset(host.strip().lower().strip("[]") for host in allowed_hosts)
        self._max_bytes = max_bytes
        self._resolve = resolve

    async def fetch(self, url: str, *, timeout: float) -> bytes:
        if url[:5].lower() == "data:":
            return await asyncio.to_thread(decode_data_url, url, self._max_bytes)
        try:
            async with asyncio.timeout(timeout):
                return await self._download(url, timeout)
        except TimeoutError:
            raise OpenRouterError(FailureKind.UNAVAILABLE, detail="image download timed out") from None
        except httpx.HTTPError as exc:
            detail = f"image download failed ({type(exc).__name__})"
            raise OpenRouterError(FailureKind.UNAVAILABLE, detail=detail) from None

    async def _target(self, url: str) -> tuple[httpx.URL, dict[str, str], dict[str, str]]:
        """The URL to connect to, pinned to an address we checked, with the Host header and SNI name."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise _unusable("image URL does not parse") from None
        if parsed.scheme != "https":
            raise _unusable(f"image URL scheme {parsed.scheme!r} refused")
        host = parsed.raw_host.decode("ascii").lower()
        if host not in self._allowed_hosts:
            raise _unusable(f"image host {host!r} is not allowed")
        if _ip_literal(host):
            if not is_public_address(host):
                raise _unusable(f"image host {host!r} is not a public address")
            return parsed, {}, {}
        try:
            addresses = await self._resolve(host, parsed.port or 443)
        except OSError:
            raise OpenRouterError(
                FailureKind.UNAVAILABLE, detail=f"cannot resolve image host {host!r}"
            ) from None
        if not addresses or not all(is_public_address(address) for address in addresses):
            raise _unusable(f"image host {host!r} resolves to a non-public address")
        # Connecting to the checked address, not the name, leaves no room for DNS to answer differently.
        pinned = parsed.copy_with(host=addresses[0])
        return pinned, {"Host": parsed.netloc.decode("ascii")}, {"sni_hostname": host}

    async def _download(self, url: str, timeout: float) -> bytes:
        target, headers, extensions = await self._target(url)
        async with self._client.stream(
            "GET", target, headers=headers, extensions=extensions, timeout=timeout, follow_redirects=False
        ) as response:
            if response.is_redirect:
                raise _unusable("image URL redirects")
            if response.status_code != 200:
                raise _unusable(f"image download answered {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self._max_bytes:
                raise _unusable(f"image download over {self._max_bytes} bytes")
            return await read_capped(response, self._max_bytes)


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _unusable(f"body over {max_bytes} bytes")
    return bytes(body)
