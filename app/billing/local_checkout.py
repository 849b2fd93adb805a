"""The offline checkout's sessions: signed tokens naming the account, the plan and a random order number, so
that nothing needs storing until Pay, and a token cannot be altered to buy for someone else or another plan."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from app.config import Settings

LIFETIME_SECONDS = 24 * 60 * 60  # as long as Polar's checkout sessions


@dataclass(frozen=True)
class LocalCheckout:
    user_id: uuid.UUID
    plan_id: str
    number: str  # the order's id is "local_<number>"
    issued_at: int

    @property
    def order_id(self) -> str:
        return f"local_{self.number}"


def _sign(settings: Settings, payload: bytes) -> str:
    key = settings.auth_secret.get_secret_value().encode()
    signature = hmac.new(key, b"local-checkout:" + payload, hashlib.sha256).digest()  # see LocalStorage._sign
    return base64.urlsafe_b64encode(signature).decode().rstrip("=")


def issue(settings: Settings, user_id: uuid.UUID, plan_id: str) -> str:
    payload = json.dumps({"u": str(user_id), "p": plan_id, "n": secrets.token_hex(12), "t": int(time.time())},
                         separators=(",", ":")).encode()
    return f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{_sign(settings, payload)}"


def read(settings: Settings, token: str) -> LocalCheckout | None:
    """The checkout a token stands for, or None when it was altered, made up or has expired."""
    encoded, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not hmac.compare_digest(_sign(settings, payload), signature):
            return None
        fields = json.loads(payload)
        checkout = LocalCheckout(uuid.UUID(fields["u"]), str(fields["p"]), str(fields["n"]), int(fields["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    if checkout.issued_at + LIFETIME_SECONDS < time.time():
        return None
    return checkout
