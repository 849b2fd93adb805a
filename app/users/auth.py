"""Who is calling: a login token as a bearer for API clients, or in an HttpOnly cookie for the SPA.

Login tokens are random strings; only their SHA-256 is stored (`access_tokens`), so a copy of the database holds
no usable token, and a logout or a new password ends a login at once, which signed tokens could not.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer
from fastapi_users import FastAPIUsers
from fastapi_users.authentication import AuthenticationBackend, BearerTransport, CookieTransport, Strategy
from starlette.routing import BaseRoute

from app.config import Settings
from app.db import unit_of_work
from app.deps import ReadsDep, ServicesDep, SessionDep, get_reads, services_of
from app.errors import Forbidden
from app.keys import repository as keys
from app.models import User, utcnow
from app.plain_reads import Reads
from app.services import Services
from app.users import repository
from app.users.manager import UserManager
from app.users.repository import Caller, UserDatabase

AUTH_COOKIE_NAME = "aivenger_auth"
# How precisely an API key's last use is kept.
KEY_USE_RESOLUTION = timedelta(minutes=1)


def token_hash(token: str) -> str:
    # A token carries 256 random bits: a plain digest cannot be reversed, and a slow hash would gain nothing.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# Plain functions, not generators: they depend on the request's unit of work, which ends before the answer is sent.
async def get_user_db(session: SessionDep) -> UserDatabase:
    return UserDatabase(session)


async def get_user_manager(
    services: ServicesDep, user_db: Annotated[UserDatabase, Depends(get_user_db)]
) -> UserManager:
    return UserManager(user_db, services)


class StoredTokens(Strategy[User, uuid.UUID]):
    """fastapi-users' token strategy over `access_tokens`; each step in a short unit of work of its own, so a
    request holds no database connection while it does slow work."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def read_token(self, token: str | None, user_manager: object = None) -> User | None:
        if not token:
            return None
        async with self._services.sessionmaker() as session:
            return await repository.user_by_token(session, token_hash(token))

    async def write_token(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        lifetime = timedelta(seconds=self._services.settings.access_token_lifetime_seconds)
        async with unit_of_work(self._services.sessionmaker) as session:
            await repository.start_login(session, user.id, token_hash(token), utcnow() + lifetime)
        return token

    async def destroy_token(self, token: str, user: User) -> None:
        async with unit_of_work(self._services.sessionmaker) as session:
            await repository.end_login(session, token_hash(token))


async def get_token_strategy(services: ServicesDep) -> StoredTokens:
    return StoredTokens(services)


def cookie_backend(settings: Settings) -> AuthenticationBackend[User, uuid.UUID]:
    """The SPA's session cookie, with the app's own cookie settings (they only matter when it is set)."""
    transport = CookieTransport(
        cookie_name=AUTH_COOKIE_NAME,
        cookie_max_age=settings.access_token_lifetime_seconds,
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        cookie_samesite=settings.cookie_samesite,
    )
    return AuthenticationBackend(name="cookie", transport=transport, get_strategy=get_token_strategy)


bearer_backend = AuthenticationBackend(
    name="jwt", transport=BearerTransport(tokenUrl="auth/jwt/login"), get_strategy=get_token_strategy
)
# Reading credentials needs only the cookie's name; login and logout use the app's cookie_backend(settings).
_cookie_reader = AuthenticationBackend(
    name="cookie", transport=CookieTransport(cookie_name=AUTH_COOKIE_NAME), get_strategy=get_token_strategy
)

fastapi_users = FastAPIUsers[User, uuid.UUID](get_user_manager, [bearer_backend, _cookie_reader])

# The caller of this API's own routes. The same tokens and cookie as fastapi-users' authenticator (its login routes
# issue them, its account routes read them), read without its per-request machinery: the account's user manager,
# database adapter and session are not needed to know who is calling, and building them cost more than the read.
_cookie = APIKeyCookie(name=AUTH_COOKIE_NAME, auto_error=False)


class _CallerScheme(OAuth2PasswordBearer):
    """Who is calling, as one dependency that is also the bearer scheme the API documents.

    FastAPI solves each dependency of a request on its own, whether its value is cached or not: a caller made of
    services, bearer and cookie dependencies cost an eighth more CPU per /users/me than this one. Being the bearer
    scheme itself, with the cookie scheme as its one sub-dependency, it is two to solve instead of four, and both
    schemes stay in the OpenAPI document, in the same order, on every route that needs a caller."""

    def __init__(self) -> None:
        super().__init__(tokenUrl="auth/jwt/login", auto_error=False, scheme_name="OAuth2PasswordBearer")

    async def _tokens(self, request: Request, cookie: str | None) -> tuple[str | None, str | None]:
        return await OAuth2PasswordBearer.__call__(self, request), cookie

    async def __call__(  # type: ignore[override]
        self, request: Request, cookie: Annotated[str | None, Depends(_cookie)]
    ) -> Caller:
        """The caller, read on a connection held only for that read (a write or a slow route follows)."""
        return await _find_caller(services_of(request), await self._tokens(request, cookie))

    async def of(self, request: Request, reads: Reads | None = None) -> Caller:
        """What this dependency resolves to, for a route that reads its caller itself (CallerRoute)."""
        tokens = await self._tokens(request, await _cookie(request))
        return await _find_caller(services_of(request), tokens, reads)


class _ReaderScheme(_CallerScheme):
    async def __call__(  # type: ignore[override]
        self, request: Request, cookie: Annotated[str | None, Depends(_cookie)], reads: ReadsDep
    ) -> Caller:
        """The caller of a route that only reads, read on the same connection as the route's own reads."""
        return await _find_caller(services_of(request), await self._tokens(request, cookie), reads)


async def _find_caller(
    services: Services, tokens: tuple[str | None, ...], connection: Reads | None = None
) -> Caller:
    for token in tokens:
        if not token:
            continue
        if connection is not None:
            found = await _read_caller(services, connection, token)
        else:
            async with services.reads.connect() as own:
                found = await _read_caller(services, own, token)
        if found is not None and found.is_active:
            return found
    raise HTTPException(status_code=401)


async def _read_caller(services: Services, connection: Reads, token: str) -> Caller | None:
    if not token.startswith(keys.KEY_PREFIX):
        return await repository.caller(connection, token_hash(token))
    found = await keys.account_of(connection, token)
    if found is None:
        return None
    columns, key_id, last_used = found
    now = utcnow()
    if last_used is None or now - last_used > KEY_USE_RESOLUTION:
        # Noted after the answer, at most once a minute per key: a read must not become a write.
        services.run_errand(_mark_used(services, key_id, now), name="api key use")
    return Caller(*columns, api_key_id=key_id)  # type: ignore[arg-type, misc]


async def _mark_used(services: Services, key_id: str, at: datetime) -> None:
    async with unit_of_work(services.sessionmaker) as session:
        await keys.mark_used(session, key_id, at)


current_user = _CallerScheme()
current_reader = _ReaderScheme()
CurrentUser = Annotated[Caller, Depends(current_user)]
ReadingUser = Annotated[Caller, Depends(current_reader)]


async def logged_in_user(user: CurrentUser) -> Caller:
    """The caller, by a login and not an API key: what only a person may do (manage keys, delete the account)."""
    if user.api_key_id is not None:
        raise Forbidden("An API key cannot do this: log in with your password.")
    return user


LoggedInUser = Annotated[Caller, Depends(logged_in_user)]


class CallerRoute(APIRoute):
    """A route whose only inputs are its caller: `CurrentUser`, or `ReadingUser` with the `ReadsDep` it was read on.

    Declared and documented as any route, but served without FastAPI's per-request dependency solving: the caller
    is read here directly, as those dependencies would read it. For the most asked reads (GET /users/me,
    /user/stats) the solving cost about a sixth of the route's CPU (bench/, figure 2).
    A route with any other input is refused when it is declared, and `app.main` checks that no router it is
    included in adds dependencies this handler would skip. (`app.dependency_overrides` do not reach it either.)
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        dependant = self.dependant
        # The name each dependency is passed to the route under (a dependency of the decorator has none).
        inputs = {dependency.call: dependency.name or "" for dependency in dependant.dependencies}
        has_parameters = "" in inputs.values() or any((
            dependant.path_params, dependant.query_params, dependant.header_params, dependant.cookie_params,
            dependant.body_params))
        endpoint: Callable[..., Awaitable[Response]] = self.endpoint
        if not has_parameters and inputs.keys() == {current_user}:
            user_name = inputs[current_user]

            async def handler(request: Request) -> Response:
                return await endpoint(**{user_name: await current_user.of(request)})

            return handler
        if not has_parameters and inputs.keys() == {current_reader, get_reads}:
            user_name, reads_name = inputs[current_reader], inputs[get_reads]

            async def reading_handler(request: Request) -> Response:
                # Held until the route returns, as ReadsDep's function scope does: released before the answer.
                async with services_of(request).reads.connect() as reads:
                    arguments: dict[str, Any] = {reads_name: reads, user_name: await current_reader.of(request, reads)}
                    return await endpoint(**arguments)

            return reading_handler
        raise TypeError(f"{self.path}: a CallerRoute takes its caller (and the reads it was read on), nothing else")


def check_caller_routes(routes: Sequence[BaseRoute]) -> None:
    """Refuse an app in which a router adds dependencies (a rate limit, say) to a CallerRoute: it would skip them."""
    for route in iter_route_contexts(routes):
        own = route.original_route
        if isinstance(own, CallerRoute) and _calls(route.dependant) != _calls(own.dependant):
            raise TypeError(f"{route.path}: a CallerRoute cannot be included with dependencies of its router")


def _calls(dependant: Dependant) -> list[Any]:
    return [dependency.call for dependency in dependant.dependencies]
