"""A stand-in for Polar's API on a real loopback socket, speaking the wire format of docs/polar.md.

It serves `POST /v1/checkouts/`, `POST /v1/customer-sessions/` and `GET /v1/orders/` with complete objects that
the official SDK loads (built from the SDK's own output models, so a field the SDK requires is never missing),
records every request as it arrived, and can be told to fail the way Polar does: 401 invalid_token, 422 with
the validation body, 429 with Retry-After, 500, a connection closed without an answer, or no answer at all.

It runs on the standard library's threaded HTTP server: it needs no event loop (the API under test keeps the
test's), and a handler controls its socket, so "close without answering" is a real closed connection.
"""

from __future__ import annotations

import base64
import collections.abc
import dataclasses
import hashlib
import hmac
import json
import math
import threading
import time
import types
import typing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import typing_extensions
from polar.base import PolarDeserializationError, deserialize
from polar.v2026_10 import outputs

Failure = Literal["invalid_token", "no_customer", "unprocessable", "rate_limited", "rate_limited_until",
                  "server_error", "close", "hang"]

CHECKOUTS = "POST /v1/checkouts/"
CUSTOMER_SESSIONS = "POST /v1/customer-sessions/"
ORDERS = "GET /v1/orders/"

# How long a hanging answer waits before giving up on its own (stop() releases it at once).
HANG_SECONDS = 30.0


def iso(moment: datetime) -> str:
    """A timestamp as Polar writes it: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- complete objects from the SDK's models -------------------------------------------------------------------

def _loads_as(data: Any, tp: Any) -> bool:
    try:
        deserialize(data, tp)
    except PolarDeserializationError:
        return False
    return True


def _string_for(name: str) -> str:
    # The models type timestamps and ids as plain str (the SDK does not parse them); plausible values keep any
    # reader that does parse them (this service's facts read `created_at` as a datetime) honest.
    if name.endswith("_at"):
        return iso(datetime(2026, 1, 1, tzinfo=UTC))
    if name == "id" or name.endswith("_id"):
        return str(uuid.uuid4())
    return ""


def minimal(tp: Any, name: str = "") -> Any:
    """The smallest JSON value that the SDK loads as `tp`: every field of a model present, optional ones null,
    collections empty, a literal its first value, a union its first member that loads."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any or tp is object or tp is type(None) or tp is None:
        return None
    if origin is typing.Annotated:
        return minimal(args[0], name)
    if origin in (typing.Required, typing.NotRequired, typing_extensions.Required, typing_extensions.NotRequired):
        return minimal(args[0], name)
    if origin is Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        if type(None) in args:
            return None
        for member in args:
            candidate = minimal(member, name)
            if _loads_as(candidate, member):
                return candidate
        raise TypeError(f"no member of {tp} can be built")
    if origin in (list, set, frozenset, tuple, collections.abc.Sequence, collections.abc.Set):
        return []
    if origin in (dict, collections.abc.Mapping):
        return {}
    if tp is bool:
        return False
    if tp is int:
        return 0
    if tp is float:
        return 0.0
    if tp is str:
        return _string_for(name)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return {field.name: minimal(hints[field.name], field.name) for field in dataclasses.fields(tp)}
    if typing_extensions.is_typeddict(tp):
        hints = typing.get_type_hints(tp)
        return {key: minimal(hints[key], key) for key in tp.__required_keys__}
    raise TypeError(f"cannot build a {tp!r}")


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` laid over it, nested objects merged key by key."""
    result = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict) and value:
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def build(model: type[Any], **changes: Any) -> dict[str, Any]:
    """A complete JSON object of `model` with `changes` laid over it, checked by loading it with the SDK."""
    data = merged(minimal(model), changes)
    deserialize(data, model)  # raises if the object is not one the SDK accepts
    return data


def order(*, product_id: str, external_id: str | None, net_amount: int, created_at: datetime,
          billing_reason: str = "purchase", status: str = "paid", refunded_amount: int = 0,
          metadata: dict[str, Any] | None = None, order_id: str | None = None) -> dict[str, Any]:
    """An Order as `GET /v1/orders/` and the `order.*` webhooks carry it."""
    customer_id = str(uuid.uuid4())
    return build(
        outputs.Order, id=order_id or str(uuid.uuid4()), status=status,
        paid=status in ("paid", "refunded", "partially_refunded"), billing_reason=billing_reason,
        subtotal_amount=net_amount, net_amount=net_amount, total_amount=net_amount, currency="usd",
        refunded_amount=refunded_amount, refundable_amount=net_amount - refunded_amount,
        product_id=product_id, customer_id=customer_id, metadata=metadata or {},
        customer={"id": customer_id, "external_id": external_id, "email": "buyer@example.com",
                  "type": "individual"},
        product=merged(minimal(outputs.OrderProduct), {"id": product_id, "name": "AIVenger",
                                                        "is_recurring": billing_reason != "purchase"}),
        created_at=iso(created_at), modified_at=None, description="AIVenger",
    )


# --- webhooks, signed as Polar signs them ---------------------------------------------------------------------

def signed_webhook(secret: str, event_type: str, data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A delivery's raw body and headers (Standard Webhooks; the key of endpoints created since 2026-09-08)."""
    body = json.dumps({"type": event_type, "timestamp": iso(datetime.now(UTC)), "api_version": "2026-10",
                       "data": data}).encode()
    webhook_id, timestamp = str(uuid.uuid4()), str(math.floor(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return body, {"webhook-id": webhook_id, "webhook-timestamp": timestamp,
                  "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
                  "webhook-api-version": "2026-10", "content-type": "application/json",
                  "user-agent": "polar.sh webhooks"}


# --- the server ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON, None without one

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"


def _validation_error(loc: list[str | int], msg: str, input_: Any) -> tuple[int, dict[str, Any]]:
    return 422, {"error": "PolarRequestValidationError",
                 "detail": [{"loc": loc, "msg": msg, "type": "value_error", "input": input_}]}


def _metadata_problem(metadata: Any) -> str | None:
    """Polar's limits on metadata: at most 50 pairs, keys of 1-40 characters, values short strings or scalars."""
    if not isinstance(metadata, dict) or len(metadata) > 50:
        return "Metadata must be an object of at most 50 pairs."
    for key, value in metadata.items():
        if not 1 <= len(key) <= 40:
            return "Metadata keys must have 1 to 40 characters."
        if isinstance(value, str) and len(value) > 500 or not isinstance(value, str | int | float | bool):
            return "Metadata values must be strings of at most 500 characters, numbers or booleans."
    return None


class FakePolar:
    """Polar's API for one organisation: its products, its customers (by external id) and its orders."""

    def __init__(self, token: str, products: collections.abc.Iterable[str]) -> None:
        self.token = token
        self.products = set(products)
        self.customers: set[str] = set()
        self.orders: list[dict[str, Any]] = []
        # What was handed out, as answered.
        self.checkouts: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        # The largest page served, whatever `limit` asks (Polar caps it at 100; smaller here to make pages).
        self.max_limit = 100
        self.received: list[Received] = []
        self._failures: dict[str, list[Failure]] = {}
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-polar", daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakePolar:
        # The SDK's models are built on first use (half a second for a checkout): built before serving, so that no
        # first answer is slow enough to pass for a hanging Polar.
        for model in (outputs.Checkout, outputs.CustomerSession, outputs.Order):
            build(model)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def fail(self, route: str, failure: Failure, times: int = 1) -> None:
        """Answer the next `times` requests to `route` (e.g. CHECKOUTS) with `failure`."""
        with self._lock:
            self._failures.setdefault(route, []).extend([failure] * times)

    def requests_to(self, route: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.route == route]

    # The answers -------------------------------------------------------------------------------------------

    def _answer(self, request: Received) -> tuple[int, Any, dict[str, str]] | Failure:
        with self._lock:
            self.received.append(request)
            pending = self._failures.get(request.route)
            failure = pending.pop(0) if pending else None
        if failure in ("close", "hang"):
            return failure
        if failure == "invalid_token" or request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "invalid_token", "error_description": "The access token is invalid."}, \
                {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if failure in ("rate_limited", "rate_limited_until"):
            # Retry-After in seconds, or as the HTTP date it may also be (RFC 9110 10.2.3).
            until = "3" if failure == "rate_limited" else formatdate(time.time() + 3, usegmt=True)
            return 429, {"error": "TooManyRequests", "detail": "Too many requests."}, {"Retry-After": until}
        if failure == "server_error":
            return 500, {"error": "InternalServerError", "detail": "Internal Server Error"}, {}
        if failure == "no_customer":
            return (*_validation_error(["body", "external_customer_id"], "Customer does not exist.",
                                       (request.body or {}).get("external_customer_id")), {})
        if failure == "unprocessable":
            return (*_validation_error(["body"], "Invalid request.", None), {})
        routes = {CHECKOUTS: self._checkout, CUSTOMER_SESSIONS: self._customer_session, ORDERS: self._orders}
        if request.route not in routes:
            return 404, {"error": "ResourceNotFound", "detail": "Not found"}, {}
        status, body = routes[request.route](request)
        return status, body, {}

    def _checkout(self, request: Received) -> tuple[int, dict[str, Any]]:
        body = request.body if isinstance(request.body, dict) else {}
        products = body.get("products")
        if not isinstance(products, list) or not products:
            return _validation_error(["body", "products"], "Field required.", products)
        unknown = [p for p in products if p not in self.products]
        if unknown:
            return _validation_error(["body", "products", products.index(unknown[0])],
                                     "Product does not exist.", unknown[0])
        problem = _metadata_problem(body.get("metadata", {}))
        if problem:
            return _validation_error(["body", "metadata"], problem, body.get("metadata"))
        checkout_id = f"polar_c_{uuid.uuid4().hex}"
        success_url = str(body.get("success_url") or "https://polar.sh/checkout/confirmation")
        product = {"id": products[0], "name": "AIVenger", "is_recurring": False}
        checkout = build(
            outputs.Checkout, id=checkout_id, status="open", url=f"https://sandbox.polar.sh/checkout/{checkout_id}",
            client_secret=f"polar_c_secret_{uuid.uuid4().hex}", payment_processor="stripe",
            expires_at=iso(datetime.fromtimestamp(time.time() + 24 * 3600, UTC)),
            success_url=success_url.replace("{CHECKOUT_ID}", checkout_id), return_url=body.get("return_url"),
            product_id=products[0], products=[merged(minimal(outputs.CheckoutProduct), product)],
            currency="usd", customer_email=body.get("customer_email"),
            external_customer_id=body.get("external_customer_id"), metadata=body.get("metadata", {}),
        )
        with self._lock:
            self.checkouts.append(checkout)
        return 201, checkout

    def _customer_session(self, request: Received) -> tuple[int, dict[str, Any]]:
        body = request.body if isinstance(request.body, dict) else {}
        external_id = body.get("external_customer_id")
        if external_id not in self.customers:
            return _validation_error(["body", "external_customer_id"], "Customer does not exist.", external_id)
        token = f"polar_cst_{uuid.uuid4().hex}"
        customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, str(external_id)))
        session = build(
            outputs.CustomerSession, token=token, customer_id=customer_id,
            customer_portal_url=f"https://sandbox.polar.sh/aivenger/portal?customer_session_token={token}",
            expires_at=iso(datetime.fromtimestamp(time.time() + 3600, UTC)), return_url=body.get("return_url"),
            customer={"id": customer_id, "external_id": external_id, "email": "buyer@example.com"},
        )
        with self._lock:
            self.sessions.append(session)
        return 201, session

    def _orders(self, request: Received) -> tuple[int, dict[str, Any]]:
        query = request.query
        try:
            page = int(query.get("page", ["1"])[0])
            limit = int(query.get("limit", ["10"])[0])
            after = datetime.fromisoformat(query["created_after"][0]) if "created_after" in query else None
        except ValueError as exc:
            return _validation_error(["query"], str(exc), None)
        if page < 1 or not 1 <= limit <= 100 or (after is not None and after.tzinfo is None):
            return _validation_error(["query"], "Invalid page, limit or created_after.", None)
        statuses = set(query.get("status", []))
        found = [o for o in self.orders
                 if (not statuses or o["status"] in statuses)
                 and (after is None or datetime.fromisoformat(o["created_at"]) > after)]
        found.sort(key=lambda o: o["created_at"], reverse=query.get("sorting", ["-created_at"])[0].startswith("-"))
        size = min(limit, self.max_limit)
        items = found[(page - 1) * size:page * size]
        return 200, {"items": items,
                     "pagination": {"total_count": len(found), "max_page": math.ceil(len(found) / size)}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                request = Received(self.command, parts.path, parse_qs(parts.query),
                                   {k.lower(): v for k, v in self.headers.items()}, body)
                answer = fake._answer(request)
                if answer == "hang":
                    fake._release.wait(HANG_SECONDS)
                if answer in ("close", "hang"):
                    self.close_connection = True  # the socket closes without a byte of an answer
                    return
                status, payload, headers = typing.cast(tuple[int, Any, dict[str, str]], answer)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # the requests are recorded in `received`; nothing on stderr

        return Handler


def serve(token: str, products: collections.abc.Iterable[str]) -> Iterator[FakePolar]:
    """For a fixture: a started fake, stopped afterwards."""
    with FakePolar(token, products) as fake:
        yield fake
