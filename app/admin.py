"""Operator commands: `python -m app.admin credits EMAIL AMOUNT "reason"` adjusts a balance (refunds by hand, gifts);
`python -m app.admin billing sync [--days N]` applies paid orders that a lost webhook missed;
`python -m app.admin make-admin EMAIL` / `revoke-admin EMAIL` give or take the operators' console.

The adjustment is a ledger row like every other credit movement, so the balance still equals the ledger's sum.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from app import credits
from app.billing import reconcile
from app.billing.polar_payments import POLAR_FAILURES
from app.config import get_settings
from app.db import create_engine, create_sessionmaker, unit_of_work
from app.models import User
from app.operators import repository as operators
from app.users.repository import UserDatabase


@asynccontextmanager
async def _account(database_url: str, email: str) -> AsyncIterator[tuple[AsyncSession, User]]:
    """One unit of work on the account with this email: what a command changes there commits together, or not."""
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            user = await UserDatabase(session).get_by_email(email)
            if user is None:
                raise LookupError(f"no user with email {email}")
            yield session, user
    finally:
        await engine.dispose()


async def adjust_credits(database_url: str, email: str, amount: int, note: str) -> int:
    async with _account(database_url, email) as (session, user):
        operators.record(session, None, "credits", user_id=user.id, target=str(amount), note=note)
        return await credits.adjust(session, user.id, amount, note)


async def set_admin(database_url: str, email: str, admin: bool) -> None:
    async with _account(database_url, email) as (session, user):
        user.is_superuser = admin
        operators.record(session, None, "make-admin" if admin else "revoke-admin", user_id=user.id,
                         note="from the command line")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    adjust = commands.add_parser("credits", help="add (or, negative, remove) credits, with a reason")
    adjust.add_argument("email")
    adjust.add_argument("amount", type=int)
    adjust.add_argument("note", help="why, kept in the ledger")
    for name, text in (("make-admin", "let an account use the operators' console"),
                       ("revoke-admin", "take the console away from an account")):
        commands.add_parser(name, help=text).add_argument("email")
    billing = commands.add_parser("billing", help="payments")
    billing_commands = billing.add_subparsers(dest="billing_command", required=True)
    sync = billing_commands.add_parser("sync", help="apply the paid orders of the last days that were missed")
    sync.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    if args.command in ("make-admin", "revoke-admin"):
        try:
            asyncio.run(set_admin(get_settings().database_url, args.email, args.command == "make-admin"))
        except LookupError as exc:
            print(f"error: {exc}", file=sys.stderr)  # noqa: T201
            return 1
        print(f"{args.email} is {'now' if args.command == 'make-admin' else 'no longer'} an administrator")  # noqa: T201
        return 0
    if args.command == "billing":
        try:
            report = asyncio.run(reconcile.sync(get_settings(), args.days))
        except POLAR_FAILURES as exc:
            print(f"error: the payment provider could not be reached ({type(exc).__name__}); "  # noqa: T201
                  "nothing more was applied, run it again later", file=sys.stderr)
            return 1
        print(f"{report.seen} paid orders seen, {report.applied} applied now, "  # noqa: T201
              f"{report.credits_taken_back} credits taken back for refunds")
        return 0
    try:
        balance = asyncio.run(adjust_credits(get_settings().database_url, args.email, args.amount, args.note))
    except (LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(f"{args.email}: {balance} credits")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
