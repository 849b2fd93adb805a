"""Email to the people who use the service, through the SMTP server named by `SMTP_URL`.

`smtp://user:password@host:587` uses STARTTLS when the server offers it; `smtps://user:password@host:465` speaks
TLS from the first byte. Without `SMTP_URL` the routes that send email answer 503 (users/routes.py) and nothing
here is called.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.config import Settings
from app.errors import EmailNotConfigured

logger = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 30


async def send(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send a plain-text email. A failure is logged (the reason, never the body) and not raised: the person gets
    the same answer either way, so a form cannot be used to learn whether an address has an account."""
    if settings.smtp_url is None:  # the routes check first (users/routes.py); this keeps it true for any caller
        raise EmailNotConfigured()
    server = urlsplit(settings.smtp_url.get_secret_value())
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    implicit_tls = server.scheme == "smtps"
    try:
        await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port or (465 if implicit_tls else 587),
            username=unquote(server.username) if server.username else None,
            password=unquote(server.password) if server.password else None,
            use_tls=implicit_tls,
            timeout=SEND_TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        # The exception's text can quote the server's reply; its type is enough to act on.
        logger.warning("email %r not sent: %s from %s", subject, type(exc).__name__, server.hostname)
