"""Where money is taken: Polar (its official SDK, app.billing.polar_payments), or the offline stand-in that takes none.

Both hand out a URL to send the browser to; what was bought is applied only when the provider reports it (a
verified webhook, the reconciliation command, or the offline checkout's Pay), never on the browser's return.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

from app.billing import local_checkout
from app.billing.facts import OrderFacts
from app.config import Plan, Settings
from app.users.repository import Caller

logger = logging.getLogger(__name__)

class Payments(Protocol):
    name: str

    async def checkout(self, plan: Plan, user: Caller, *, success_url: str, return_url: str) -> str: ...

    async def portal(self, user_id: uuid.UUID, *, return_url: str) -> str: ...

    def paid_orders(self, since: datetime) -> AsyncIterator[OrderFacts]: ...

    async def aclose(self) -> None: ...


class LocalPayments:
    """The offline checkout: a page of this API's own that says no money moves, with Pay and Cancel."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def checkout(self, plan: Plan, user: Caller, *, success_url: str, return_url: str) -> str:
        token = local_checkout.issue(self._settings, user.id, plan.id)
        return f"{self._settings.public_url.rstrip('/')}/billing/local-checkout/{token}"

    async def portal(self, user_id: uuid.UUID, *, return_url: str) -> str:
        # Nothing to manage at a provider: the SPA's billing page shows the plan and the purchases.
        return return_url

    async def paid_orders(self, since: datetime) -> AsyncIterator[OrderFacts]:
        return
        yield  # an async generator with nothing to report: every offline payment is applied as it is made

    async def aclose(self) -> None:
        return None


def create_payments(settings: Settings) -> Payments:
    if settings.payments != "polar":
        return LocalPayments(settings)
    # Polar's SDK takes 25 MB and a third of a second to load: only a process that takes payments through it does.
    from app.billing.polar_payments import PolarPayments

    return PolarPayments(settings)
