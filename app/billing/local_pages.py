"""The offline checkout's page: says plainly that no money moves, with Pay and Cancel. Pay is applied through
the same exactly-once path as a paid Polar order (and, for a plan, its subscription), so a second Pay grants
nothing."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from app.billing import local_checkout, plans, service
from app.billing.facts import CustomerFacts, OrderFacts, SubscriptionFacts
from app.db import unit_of_work
from app.deps import ServicesDep
from app.errors import NotFound, error_responses

router = APIRouter(tags=["billing"], include_in_schema=True)
# The offline world has no renewals: a plan bought here lasts one period.
PERIOD = timedelta(days=30)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline checkout · AIVenger</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #0f172a; color: #f8fafc; display: grid; place-items: center;
       min-height: 100vh; margin: 0; }}
main {{ background: #1e293b; border-radius: 16px; padding: 2rem; max-width: 26rem; width: calc(100% - 2rem); }}
h1 {{ margin-top: 0; font-size: 1.4rem; }} .note {{ background: #fef3c7; color: #78350f; padding: .75rem 1rem;
       border-radius: 10px; }}
.actions {{ display: flex; gap: .75rem; margin-top: 1.5rem; }}
button, a.cancel {{ flex: 1; font: inherit; font-weight: 600; padding: .8rem 1rem; border-radius: 10px; border: 0;
       text-align: center; cursor: pointer; text-decoration: none; }}
button {{ background: #facc15; color: #111827; }} a.cancel {{ background: #334155; color: #f8fafc; }}
</style></head>
<body><main>
<h1>{name}: {price}</h1>
<p>{what}</p>
<p class="note"><strong>This is the offline checkout: no money moves.</strong> This server takes no payments;
Pay adds the credits as a real purchase would.</p>
<form method="post" action="/billing/local-checkout/{token}/pay" class="actions">
<a class="cancel" href="{cancel}">Cancel</a><button type="submit">Pay</button>
</form>
</main></body></html>
"""


@router.get("/billing/local-checkout/{token}", response_class=HTMLResponse, responses=error_responses(NotFound))
async def local_checkout_page(token: str, services: ServicesDep) -> HTMLResponse:
    """The offline checkout (PAYMENTS_PROVIDER=local)."""
    settings = services.settings
    checkout = local_checkout.read(settings, token) if settings.payments == "local" else None
    plan = plans.by_id(settings, checkout.plan_id) if checkout else None
    if plan is None:
        raise NotFound("This checkout does not exist or has expired.")
    price = f"{(plan.price_cents or 0) / 100:.2f} {plan.currency.upper()}"
    if plan.interval:
        price += f" per {plan.interval}"
    what = f"{plan.credits} credits" + (" every month" if plan.kind == "subscription" else ", once")
    return HTMLResponse(_PAGE.format(name=html.escape(plan.name), price=html.escape(price), what=html.escape(what),
                                     token=html.escape(token), cancel=html.escape(f"{settings.spa_url}/pricing")))


@router.post("/billing/local-checkout/{token}/pay", status_code=303, response_class=RedirectResponse,
             responses=error_responses(NotFound))
async def local_checkout_pay(token: str, services: ServicesDep) -> RedirectResponse:
    """Pay on the offline checkout: the credits are granted once, and the browser goes back to the app."""
    settings = services.settings
    checkout = local_checkout.read(settings, token) if settings.payments == "local" else None
    plan = plans.by_id(settings, checkout.plan_id) if checkout else None
    if checkout is None or plan is None:
        raise NotFound("This checkout does not exist or has expired.")
    bought_at = datetime.fromtimestamp(checkout.issued_at, UTC)
    buyer = CustomerFacts(external_id=str(checkout.user_id))
    reason = "subscription_create" if plan.kind == "subscription" else "purchase"
    order = OrderFacts(id=checkout.order_id, status="paid", billing_reason=reason, net_amount=plan.price_cents or 0,
                       currency=plan.currency, customer=buyer, metadata={"plan": plan.id}, created_at=bought_at)
    async with unit_of_work(services.sessionmaker) as session:
        await service.apply_paid_order(session, settings, order, "local")
        if plan.kind == "subscription":
            await service.apply_subscription(session, settings, SubscriptionFacts(
                id=f"local_sub_{checkout.number}", status="active", customer=buyer, metadata={"plan": plan.id},
                current_period_end=bought_at + PERIOD, created_at=bought_at,
            ), "local")
    return RedirectResponse(f"{settings.spa_url}/account/billing?checkout=success&plan={plan.id}", status_code=303)
