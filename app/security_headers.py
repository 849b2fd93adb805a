"""Security headers on every answer of the app: the API's JSON, its errors, the SPA's files and the docs.

Each header is added only when the answer does not carry it already, so a route that knows better (the SPA's
hashed assets and /media choose their own caching, the docs pages their own Content-Security-Policy) keeps its
own value.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

# Browsers must not guess a type other than the declared one (an upload served as HTML, a JSON body run as script).
NOSNIFF = "nosniff"
# Cross-origin requests (S3 images, links out) learn the origin only, never a path or query such as a password
# reset token. Not `no-referrer`: under it browsers send `Origin: null` on same-origin form and fetch writes,
# which CookieCsrfGuard rightly refuses, so the SPA's cookie login would stop working.
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000; includeSubDomains"
# Whatever a route does not cache deliberately is not stored anywhere: most answers are about an account (the
# profile, its generations, its credits, its sessions), and a shared or browser cache must not keep them.
DEFAULT_CACHE_CONTROL = "no-store"
# Answers that are not HTML (JSON, images, scripts) never run as a page; opened in a tab, one may load nothing and
# be framed by no one. Inline styles stay allowed: the browser's own image and JSON viewers style the document
# they build around the answer with them, and styles cannot run script.
NON_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def storage_image_sources(settings: Settings) -> list[str]:
    """The origins the SPA's images come from besides its own: the S3 hosts of the presigned URLs.

    Local storage serves images under the app's own relative /media URLs. S3 URLs are made by botocore: a
    self-hosted endpoint (MinIO, R2) is addressed by path on its own origin; on AWS a bucket name fit for DNS is a
    virtual host (the global name, or the regional one it redirects to), one with dots is a path on the S3 host.
    """
    if settings.storage_backend != "s3":
        return []
    if settings.s3_endpoint_url:
        parts = urlsplit(settings.s3_endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}".lower()]
    region = settings.s3_region
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    bucket = settings.s3_bucket.lower()
    if "." in bucket:
        return ["https://s3.amazonaws.com", f"https://s3.{region}.{domain}"]
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.{domain}"]


def spa_policy(settings: Settings) -> str:
    """The Content-Security-Policy of the SPA's HTML: its own scripts only, and nothing else that can run code."""
    return policy({
        "default-src": ["'self'"],
        # The build has no inline script: index.html loads one module from /assets.
        "script-src": ["'self'"],
        # Inline styles stay allowed: sonner injects its stylesheet as a <style> element at runtime (without a
        # nonce), and components set style attributes (a progress bar's width, the compare slider's position).
        # Styles cannot run script, so this leaves the script policy strict.
        "style-src": ["'self'", "'unsafe-inline'"],
        # blob: is the preview of the photo chosen for upload; data: costs nothing for images.
        "img-src": ["'self'", "data:", "blob:", *storage_image_sources(settings)],
        "font-src": ["'self'"],
        # The SPA served here talks to this same origin (a SPA hosted elsewhere gets its CSP from its own host).
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    })


class SecurityHeaders:
    """Adds the security headers to the start of every HTTP answer, whoever wrote it (a route, an error handler,
    another middleware)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        always = {
            b"x-content-type-options": NOSNIFF,
            b"referrer-policy": REFERRER_POLICY,
            b"x-frame-options": "DENY",  # for browsers that do not know CSP's frame-ancestors
            b"cache-control": DEFAULT_CACHE_CONTROL,
        }
        # Only a site reached over https may pin https; over http browsers ignore it, and it would be a lie.
        if settings.public_url.lower().startswith("https://"):
            always[b"strict-transport-security"] = HSTS
        self.always = [(name, value.encode("latin-1")) for name, value in always.items()]
        self.html_policy = spa_policy(settings).encode("latin-1")
        self.non_html_policy = NON_HTML_POLICY.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._completed(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _completed(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower(): value for name, value in headers}
        added = [(name, value) for name, value in self.always if name not in present]
        if b"content-security-policy" not in present:
            is_html = present.get(b"content-type", b"").lower().startswith(b"text/html")
            added.append((b"content-security-policy", self.html_policy if is_html else self.non_html_policy))
        return headers + added
