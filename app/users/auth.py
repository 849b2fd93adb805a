"""Who is calling: fastapi-users' JWT bearer for API clients, an HttpOnly cookie for the SPA."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

import jwt
from cachetools import LRUCache
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer
from fastapi_users import FastAPIUsers
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, CookieTransport, JWTStrategy
from fastapi_users.jwt import decode_jwt
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.config import Settings
from app.deps import ReadsDep, ServicesDep, SessionDep
from app.models import User
from app.services import Services
from app.users import repository
from app.users.manager import UserManager
from app.users.repository import Caller, UserDatabase

AUTH_COOKIE_NAME = "aivenger_auth"
# Tokens whose signature was checked, with whom they name and when they expire (about 300 bytes each).
_VERIFIED: LRUCache[tuple[Any, str], tuple[uuid.UUID, float]] = LRUCache(maxsize=10_000)


# Plain functions, not generators: they depend on the request's unit of work, which ends before the answer is sent.
async def get_user_db(request: Request, session: SessionDep) -> UserDatabase:
    return UserDatabase(session, request.app.state.settings.signup_credits)


async def get_user_manager(
    services: ServicesDep, user_db: Annotated[UserDatabase, Depends(get_user_db)]
) -> UserManager:
    return UserManager(user_db, services)


class TokenStrategy(JWTStrategy[User, uuid.UUID]):
    """fastapi-users' JWT, whose user is read in a short session of its own.

    A request then holds no database connection while it does slow work (cleaning an upload, waiting for its
    generation), and the route's unit of work holds only what the route itself reads and writes.
    """

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(secret=settings.auth_secret.get_secret_value(),
                         lifetime_seconds=settings.access_token_lifetime_seconds)
        self._sessionmaker = sessionmaker

    def user_id(self, token: str | None) -> uuid.UUID | None:
        """Whose token this is, if it is a valid one.

        A token checked once is remembered until it expires: the same bytes under the same key verify the same
        way, and checking a signature costs more than the rest of reading who calls."""
        if not token:
            return None
        remembered = _VERIFIED.get((self.decode_key, token))
        if remembered is not None and remembered[1] > time.time():
            return remembered[0]
        try:
            claims = decode_jwt(token, self.decode_key, self.token_audience, algorithms=[self.algorithm])
            user_id = uuid.UUID(claims["sub"])
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            return None
        if isinstance(claims.get("exp"), int | float):
            _VERIFIED[(self.decode_key, token)] = (user_id, float(claims["exp"]))
        return user_id

    async def read_token(self, token: str | None, user_manager: object = None) -> User | None:
        if (user_id := self.user_id(token)) is None:
            return None
        async with self._sessionmaker() as session:
            return await session.get(User, user_id)


async def get_jwt_strategy(services: ServicesDep) -> TokenStrategy:
    return TokenStrategy(services.settings, services.reader)


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

# The caller of this API's own routes. The same tokens and cookie as fastapi-users' authenticator (its login routes
# issue them, its account routes read them), read without its per-request machinery: the account's user manager,
# database adapter and session are not needed to know who is calling, and building them cost more than the read.
_bearer = OAuth2PasswordBearer(tokenUrl="auth/jwt/login", auto_error=False)
_cookie = APIKeyCookie(name=AUTH_COOKIE_NAME, auto_error=False)


async def _find_caller(
    services: Services, tokens: tuple[str | None, ...], connection: AsyncConnection | None = None
) -> Caller:
    strategy = TokenStrategy(services.settings, services.reader)
    for token in tokens:
        if (user_id := strategy.user_id(token)) is None:
            continue
        if connection is not None:
            found = await repository.caller(connection, user_id)
        else:
            async with services.reading.connect() as own:
                found = await repository.caller(own, user_id)
        if found is not None and found.is_active:
            return found
    raise HTTPException(status_code=401)


async def current_user(
    services: ServicesDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    """The caller, read on a connection held only for that read (a write or a slow route follows)."""
    return await _find_caller(services, (bearer, cookie))


async def current_reader(
    services: ServicesDep,
    reads: ReadsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    """The caller of a route that only reads, read on the same connection as the route's own reads."""
    return await _find_caller(services, (bearer, cookie), reads)


CurrentUser = Annotated[Caller, Depends(current_user)]
ReadingUser = Annotated[Caller, Depends(current_reader)]
