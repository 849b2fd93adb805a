"""Accounts with fastapi-users: JWT bearer for API clients, an HttpOnly cookie for the SPA."""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from fastapi_users import BaseUserManager, FastAPIUsers, InvalidPasswordException, UUIDIDMixin, exceptions
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, CookieTransport, JWTStrategy
from fastapi_users.jwt import decode_jwt, generate_jwt

from app import mail
from app.config import Settings
from app.errors import TooManyFailedLogins
from app.models import User, utcnow
from app.users.database import EmailKind, UserDatabase, get_user_db

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
AUTH_COOKIE_NAME = "aivenger_auth"


class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
    """Password hashing is deliberately slow; it runs in a thread so it never stalls the event loop.

    Every method of the library that hashes is overridden here for that reason, keeping the library's logic.
    """

    def __init__(self, user_db: UserDatabase, settings: Settings) -> None:
        super().__init__(user_db)
        self.accounts = user_db  # the library types user_db as its base class; this keeps our methods in view
        self.settings = settings
        self.reset_password_token_secret = settings.auth_secret.get_secret_value()
        self.verification_token_secret = settings.auth_secret.get_secret_value()
        self.reset_password_token_lifetime_seconds = settings.password_reset_token_lifetime_seconds

    async def validate_password(self, password: str, user: Any) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidPasswordException(reason=f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")
        if getattr(user, "email", None) and user.email.lower() in password.lower():
            raise InvalidPasswordException(reason="Password must not contain your email address.")

    async def create(self, user_create: Any, safe: bool = False, request: Request | None = None) -> User:
        await self.validate_password(user_create.password, user_create)
        existing_user = await self.user_db.get_by_email(user_create.email)
        if existing_user is not None:
            raise exceptions.UserAlreadyExists()
        user_dict = user_create.create_update_dict() if safe else user_create.create_update_dict_superuser()
        password = user_dict.pop("password")
        user_dict["hashed_password"] = await asyncio.to_thread(self.password_helper.hash, password)
        created_user = await self.user_db.create(user_dict)
        await self.on_after_register(created_user, request)
        return created_user

    async def authenticate(self, credentials: OAuth2PasswordRequestForm) -> User | None:
        try:
            user = await self.get_by_email(credentials.username)
        except exceptions.UserNotExists:
            # Hash anyway so an unknown email takes as long as a wrong password.
            await asyncio.to_thread(self.password_helper.hash, credentials.password)
            return None
        locked_for = self._lockout_left(user)
        if locked_for:  # not even checked: a guess made now could not be told apart from the right password
            minutes = math.ceil(locked_for / 60)
            raise TooManyFailedLogins(
                f"Too many wrong passwords for this account. Try again in {minutes} "
                f"minute{'s' if minutes != 1 else ''}, or reset your password.",
                headers={"Retry-After": str(locked_for)},
            )
        verified, updated_hash = await asyncio.to_thread(
            self.password_helper.verify_and_update, credentials.password, user.hashed_password
        )
        if not verified:
            await self.accounts.record_failed_login(user, self.settings.login_lockout_seconds)
            return None
        changes: dict[str, Any] = {"hashed_password": updated_hash} if updated_hash is not None else {}
        if user.failed_logins:
            changes |= {"failed_logins": 0, "last_failed_login_at": None}
        if changes:
            await self.user_db.update(user, changes)
        return user

    def _lockout_left(self, user: User) -> int:
        """Seconds until this account takes logins again after too many wrong passwords in a row; 0 when it does."""
        if user.failed_logins < self.settings.login_max_failures or user.last_failed_login_at is None:
            return 0
        ends = user.last_failed_login_at + timedelta(seconds=self.settings.login_lockout_seconds)
        return max(0, math.ceil((ends - utcnow()).total_seconds()))

    async def _may_email(self, user: User, kind: EmailKind) -> bool:
        if await self.accounts.claim_account_email(user, kind, self.settings.account_email_cooldown_seconds):
            return True
        logger.info("%s email for user %s went out moments ago; none sent now", kind, user.id)
        return False

    async def forgot_password(self, user: User, request: Request | None = None) -> None:
        if not user.is_active:
            raise exceptions.UserInactive()
        if not await self._may_email(user, "reset"):
            return
        # The token carries a hash of the current password hash, so it stops working once the password changes.
        fingerprint = await asyncio.to_thread(self.password_helper.hash, user.hashed_password)
        token = generate_jwt(
            {"sub": str(user.id), "password_fgpt": fingerprint, "aud": self.reset_password_token_audience},
            self.reset_password_token_secret,
            self.reset_password_token_lifetime_seconds,
        )
        await self.on_after_forgot_password(user, token, request)

    async def on_after_forgot_password(self, user: User, token: str, request: Request | None = None) -> None:
        await mail.send(
            self.settings, user.email, "Reset your AIVenger password",
            "Someone asked to reset the password of your AIVenger account.\n\n"
            f"To choose a new password, open this link within {self.reset_password_token_lifetime_seconds // 60} "
            f"minutes:\n\n{self._link('reset-password', token)}\n\n"
            "If it was not you, ignore this email: your password stays as it is.\n",
        )

    async def on_after_request_verify(self, user: User, token: str, request: Request | None = None) -> None:
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
        still_valid, _ = await asyncio.to_thread(
            self.password_helper.verify_and_update, user.hashed_password, fingerprint
        )
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
        if sensitive and not await self._is_current_password(user, current_password):
            raise InvalidPasswordException(
                reason="To change your email or password, give your current password as current_password."
            )
        updated = await self._update(user, changes)
        await self.on_after_update(updated, changes, request)
        return updated

    async def _is_current_password(self, user: User, password: str | None) -> bool:
        if not password:
            return False
        verified, _ = await asyncio.to_thread(self.password_helper.verify_and_update, password, user.hashed_password)
        return bool(verified)

    async def _update(self, user: User, update_dict: dict[str, Any]) -> User:
        password = update_dict.pop("password", None)
        if password is not None:
            await self.validate_password(password, user)
            update_dict["hashed_password"] = await asyncio.to_thread(self.password_helper.hash, password)
            # A new password (a reset, say) ends a lockout: the guesses were against the old one.
            update_dict |= {"failed_logins": 0, "last_failed_login_at": None}
        return await super()._update(user, update_dict)


async def get_user_manager(
    request: Request, user_db: Annotated[UserDatabase, Depends(get_user_db)]
) -> AsyncIterator[UserManager]:
    yield UserManager(user_db, request.app.state.settings)


def get_jwt_strategy(request: Request) -> JWTStrategy[User, uuid.UUID]:
    settings: Settings = request.app.state.settings
    return JWTStrategy(
        secret=settings.auth_secret.get_secret_value(), lifetime_seconds=settings.access_token_lifetime_seconds
    )


def cookie_backend(settings: Settings) -> AuthenticationBackend[User, uuid.UUID]:
    """The SPA's session cookie, with the app's own cookie settings (they only matter when it is set)."""
    transport = CookieTransport(
        cookie_name=AUTH_COOKIE_NAME,
        cookie_max_age=settings.access_token_lifetime_seconds,
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        cookie_samesite=settings.cookie_samesite,
    )
    return AuthenticationBackend(name="cookie", transport=transport, get_strategy=get_jwt_strategy)


bearer_backend = AuthenticationBackend(
    name="jwt", transport=BearerTransport(tokenUrl="auth/jwt/login"), get_strategy=get_jwt_strategy
)
# Reading credentials needs only the cookie's name; login and logout use the app's cookie_backend(settings).
_cookie_reader = AuthenticationBackend(
    name="cookie", transport=CookieTransport(cookie_name=AUTH_COOKIE_NAME), get_strategy=get_jwt_strategy
)

fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [bearer_backend, _cookie_reader])

current_active_user = fastapi_users.current_user(active=True)
CurrentUser = Annotated[User, Depends(current_active_user)]
