"""fastapi-users' user manager with this service's rules: password rules, the lockout, email cooldowns, links.

Why some library methods are taken over here: the library calls its password hasher synchronously, and a hash
is tens of milliseconds of CPU that would stall every other request on the event loop. It offers no async seam,
so `create`, `_update` and `reset_password` repeat the library's few lines around the hasher, calling
`_hash`/`_verify` (a worker thread) instead. Everything else is the library's own.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
from fastapi import Request
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, InvalidPasswordException, UUIDIDMixin, exceptions
from fastapi_users.jwt import decode_jwt, generate_jwt

from app import mail
from app.config import Settings
from app.db import unit_of_work
from app.errors import TooManyFailedLogins
from app.models import User
from app.services import Services
from app.users import repository
from app.users.repository import EmailKind, UserDatabase

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# Each Argon2 hash holds 64 MiB while it runs (its memory cost) and already spreads over up to 4 cores (its 4 lanes):
# more hashes at once than that fills would only add memory, 64 MiB per sign-up or login in a burst (six at once in
# the shared thread pool took a process from 150 to 420 MB; on 2 cores a second thread hashes only 25% faster).
# The rest wait their turn here.
_ARGON2_LANES = 4
_HASHING = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) // _ARGON2_LANES),
                              thread_name_prefix="password")


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    def __init__(self, user_db: UserDatabase, services: Services) -> None:
        super().__init__(user_db)
        self.services = services
        self.settings: Settings = services.settings
        self.reset_password_token_secret = self.settings.auth_secret.get_secret_value()
        self.verification_token_secret = self.settings.auth_secret.get_secret_value()
        self.reset_password_token_lifetime_seconds = self.settings.password_reset_token_lifetime_seconds

    async def _hash(self, secret: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(_HASHING, self.password_helper.hash, secret)

    async def _verify(self, secret: str, hashed: str) -> tuple[bool, str | None]:
        return await asyncio.get_running_loop().run_in_executor(
            _HASHING, self.password_helper.verify_and_update, secret, hashed)

    async def validate_password(self, password: str, user: Any) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidPasswordException(reason=f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidPasswordException(reason=f"Password must be at most {MAX_PASSWORD_LENGTH} characters.")
        if getattr(user, "email", None) and user.email.lower() in password.lower():
            raise InvalidPasswordException(reason="Password must not contain your email address.")

    async def create(self, user_create: Any, safe: bool = False, request: Request | None = None) -> User:
        await self.validate_password(user_create.password, user_create)
        if await self.user_db.get_by_email(user_create.email) is not None:
            raise exceptions.UserAlreadyExists()
        user_dict = user_create.create_update_dict() if safe else user_create.create_update_dict_superuser()
        user_dict["hashed_password"] = await self._hash(user_dict.pop("password"))
        created_user = await self.user_db.create(user_dict)
        if not self.settings.signup_credits_require_verified:
            await self._grant_free_credits(created_user)
        await self.on_after_register(created_user, request)
        return created_user

    async def on_after_verify(self, user: User, request: Request | None = None) -> None:
        if self.settings.signup_credits_require_verified:
            await self._grant_free_credits(user)

    async def _grant_free_credits(self, user: User) -> None:
        granted = await repository.grant_free_credits(
            self.user_db.session, user, self.settings.signup_credits,  # type: ignore[attr-defined]
            self.settings.auth_secret.get_secret_value(),
        )
        if not granted:
            logger.info("account %s gets no free credits: its email address had them before", user.id)

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User | None:
        # Every step in a short session of its own, one connection at a time: a login holding the request's
        # connection while it waits for another would let a crowd of logins take the whole pool.
        async with self.services.sessionmaker() as session:
            user = await UserDatabase(session).get_by_email(credentials.username)
        if user is None:
            await self._hash(credentials.password)  # an unknown email takes as long as a wrong password
            return None
        # Its own unit of work: the attempt must stay counted when this request answers with an error.
        async with unit_of_work(self.services.sessionmaker) as session:
            locked_for = await repository.take_login_attempt(
                session, user.id, self.settings.login_max_failures, self.settings.login_lockout_seconds
            )
        if locked_for:  # not even checked: a guess made now could not be told apart from the right password
            minutes = math.ceil(locked_for / 60)
            raise TooManyFailedLogins(
                f"Too many wrong passwords for this account. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}, or reset your password.",
                headers={"Retry-After": str(locked_for)},
            )
        verified, updated_hash = await self._verify(credentials.password, user.hashed_password)
        if not verified:
            return None
        # Committed before the login token is written, which is a unit of work of its own too.
        async with unit_of_work(self.services.sessionmaker) as session:
            await repository.clear_failed_logins(session, user.id, updated_hash)
        return user

    async def _may_email(self, user: User, kind: EmailKind) -> bool:
        # Its own unit of work, committed before the (slow) email goes out.
        async with unit_of_work(self.services.sessionmaker) as session:
            claimed = await repository.claim_account_email(
                session, user.id, kind, self.settings.account_email_cooldown_seconds
            )
        if not claimed:
            logger.info("%s email for user %s went out moments ago; none sent now", kind, user.id)
        return claimed

    async def forgot_password(self, user: User, request: Request | None = None) -> None:
        if not user.is_active:
            raise exceptions.UserInactive()
        # The answer does not wait: an address with an account answers as fast as one without.
        self.services.run_errand(self._send_reset_link(user), name="password reset email")

    async def _send_reset_link(self, user: User) -> None:
        if not await self._may_email(user, "reset"):
            return
        # The token carries a hash of the current password hash, so it stops working once the password changes.
        token = generate_jwt(
            {"sub": str(user.id), "password_fgpt": await self._hash(user.hashed_password),
             "aud": self.reset_password_token_audience},
            self.reset_password_token_secret,
            self.reset_password_token_lifetime_seconds,
        )
        await mail.send(
            self.settings, user.email, "Reset your AIVenger password",
            "Someone asked to reset the password of your AIVenger account.\n\n"
            f"To choose a new password, open this link within {self.reset_password_token_lifetime_seconds // 60} "
            f"minutes:\n\n{self._link('reset-password', token)}\n\n"
            "If it was not you, ignore this email: your password stays as it is.\n",
        )

    async def on_after_request_verify(self, user: User, token: str, request: Request | None = None) -> None:
        self.services.run_errand(self._send_verify_link(user, token), name="verification email")

    async def _send_verify_link(self, user: User, token: str) -> None:
        if not await self._may_email(user, "verify"):
            return
        await mail.send(
            self.settings, user.email, "Confirm your email for AIVenger",
            "To confirm that this address belongs to your AIVenger account, open this link:\n\n"
            f"{self._link('verify-email', token)}\n\nIf you have no AIVenger account, ignore this email.\n",
        )

    def _link(self, page: str, token: str) -> str:
        return f"{self.settings.spa_url}/{page}?token={token}"

    async def reset_password(self, token: str, password: str, request: Request | None = None) -> User:
        try:
            data = decode_jwt(token, self.reset_password_token_secret, [self.reset_password_token_audience])
            user = await self.get(self.parse_id(data["sub"]))
            fingerprint = data["password_fgpt"]
        except (jwt.PyJWTError, KeyError, exceptions.InvalidID, exceptions.UserNotExists):
            raise exceptions.InvalidResetPasswordToken() from None
        still_valid, _ = await self._verify(user.hashed_password, fingerprint)
        if not still_valid:
            raise exceptions.InvalidResetPasswordToken()
        if not user.is_active:
            raise exceptions.UserInactive()
        updated = await self._update(user, {"password": password})
        await self.on_after_reset_password(user, request)
        return updated

    async def update(self, user_update: Any, user: User, safe: bool = False, request: Request | None = None) -> User:
        changes = user_update.create_update_dict() if safe else user_update.create_update_dict_superuser()
        current_password = changes.pop("current_password", None)
        sensitive = changes.get("password") is not None or changes.get("email", user.email) != user.email
        if sensitive and not (current_password and (await self._verify(current_password, user.hashed_password))[0]):
            raise InvalidPasswordException(
                reason="To change your email or password, give your current password as current_password."
            )
        updated = await self._update(user, changes)
        await self.on_after_update(updated, changes, request)
        return updated

    async def _update(self, user: User, update_dict: dict[str, Any]) -> User:
        password = update_dict.pop("password", None)
        if password is not None:
            await self.validate_password(password, user)
            update_dict["hashed_password"] = await self._hash(password)
            # A new password (a reset, say) ends a lockout: the guesses were against the old one.
            update_dict |= {"failed_logins": 0, "last_failed_login_at": None}
            # And every login made with the old one, wherever it was made.
            await repository.end_every_login(self.user_db.session, user.id)  # type: ignore[attr-defined]
        return await super()._update(user, update_dict)
