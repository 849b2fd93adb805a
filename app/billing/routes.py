"""Plans, checkout, the customer portal, the account's plan and purchases, and its credit statement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app import credits
from app.billing import plans, repository
from app.billing.schemas import (
    BillingOut,
    CheckoutIn,
    CheckoutOut,
    CurrentPlan,
    LedgerEntryOut,
    LedgerOut,
    PlanOut,
    PlansOut,
    PortalOut,
    PurchaseOut,
    PurchasesOut,
)
from app.billing.service import current_plan
from app.deps import ServicesDep
from app.errors import (
    UNAUTHORIZED_RESPONSE,
    AlreadySubscribed,
    NoPurchases,
    PaymentsUnavailable,
    ValidationFailed,
    error_responses,
)
from app.schemas import Text
from app.users.auth import CurrentUser

router = APIRouter(tags=["billing"])
private = APIRouter(tags=["billing"], responses=UNAUTHORIZED_RESPONSE)


@router.get("/billing/plans")
async def list_plans(services: ServicesDep) -> PlansOut:
    """What can be bought: monthly plans, one-time credit packs, and plans by agreement (a contact link)."""
    return PlansOut(plans=[PlanOut.model_validate(plan, from_attributes=True)
                           for plan in plans.all_plans(services.settings)])


@private.post("/billing/checkout", status_code=201,
              responses=error_responses(AlreadySubscribed, ValidationFailed, PaymentsUnavailable))
async def checkout(body: CheckoutIn, user: CurrentUser, services: ServicesDep) -> CheckoutOut:
    """Start buying a plan or pack: send the browser to `checkoutUrl`. Credits arrive once the payment is confirmed
    (watch `GET /billing` or `GET /credits/ledger`)."""
    settings = services.settings
    plan = plans.by_id(settings, body.plan)
    if plan is None or plan.kind == "contact":
        sold = ", ".join(p.id for p in plans.all_plans(settings) if p.kind != "contact")
        raise ValidationFailed([{"loc": ["body", "plan"], "msg": f"Choose one of: {sold}.", "type": "enum"}],
                               message=f"'{body.plan}' cannot be bought here.")
    if plan.kind == "subscription":
        async with services.reader() as session:
            now = await current_plan(session, user.id)
        if now is not None and now.id == plan.id and now.status != "canceled":
            raise AlreadySubscribed()
    url = await services.payments.checkout(
        plan, user, success_url=f"{settings.spa_url}/account/billing?checkout=success&plan={plan.id}",
        return_url=f"{settings.spa_url}/pricing",
    )
    return CheckoutOut(checkout_url=url)


@private.post("/billing/portal", responses=error_responses(NoPurchases, PaymentsUnavailable))
async def portal(user: CurrentUser, services: ServicesDep) -> PortalOut:
    """Where a subscriber changes or cancels their plan and finds their invoices."""
    async with services.reader() as session:
        if not await repository.has_purchases(session, user.id):
            raise NoPurchases()
    return PortalOut(portal_url=await services.payments.portal(
        user.id, return_url=f"{services.settings.spa_url}/account/billing"))


@private.get("/billing")
async def billing(user: CurrentUser, services: ServicesDep) -> BillingOut:
    """Your credits and your plan."""
    async with services.reader() as session:
        state = await current_plan(session, user.id)
        balance = await credits.balance(session, user.id)
    plan = CurrentPlan(id=state.id, status=state.status, renews_at=state.renews_at,  # type: ignore[arg-type]
                       ends_at=state.ends_at) if state else None
    return BillingOut(credits=balance, plan=plan)


@private.get("/billing/purchases")
async def purchases(user: CurrentUser, services: ServicesDep) -> PurchasesOut:
    """Everything you bought, newest first (renewals included)."""
    async with services.reader() as session:
        found = await repository.purchases(session, user.id)
    return PurchasesOut(purchases=[
        PurchaseOut(order_id=p.order_id, plan_id=p.plan_id, amount_cents=p.net_amount, currency=p.currency,
                    credits=p.credits, refunded_cents=p.refunded_amount, created_at=p.created_at) for p in found
    ])


@private.get("/credits/ledger", tags=["credits"], responses=error_responses(ValidationFailed))
async def ledger(
    user: CurrentUser, services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[Text | None, Query(max_length=18, description="`nextCursor` of the previous page")] = None,
) -> LedgerOut:
    """Every credit movement of your account, newest first, each with the balance it left."""
    before: int | None = None
    if cursor is not None:
        if not cursor.isdigit():
            raise ValidationFailed([{"loc": ["query", "cursor"], "msg": "Not a cursor from this list.",
                                     "type": "value_error"}], message="Invalid cursor.")
        before = int(cursor)
    async with services.reader() as session:
        entries = await credits.statement(session, user.id, limit + 1, before)
    page, more = entries[:limit], len(entries) > limit
    return LedgerOut(
        entries=[LedgerEntryOut.of(e) for e in page],
        next_cursor=str(page[-1].id) if more else None,
    )


router.include_router(private)
