"""The plans for sale, from the settings (BILLING_PLANS, with the seed's defaults), and how payments name them."""

from __future__ import annotations

from app.config import Plan, Settings


def all_plans(settings: Settings) -> list[Plan]:
    return settings.billing_plans


def by_id(settings: Settings, plan_id: str) -> Plan | None:
    return next((plan for plan in settings.billing_plans if plan.id == plan_id), None)


def for_product(settings: Settings, product_id: str | None) -> Plan | None:
    """The plan a Polar product sells (POLAR_PRODUCTS maps plan ids to product ids)."""
    plan_id = next((plan for plan, product in settings.polar_products.items() if product == product_id), None)
    return by_id(settings, plan_id) if plan_id else None


def credits_for_order(plan: Plan, billing_reason: str, net_amount: int) -> int:
    """What an order of `plan` grants. A purchase, a new subscription and each renewal grant the plan's credits,
    whatever discount was applied; a mid-period plan change is billed pro rata, and grants pro rata."""
    if billing_reason != "subscription_update":
        return plan.credits
    if not plan.price_cents or net_amount <= 0:
        return 0
    return min(plan.credits, round(plan.credits * net_amount / plan.price_cents))
