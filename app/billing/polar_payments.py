"""Payments through Polar, with its official SDK (see app.billing.payments for what every provider does)."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from polar.base import PolarClientError, PolarError
from polar.v2026_10 import PolarAsync

from app.billing.facts import OrderFacts
from app.config import Plan, Settings
from app.errors import NoPurchases, PaymentsUnavailable, describe_exception
from app.users.repository import Caller

logger = logging.getLogger(__name__)

POLAR_TIMEOUT_SECONDS = 10.0
# A failed call to Polar: the SDK's own errors, and the ValueError it lets escape for an answer it cannot read (a
# Retry-After given as an HTTP date, which HTTP allows; a body that is not JSON).
POLAR_FAILURES = (PolarError, ValueError)


class PolarPayments:
    name = "polar"

    def __init__(self, settings: Settings) -> None:
        assert settings.polar_access_token is not None  # Settings.check_startable
        self._settings = settings
        self._polar = PolarAsync(settings.polar_access_token.get_secret_value(), environment=settings.polar_server,
                                 base_url=settings.polar_api_url, timeout=POLAR_TIMEOUT_SECONDS)

    async def checkout(self, plan: Plan, user: Caller, *, success_url: str, return_url: str) -> str:
        try:
            created = await self._polar.checkouts.create(
                products=[self._settings.polar_products[plan.id]],
                external_customer_id=str(user.id), customer_email=user.email,
                metadata={"user_id": str(user.id), "plan": plan.id},
                success_url=success_url, return_url=return_url,
            )
        except POLAR_FAILURES as exc:
            logger.error("Polar checkout for plan %s failed: %s", plan.id, describe_exception(exc))
            raise PaymentsUnavailable() from None
        return created.url

    async def portal(self, user_id: uuid.UUID, *, return_url: str) -> str:
        try:
            session = await self._polar.customer_sessions.create(external_customer_id=str(user_id),
                                                                 return_url=return_url)
        except PolarClientError as exc:
            if exc.status_code == 422:  # "Customer does not exist.": never completed a checkout
                raise NoPurchases() from None
            logger.error("Polar customer session failed: %s", describe_exception(exc))
            raise PaymentsUnavailable() from None
        except POLAR_FAILURES as exc:
            logger.error("Polar customer session failed: %s", describe_exception(exc))
            raise PaymentsUnavailable() from None
        return session.customer_portal_url

    async def paid_orders(self, since: datetime) -> AsyncIterator[OrderFacts]:
        page = 1
        while True:
            found = await self._polar.orders.list(status=["paid", "refunded", "partially_refunded"],
                                                  created_after=since.isoformat(), page=page, limit=100)
            for order in found.items:
                yield OrderFacts.model_validate(dataclasses.asdict(order))
            if page >= found.pagination.max_page:
                return
            page += 1

    async def aclose(self) -> None:
        await self._polar._client.__aexit__()
