"""`/admin/...`: the operators' console. Only administrators (`python -m app.admin make-admin EMAIL`), and only
with a login, never an API key: everyone else gets 403."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app import credits, cursors
from app.billing.schemas import LedgerEntryOut
from app.billing.service import current_plan
from app.deps import SessionDep
from app.errors import (
    UNAUTHORIZED_RESPONSE,
    AlreadyRefunded,
    Forbidden,
    NotFound,
    ValidationFailed,
    error_responses,
)
from app.models import User
from app.operators import repository, service
from app.operators.schemas import (
    AccountChange,
    AdminActionOut,
    AdminGenerationOut,
    AdminUserDetail,
    AdminUserOut,
    AdminUsersOut,
    CreditsIn,
    CreditsOut,
    RefundIn,
    StatsOut,
)
from app.schemas import Text
from app.sharing import repository as shares
from app.users.auth import LoggedInUser
from app.users.repository import Caller


async def current_admin(user: LoggedInUser) -> Caller:
    if not user.is_superuser:
        raise Forbidden("This is for administrators.")
    return user


Admin = Annotated[Caller, Depends(current_admin)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
router = APIRouter(prefix="/admin", tags=["admin"], responses={**UNAUTHORIZED_RESPONSE, **error_responses(Forbidden)})


async def _summary(session: SessionDep, user: User, generations: int) -> AdminUserOut:
    plan = await current_plan(session, user.id)
    return AdminUserOut(id=user.id, email=user.email, credits=user.credits, is_active=user.is_active,
                        is_verified=user.is_verified, is_superuser=user.is_superuser, plan=plan.id if plan else None,
                        generations=generations, created_at=user.created_at)


@router.get("/users", responses=error_responses(ValidationFailed))
async def find_users(
    admin: Admin, session: SessionDep,
    q: Annotated[Text | None, Query(max_length=254, description="Part of an email address")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[Text | None, Query(max_length=200)] = None,
) -> AdminUsersOut:
    """Accounts, newest first, optionally those whose email contains `q`."""
    after = cursors.decode(cursor, _is_uuid) if cursor else None
    found = await repository.find_users(session, q, limit + 1, (after[0], uuid.UUID(after[1])) if after else None)
    page = found[:limit]
    counts = await repository.generation_counts(session, [u.id for u in page])
    return AdminUsersOut(users=[await _summary(session, u, counts.get(u.id, 0)) for u in page],
                         next_cursor=cursors.encode(page[-1].created_at, page[-1].id) if len(found) > limit else None)


async def _user(session: SessionDep, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


@router.get("/users/{user_id}", responses=error_responses(NotFound))
async def user_detail(user_id: uuid.UUID, admin: Admin, session: SessionDep) -> AdminUserDetail:
    """One account: balance, plan, latest generations (with errors and provider cost), ledger and admin actions."""
    user = await _user(session, user_id)
    counts = await repository.generation_counts(session, [user.id])
    summary = await _summary(session, user, counts.get(user.id, 0))
    entries = await credits.statement(session, user.id, 50, None)
    recent = await repository.recent_generations(session, user.id)
    slugs = await shares.slugs_of(session, [g.id for g in recent])
    return AdminUserDetail(
        **summary.model_dump(),
        ledger=[LedgerEntryOut.of(e) for e in entries],
        recent_generations=[AdminGenerationOut.model_validate(g, from_attributes=True)
                            .model_copy(update={"share_slug": slugs.get(g.id)}) for g in recent],
        admin_actions=[AdminActionOut.model_validate(a, from_attributes=True)
                       for a in await repository.actions_on(session, user.id)],
    )


@router.post("/users/{user_id}/credits", responses=error_responses(NotFound, ValidationFailed))
async def adjust_credits(user_id: uuid.UUID, body: CreditsIn, admin: Admin, session: SessionDep) -> CreditsOut:
    """Grant (or, negative, take) credits, with a reason; the balance never goes below 0."""
    return CreditsOut(credits=await service.adjust_credits(session, admin.id, user_id, body.amount, body.note))


@router.post("/generations/{generation_id}/refund", responses=error_responses(NotFound, AlreadyRefunded))
async def refund_generation(generation_id: Text, body: RefundIn, admin: Admin, session: SessionDep) -> CreditsOut:
    """Give a generation's credits back to its owner, once."""
    return CreditsOut(credits=await service.refund_generation(session, admin.id, generation_id, body.note))


@router.patch("/users/{user_id}", responses=error_responses(NotFound))
async def change_account(user_id: uuid.UUID, body: AccountChange, admin: Admin, session: SessionDep) -> AdminUserOut:
    """Disable an account (every login and API key stops working at once) or enable it again."""
    await service.set_active(session, admin.id, user_id, body.is_active)
    user = await _user(session, user_id)
    await session.refresh(user)
    counts = await repository.generation_counts(session, [user.id])
    return await _summary(session, user, counts.get(user.id, 0))


@router.get("/stats")
async def stats(admin: Admin, session: SessionDep,
                days: Annotated[int, Query(ge=1, le=365)] = 30) -> StatsOut:
    """The service's numbers over the last `days` days."""
    return await service.stats(session, days)
