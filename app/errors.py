"""The API's one error shape: `{"success": false, "error": "...", "code": "..."}`.

Every error the API answers with goes through the handlers installed here, so a client (and the generated
TypeScript client) only ever has to understand one shape.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.db import unavailable_reason
from app.images import ImageRejected, UnsupportedFormat

logger = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    UPLOAD_FAILED = "UPLOAD_FAILED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    INSUFFICIENT_CREDITS = "INSUFFICIENT_CREDITS"
    NOT_FOUND = "NOT_FOUND"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    BAD_REQUEST = "BAD_REQUEST"
    RATE_LIMITED = "RATE_LIMITED"
    AI_GENERATION_FAILED = "AI_GENERATION_FAILED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    DATABASE_ERROR = "DATABASE_ERROR"
    ALREADY_SUBSCRIBED = "ALREADY_SUBSCRIBED"
    NO_PURCHASES = "NO_PURCHASES"
    PAYMENTS_UNAVAILABLE = "PAYMENTS_UNAVAILABLE"
    ALREADY_REFUNDED = "ALREADY_REFUNDED"
    NOT_COMPLETED = "NOT_COMPLETED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class ErrorBody(BaseModel):
    success: bool = False
    error: str
    code: ErrorCode
    details: list[dict[str, Any]] | None = None


class AppError(Exception):
    status_code = 500
    code = ErrorCode.INTERNAL_ERROR
    message = "An unexpected error occurred."

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.message
        self.headers = headers
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"success": False, "error": self.message, "code": self.code}


class UploadFailed(AppError):
    status_code = 400
    code = ErrorCode.UPLOAD_FAILED
    message = "The upload could not be read as an image."


class UnsupportedMediaType(UploadFailed):
    status_code = 415
    message = "Unsupported image format. Use JPEG, PNG, WebP or HEIC."


class FileTooLarge(AppError):
    status_code = 413
    code = ErrorCode.FILE_TOO_LARGE
    message = "The file is too large."


class InsufficientCredits(AppError):
    status_code = 402
    code = ErrorCode.INSUFFICIENT_CREDITS
    message = "Insufficient credits. Buy a credit pack or a plan to continue: see GET /billing/plans."


class NotFound(AppError):
    status_code = 404
    code = ErrorCode.NOT_FOUND
    message = "Not found."


class RateLimited(AppError):
    status_code = 429
    code = ErrorCode.RATE_LIMITED
    message = "Rate limit exceeded. Please wait before generating again."


class TooManyFailedLogins(AppError):
    status_code = 429
    code = ErrorCode.RATE_LIMITED
    message = "Too many wrong passwords for this account. Try again later, or reset your password."


class ServiceUnavailable(AppError):
    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE
    message = "The image model is temporarily unavailable. Nothing was charged; please try again shortly."


class DatabaseUnavailable(AppError):
    """The database did not answer in time, or refused: nothing the client did wrong, and worth a retry."""

    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE
    message = "The service is temporarily unavailable. Please try again in a few seconds."
    retry_after_seconds = 5

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(self.retry_after_seconds)})


class Forbidden(AppError):
    status_code = 403
    code = ErrorCode.FORBIDDEN
    message = "Not allowed."


class NotCompleted(AppError):
    status_code = 409
    code = ErrorCode.NOT_COMPLETED
    message = "This generation has no result yet (or failed)."


class AlreadyRefunded(AppError):
    status_code = 409
    code = ErrorCode.ALREADY_REFUNDED
    message = "This generation's credits were given back already."


class AlreadySubscribed(AppError):
    status_code = 409
    code = ErrorCode.ALREADY_SUBSCRIBED
    message = "You already have this plan. Manage it from your billing page."


class NoPurchases(AppError):
    status_code = 409
    code = ErrorCode.NO_PURCHASES
    message = "There is nothing to manage yet: this account has never bought anything."


class PaymentsUnavailable(AppError):
    status_code = 503
    code = ErrorCode.PAYMENTS_UNAVAILABLE
    message = "Payments are unavailable right now. Nothing was charged; please try again in a few minutes."


class EmailNotConfigured(AppError):
    status_code = 503
    code = ErrorCode.SERVICE_UNAVAILABLE
    message = ("This server does not send email, so password resets and email verification are not available "
               "here. Please contact its operator.")


class ValidationFailed(AppError):
    status_code = 422
    code = ErrorCode.VALIDATION_ERROR
    message = "Some values are not valid."

    def __init__(self, details: list[dict[str, Any]], message: str | None = None) -> None:
        super().__init__(message)
        self.details = details

    def body(self) -> dict[str, Any]:
        return {**super().body(), "details": self.details}


# Codes for errors that FastAPI and fastapi-users raise as plain HTTPExceptions.
_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    413: ErrorCode.FILE_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}

# fastapi-users answers with machine codes as `detail`; people get a sentence.
_FASTAPI_USERS_MESSAGES = {
    "REGISTER_USER_ALREADY_EXISTS": "An account with this email already exists.",
    "REGISTER_INVALID_PASSWORD": "The password is not valid.",
    "LOGIN_BAD_CREDENTIALS": "Wrong email or password.",
    "LOGIN_USER_NOT_VERIFIED": "Please verify your email address first.",
    "RESET_PASSWORD_BAD_TOKEN": "This password reset link is invalid or has expired.",
    "RESET_PASSWORD_INVALID_PASSWORD": "The password is not valid.",
    "VERIFY_USER_BAD_TOKEN": "This verification link is invalid or has expired.",
    "VERIFY_USER_ALREADY_VERIFIED": "This account is already verified.",
    "UPDATE_USER_EMAIL_ALREADY_EXISTS": "An account with this email already exists.",
    "UPDATE_USER_INVALID_PASSWORD": "The password is not valid.",
}


def _message_for(status_code: int, detail: Any) -> str:
    if isinstance(detail, str):
        return _FASTAPI_USERS_MESSAGES.get(detail, detail)
    if isinstance(detail, dict):  # fastapi-users: {"code": ..., "reason": ...}
        reason = detail.get("reason")
        code = detail.get("code")
        return str(reason or _FASTAPI_USERS_MESSAGES.get(str(code), code) or "Request failed.")
    if status_code == 401:
        return "Unauthorized"
    return "Request failed."


def describe_exception(exc: BaseException) -> str:
    """Where an error was raised, without its message or stack: messages of outside errors may carry
    secrets (a database URL, a request body), and logs must never."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else ""
    return f"{type(exc).__name__}{where}"


def error_response(
    status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(status_code=status_code, content=body, headers=headers)


def _validation_details(errors: Any) -> list[dict[str, Any]]:
    # Only what helps a client fix its request: where, and what is wrong. Never the raw input (may be a file).
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in errors
    ]


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    """Every method the path is served with. Starlette's 405 names only those of the first route it found, and a path
    can have several (`/users/me`: GET and DELETE here, PATCH from fastapi-users)."""
    asked = {"type": "http", "path": request.scope["path"], "root_path": request.scope.get("root_path", ""),
             "headers": [], "app": request.app}
    return ", ".join(method for method in _METHODS if any(
        route.matches({**asked, "method": method})[0] == Match.FULL for route in request.app.router.routes))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status_code, exc.body(), exc.headers)

    @app.exception_handler(ImageRejected)
    async def _image_rejected(_: Request, exc: ImageRejected) -> JSONResponse:
        error = UnsupportedMediaType(str(exc)) if isinstance(exc, UnsupportedFormat) else UploadFailed(str(exc))
        return error_response(error.status_code, error.body())

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INTERNAL_ERROR if exc.status_code >= 500 else
                                 ErrorCode.BAD_REQUEST)
        message = "Not found." if exc.status_code == 404 else _message_for(exc.status_code, exc.detail)
        body = {"success": False, "error": message, "code": code}
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return error_response(exc.status_code, body, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, ValidationFailed(_validation_details(exc.errors())).body())

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if (reason := unavailable_reason(exc)) is not None:
            logger.warning("database unavailable on %s %s: %s (%s)", request.method, request.url.path,
                           describe_exception(exc), reason)
            unavailable = DatabaseUnavailable()
            return error_response(unavailable.status_code, unavailable.body(), unavailable.headers)
        logger.error("database error on %s %s: %s", request.method, request.url.path, describe_exception(exc))
        body = {"success": False, "error": "A database error occurred. Please try again.",
                "code": ErrorCode.DATABASE_ERROR}
        return error_response(500, body)

    # Unexpected errors are answered by app.middleware.CatchUnexpected: an `Exception` handler here would run in
    # Starlette's outermost middleware, which re-raises after answering, and the server would log the traceback.


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries so the schema (and the generated client) knows each error."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        entry = out.setdefault(err.status_code, {"model": ErrorBody, "description": ""})
        entry["description"] = " / ".join(filter(None, [entry["description"], f"{err.code}: {err.message}"]))
    return out


UNAUTHORIZED_RESPONSE: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "UNAUTHORIZED: missing or invalid credentials"}
}
