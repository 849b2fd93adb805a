"""Account routes: fastapi-users' own, and deleting one's account."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi_users.authentication import AuthenticationBackend, CookieTransport

from app import limits
from app.config import Settings
from app.deps import ServicesDep, SessionDep
from app.errors import (
    UNAUTHORIZED_RESPONSE,
    EmailNotConfigured,
    ErrorBody,
    ValidationFailed,
    error_responses,
)
from app.models import User
from app.schemas import Deleted, json_answer, unstorable_text
from app.users import service
from app.users.auth import (
    AUTH_COOKIE_NAME,
    CallerRoute,
    CurrentUser,
    LoggedInUser,
    bearer_backend,
    cookie_backend,
    fastapi_users,
)
from app.users.schemas import UserCreate, UserRead, UserUpdate


async def require_email(request: Request) -> None:
    """Password resets and verification work by emailed links: without a mail server they cannot work at all."""
    if not request.app.state.settings.sends_email:
        raise EmailNotConfigured()


async def limit_signups(request: Request, services: ServicesDep) -> None:
    await limits.enforce(services.sessionmaker, request, "signup", services.settings.signup_limit_per_ip_per_hour,
                         timedelta(hours=1), "Too many sign-ups from your address. Try again in an hour.")


async def limit_logins(request: Request, services: ServicesDep) -> None:
    await limits.enforce(services.sessionmaker, request, "login", services.settings.login_limit_per_ip_per_hour,
                         timedelta(hours=1), "Too many login attempts from your address. Try again later.")


async def refuse_unstorable_text(request: Request) -> None:
    """The library's routes take text as it comes; a NUL character or an unpaired surrogate in it would fail in the
    database or the password hasher. Refused here like any invalid value, before the library looks it up or hashes it.

    Reads the form or JSON body FastAPI has already read (Starlette keeps both)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = [(name, value) for name, value in (await request.form()).multi_items() if isinstance(value, str)]
    else:
        try:
            body = await request.json()
        except ValueError:  # no JSON at all: FastAPI refuses it by itself
            return
        fields = [(str(name), value) for name, value in body.items()
                  if isinstance(value, str)] if isinstance(body, dict) else []
    # A name that is itself unstorable is left out of the answer, which could not be encoded with it.
    details = [{"loc": ["body", name] if unstorable_text(name) is None else ["body"], "msg": problem,
                "type": "text_unstorable"}
               for name, value in fields if (problem := unstorable_text(value)) is not None]
    if details:
        raise ValidationFailed(details)


def _document_as_answered(routes: list[Any], *, no_content: bool = False) -> None:
    """The library documents its 401s without their body, and a 200 for its routes that answer 204 with none."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        if 401 in route.responses:
            route.responses[401] = UNAUTHORIZED_RESPONSE[401]
        if no_content or route.path == "/logout":  # a logout answers 204 whichever the transport
            route.status_code = 204


_LOGIN_LIMITED: dict[int | str, dict[str, Any]] = {429: {
    "model": ErrorBody,
    "description": "RATE_LIMITED: too many wrong passwords for this account, or too many login attempts from this "
    "address (see Retry-After)",
}}
_SIGNUP_LIMITED: dict[int | str, dict[str, Any]] = {429: {
    "model": ErrorBody, "description": "RATE_LIMITED: too many sign-ups from this address (see Retry-After)",
}}


def _auth_router(backend: AuthenticationBackend[User, uuid.UUID]) -> APIRouter:
    """The library's /login and /logout; /login limited per client address, its 429s documented."""
    library = fastapi_users.get_auth_router(backend)
    _document_as_answered(library.routes, no_content=isinstance(backend.transport, CookieTransport))
    login = APIRouter(routes=[route for route in library.routes if getattr(route, "path", None) == "/login"])
    rest = APIRouter(routes=[route for route in library.routes if getattr(route, "path", None) != "/login"])
    auth = APIRouter()
    auth.include_router(login, dependencies=[Depends(limit_logins), Depends(refuse_unstorable_text)],
                        responses=_LOGIN_LIMITED)
    auth.include_router(rest)
    return auth


router = APIRouter()


async def me(user: CurrentUser) -> Response:
    """Your account, with your credits."""
    return json_answer(UserRead.model_validate(user, from_attributes=True))


def add_most_asked(app_router: APIRouter) -> None:
    """GET /users/me, on the app's own router (see app.main)."""
    app_router.add_api_route("/users/me", me, methods=["GET"], tags=["users"], responses=UNAUTHORIZED_RESPONSE,
                             response_model=UserRead, route_class_override=CallerRoute)


@router.delete("/users/me", tags=["users"], responses=UNAUTHORIZED_RESPONSE)
async def delete_me(
    user: LoggedInUser, services: ServicesDep, session: SessionDep, request: Request, response: Response
) -> Deleted:
    """Delete your account for good: every generation with its images, your credits and their history.

    Your login stops working at once; a cookie session is also cleared."""
    await service.delete_account(session, services.storage, user)
    settings: Settings = request.app.state.settings
    response.delete_cookie(AUTH_COOKIE_NAME, secure=settings.cookie_secure, httponly=True,
                           samesite=settings.cookie_samesite)
    return Deleted()


router.include_router(_auth_router(bearer_backend), prefix="/auth/jwt", tags=["auth"])
router.include_router(fastapi_users.get_register_router(UserRead, UserCreate), prefix="/auth", tags=["auth"],
                      dependencies=[Depends(limit_signups)], responses=_SIGNUP_LIMITED)
for _by_email in (fastapi_users.get_reset_password_router(), fastapi_users.get_verify_router(UserRead)):
    router.include_router(_by_email, prefix="/auth", tags=["auth"],
                          dependencies=[Depends(require_email), Depends(refuse_unstorable_text)],
                          responses=error_responses(EmailNotConfigured))
# Only the person's own account: administration is `python -m app.admin`, so the library's superuser routes by id
# are not served (to everyone else they would answer 403 for another user's id, where this API answers 404).
_users = fastapi_users.get_users_router(UserRead, UserUpdate)
_users.routes = [route for route in _users.routes
                 if isinstance(route, APIRoute) and route.path == "/me" and route.methods == {"PATCH"}]
_document_as_answered(_users.routes)
router.include_router(_users, prefix="/users", tags=["users"])


def cookie_auth_router(settings: Settings) -> APIRouter:
    """/auth/cookie/login and /logout, setting the cookie as this app's settings say."""
    return _auth_router(cookie_backend(settings))
