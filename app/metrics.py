"""Prometheus metrics of this process, served at GET /metrics to a scraper that knows METRICS_TOKEN.

Counters and histograms live in one registry made at import, so that every app created in a process (tests make
many) records into the same metrics without registering them twice. What belongs to one app's services (the model
slots, the provider's breaker) is read when that app is scraped.

Each process counts only what it handled itself: with `serve --workers N`, or separate `taskiq worker` processes,
every process has its own numbers (and only API processes serve them).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import prometheus_client
from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import NotFound
from app.providers.breaker import BreakerState
from app.styles import STYLES

if TYPE_CHECKING:
    from app.services import Services

# Each counter would otherwise carry a second series with its creation time, which no dashboard here reads.
prometheus_client.disable_created_metrics()

REGISTRY = CollectorRegistry()
# What the default registry would have: memory, CPU and open files of the process, the interpreter, the GC.
prometheus_client.ProcessCollector(registry=REGISTRY)
prometheus_client.PlatformCollector(registry=REGISTRY)
prometheus_client.GCCollector(registry=REGISTRY)

# Labels never hold anything a request chose freely: a route is its template, a method one of these.
_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
UNMATCHED = "unmatched"
OTHER = "other"

HTTP_REQUESTS = Counter(
    "aivenger_http_requests", "Requests answered, by method, route template and status.",
    ["method", "route", "status"], registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "aivenger_http_request_duration_seconds", "Time from a request's arrival to the end of its answer.",
    ["method", "route"], registry=REGISTRY,
    # Uploads that wait for their result (Prefer: wait=N) take up to a minute.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
GENERATIONS = Counter(
    "aivenger_generations", "Generations this process finished, by outcome (completed, failed) and style.",
    ["outcome", "style"], registry=REGISTRY,
)
GENERATION_SECONDS = Histogram(
    "aivenger_generation_duration_seconds", "From a worker's claim of a generation to its completion or failure.",
    ["outcome"], registry=REGISTRY,
    buckets=(0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300),
)
CREDITS_SPENT = Counter("aivenger_credits_spent", "Credits charged for generations when they were submitted.",
                        registry=REGISTRY)
CREDITS_REFUNDED = Counter("aivenger_credits_refunded", "Credits of failed generations given back.",
                           registry=REGISTRY)
PROVIDER_COST = Counter("aivenger_provider_cost_usd", "What the model provider reported charging, in US dollars.",
                        ["provider"], registry=REGISTRY)
OUT_OF_CREDIT_FAILURES = Counter(
    "aivenger_provider_out_of_credit_failures",
    "Model calls refused because the provider account is out of credit (OpenRouter's HTTP 402).",
    ["provider"], registry=REGISTRY,
)
MODEL_CALLS = Gauge("aivenger_model_calls_in_progress", "Model calls under way in this process.", registry=REGISTRY)

FINISHED = ("completed", "failed")
# Known from the start, so that a rate over a quiet period is 0 rather than no data.
for _style in STYLES:
    for _outcome in FINISHED:
        GENERATIONS.labels(_outcome, _style)
for _outcome in FINISHED:
    GENERATION_SECONDS.labels(_outcome)

# The text format every Prometheus server reads (newer clients default to 1.0.0, which older servers do not know).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}


def generation_finished(outcome: str, style: str, *, claimed_at: float | None, provider: str,
                        cost_usd: Decimal | None) -> None:
    """A generation this process completed or failed; `claimed_at` is the time.monotonic() of its claim, when this
    process claimed it (recovery fails abandoned work it never ran)."""
    GENERATIONS.labels(outcome, style if style in STYLES else OTHER).inc()
    if claimed_at is not None:
        GENERATION_SECONDS.labels(outcome).observe(time.monotonic() - claimed_at)
    if cost_usd is not None and cost_usd > 0:
        PROVIDER_COST.labels(provider).inc(float(cost_usd))


def credits_spent(amount: int) -> None:
    CREDITS_SPENT.inc(amount)


def credits_refunded(amount: int) -> None:
    CREDITS_REFUNDED.inc(amount)


def provider_out_of_credit(provider: str) -> None:
    OUT_OF_CREDIT_FAILURES.labels(provider).inc()


class _AppState:
    """The gauges of one app's services, read at each scrape of that app."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterable[Metric]:
        provider = self._services.provider
        yield GaugeMetricFamily(
            "aivenger_generation_queue_waiting",
            "Generations in this process waiting for a free model slot (MODEL_CONCURRENCY).",
            value=self._services.model_slots.waiting,
        )
        # A provider without a breaker (the offline model) is always reachable: reported closed.
        state = getattr(provider, "breaker_state", BreakerState.CLOSED)
        breaker = GaugeMetricFamily(
            "aivenger_provider_breaker_state",
            "This process's circuit breaker for the model provider: 0 closed, 1 open, 2 half-open (one probe).",
            labels=["provider"],
        )
        breaker.add_metric([provider.name], BREAKER_VALUES.get(state, 0))
        yield breaker
        out_of_credit = GaugeMetricFamily(
            "aivenger_provider_out_of_credit",
            "1 from the provider's HTTP 402 (account out of credit) until a model call succeeds again, else 0.",
            labels=["provider"],
        )
        out_of_credit.add_metric([provider.name], 1 if getattr(provider, "out_of_credit", False) else 0)
        yield out_of_credit


def exposition(services: Services) -> bytes:
    return generate_latest(REGISTRY) + generate_latest(_AppState(services))


def _authorised(token: str | None, authorization: str | None) -> bool:
    if not token or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


router = APIRouter(include_in_schema=False)


# Every method, so that without the token the path answers exactly like one that does not exist (no 405 giving
# it away).
@router.api_route("/metrics", methods=sorted(_METHODS))
async def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    secret = token.get_secret_value() if token is not None else None
    if request.method != "GET" or not _authorised(secret, request.headers.get("authorization")):
        raise NotFound()
    return Response(exposition(request.app.state.services), media_type=CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})


class _Route(NamedTuple):
    route: Any  # what the router puts in the scope as "route" when it picks this one
    path_regex: Any
    template: str  # as served: with the prefixes its routers were included under
    methods: frozenset[str] | None  # None: any (a mounted app)


class _Templates:
    """The route templates of an app, to label a request by."""

    def __init__(self, app: Any) -> None:
        self.routes: list[_Route] = []
        for original, served in _routes(app):
            path_regex, template = getattr(served, "path_regex", None), getattr(served, "path_format", None)
            if path_regex is not None and isinstance(template, str):
                methods = getattr(served, "methods", None)
                self.routes.append(_Route(original, path_regex, template, frozenset(methods) if methods else None))
        # One route object may be served under several prefixes (a router included twice).
        self.by_route: dict[int, list[_Route]] = {}
        for route in self.routes:
            self.by_route.setdefault(id(route.route), []).append(route)

    @staticmethod
    def match(routes: Iterable[_Route], path: str, method: str) -> str | None:
        """The template the router would pick, as it picks: the first full match, else the first path match."""
        partial = None
        for route in routes:
            if route.path_regex.match(path):
                if route.methods is None or method in route.methods:
                    return route.template
                partial = partial or route.template  # answered 405 by that route
        return partial


def _routes(app: Any) -> Iterable[tuple[Any, Any]]:
    """(the route object the router puts in the scope, the route as served) for every route of the app."""
    routes = getattr(app, "routes", [])
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before routers were included lazily: the app's routes are the served ones
        return [(route, route) for route in routes]
    return [(context.original_route, context) for context in iter_route_contexts(routes)]


class RequestMetrics:
    """Counts every request by method, route template and status, and times it; outermost, so that answers made by
    the other middleware (413, 403, 500) count too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: _Templates | None = None
        # Routes in the scope that no table listed even when made afresh: not looked for again.
        self._unlisted: set[int] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Taken now: routing rewrites root_path for mounted apps.
        path = _route_path(scope)
        method = scope["method"] if scope["method"] in _METHODS else OTHER
        status: int | None = None

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, observing_send)
        except Exception:
            status = status or 500
            raise
        finally:
            route = self._template(scope, path, scope["method"])
            # No answer was started: the client went away first (nginx's 499).
            HTTP_REQUESTS.labels(method, route, str(status or 499)).inc()
            HTTP_SECONDS.labels(method, route).observe(time.perf_counter() - started)

    def _template(self, scope: Scope, path: str, method: str) -> str:
        if self._templates is None:
            self._templates = _Templates(scope.get("app"))
        matched = scope.get("route")
        if matched is not None:
            if id(matched) not in self._templates.by_route and id(matched) not in self._unlisted:
                self._templates = _Templates(scope.get("app"))  # a route added since the table was made
                if id(matched) not in self._templates.by_route:
                    self._unlisted.add(id(matched))
            candidates = self._templates.by_route.get(id(matched), [])
            if len(candidates) == 1:
                return candidates[0].template
            if candidates:
                return _Templates.match(candidates, path, method) or UNMATCHED
        # Not routed (yet): an unknown path, the SPA, or an answer a middleware gave before routing.
        return _Templates.match(self._templates.routes, path, method) or UNMATCHED


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path) and path[len(root_path):len(root_path) + 1] in ("/", ""):
        return path[len(root_path):]
    return path
