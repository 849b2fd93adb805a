"""`POST /webhooks/polar`: Polar's signed deliveries, each applied once, in one unit of work with the ledger.

Polar delivers at least once, in any order, sometimes concurrently, and one change often comes as several events
carrying the same object. So the signature is checked on the raw bytes first (with the SDK, which accepts both
of Polar's signing keys), each delivery is recorded by its webhook-id, and each object is applied idempotently by
its own id (a purchase per order, a subscription state per version).
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from app.billing import repository, service
from app.billing.facts import OrderFacts, SubscriptionFacts
from app.db import unit_of_work
from app.deps import ServicesDep
from app.errors import Forbidden, ValidationFailed, error_responses

logger = logging.getLogger(__name__)

ORDER_EVENTS = frozenset({"order.paid", "order.refunded", "order.updated"})
SUBSCRIPTION_EVENTS = frozenset({
    "subscription.created", "subscription.active", "subscription.updated", "subscription.canceled",
    "subscription.uncanceled", "subscription.revoked", "subscription.past_due",
})
HANDLED = ORDER_EVENTS | SUBSCRIPTION_EVENTS

router = APIRouter(tags=["webhooks"])


class BadSignature(Forbidden):
    message = "The webhook signature is missing, wrong or too old."


def _polar_sdk() -> ModuleType:
    """Polar's webhook helpers, loaded by the first delivery: its SDK takes 25 MB and a third of a second to load,
    which a process that never hears from Polar (a worker, an offline setup) should not pay."""
    import polar.webhooks

    return polar.webhooks


def _verified(body: bytes, headers: dict[str, str], secret: str) -> dict[str, Any]:
    # The SDK's verification with a plain-JSON loader: its typed models would refuse a delivery for a field they do
    # not know yet (see the customer-state trap in its own issues), and only a few fields are read here.
    return _polar_sdk().validate_event(body, headers, secret, HANDLED,  # type: ignore[no-any-return]
                                       lambda data: data)


@router.post("/webhooks/polar", status_code=202, response_class=Response,
             responses={202: {"description": "Accepted (also a delivery already seen, or an ignored event type)"},
                        **error_responses(BadSignature, ValidationFailed)})
async def polar_webhook(request: Request, services: ServicesDep) -> Response:
    """Polar's webhooks (Standard Webhooks signatures, POLAR_WEBHOOK_SECRET)."""
    sdk = _polar_sdk()
    secret = services.settings.polar_webhook_secret
    body = await request.body()
    try:
        if secret is None:
            raise sdk.PolarWebhookVerificationError("no webhook secret is configured")
        event = _verified(body, dict(request.headers), secret.get_secret_value())
    except sdk.PolarWebhookUnknownTypeError:
        return Response(status_code=202)  # signed, and of no concern here: acknowledged so Polar stops retrying
    except sdk.PolarWebhookVerificationError as exc:
        logger.warning("Polar webhook refused: %s", exc)
        raise BadSignature() from None
    except sdk.PolarWebhookError:
        raise _unreadable() from None
    try:
        kind = event["type"]
        facts: OrderFacts | SubscriptionFacts = (OrderFacts if kind in ORDER_EVENTS else SubscriptionFacts) \
            .model_validate(event["data"])
    except (KeyError, TypeError, ValidationError):
        raise _unreadable() from None

    provider, settings = "polar", services.settings
    async with unit_of_work(services.sessionmaker) as session:
        if not await repository.record_delivery(session, request.headers["webhook-id"][:64], kind):
            return Response(status_code=202)  # this very delivery was applied already
        if isinstance(facts, OrderFacts):
            if kind == "order.refunded" or facts.refunded_amount > 0:
                await service.apply_refunded_order(session, settings, facts, provider)
            else:
                await service.apply_paid_order(session, settings, facts, provider)
        else:
            await service.apply_subscription(session, settings, facts, provider)
    return Response(status_code=202)


def _unreadable() -> ValidationFailed:
    return ValidationFailed([{"loc": ["body"], "msg": "Not a Polar event this service can read.",
                              "type": "value_error"}], message="The webhook's body could not be read.")
