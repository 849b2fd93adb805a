"""The routes served by CallerRoute (GET /users/me, /user/stats) know their caller as the dependencies would, and a
route that needs more than its caller cannot be declared as one."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import APIRouter, Depends, FastAPI, Response

from app.deps import ReadsDep, ServicesDep
from app.users.auth import CallerRoute, CurrentUser, ReadingUser, check_caller_routes
from tests.support import PASSWORD, Api


async def test_every_credential_reaches_the_caller_routes_and_nothing_else_does(api: Api) -> None:
    bearer = await api.register("carol@example.com")
    me = (await api.client.get("/users/me", headers=bearer)).json()
    key = await api.client.post("/users/me/api-keys", headers=bearer, json={"name": "script"})
    assert key.status_code == 201, key.text
    with_key = {"Authorization": f"Bearer {key.json()['key']}"}

    for headers in (bearer, with_key):
        assert (await api.client.get("/users/me", headers=headers)).json() == me
        stats = await api.client.get("/user/stats", headers=headers)
        assert stats.json() == {"credits": me["credits"], "totalGenerations": 0, "lastGenerationDate": None}

    for refused in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        for path in ("/users/me", "/user/stats"):
            answer = await api.client.get(path, headers=refused)
            assert answer.status_code == 401
            assert answer.json()["code"] == "UNAUTHORIZED"

    login = await api.client.post("/auth/cookie/login", data={"username": "carol@example.com", "password": PASSWORD})
    assert login.status_code == 204
    assert (await api.client.get("/users/me")).json() == me
    assert (await api.client.get("/user/stats")).json()["credits"] == me["credits"]


async def test_stats_give_back_their_connection(api: Api) -> None:
    # Three times as many reads at once as the pool holds connections (5 + 10 overflow): a read that kept its
    # connection would leave the later ones waiting for the pool until they time out.
    bearer = await api.register()
    answers = await asyncio.wait_for(
        asyncio.gather(*(api.client.get("/user/stats", headers=bearer) for _ in range(45))), timeout=60)
    assert {answer.status_code for answer in answers} == {200}


def test_a_route_with_more_inputs_than_its_caller_is_refused_when_declared() -> None:
    router = APIRouter(route_class=CallerRoute)

    async def paged(user: CurrentUser, limit: int = 5) -> Response:
        return Response()

    async def with_services(user: CurrentUser, services: ServicesDep) -> Response:
        return Response()

    async def reads_without_reader(user: CurrentUser, reads: ReadsDep) -> Response:
        return Response()

    for endpoint in (paged, with_services, reads_without_reader):
        with pytest.raises(TypeError, match="CallerRoute"):
            router.add_api_route("/x", endpoint, methods=["GET"])

    async def me(user: CurrentUser) -> Response:
        return Response()

    async def stats(user: ReadingUser, reads: ReadsDep) -> Response:
        return Response()

    async def limit() -> None:
        return None

    with pytest.raises(TypeError, match="CallerRoute"):  # a dependency of its own, run for its effect
        router.add_api_route("/x", me, methods=["GET"], dependencies=[Depends(limit)])
    router.add_api_route("/me", me, methods=["GET"])
    router.add_api_route("/stats", stats, methods=["GET"])


def test_an_app_that_adds_dependencies_to_a_caller_route_is_refused() -> None:
    router = APIRouter(route_class=CallerRoute)

    async def me(user: CurrentUser) -> Response:
        return Response()

    router.add_api_route("/me", me, methods=["GET"])

    async def limit() -> None:
        return None

    plain = FastAPI()
    plain.include_router(router)
    check_caller_routes(plain.routes)

    limited = FastAPI()
    limited.include_router(router, dependencies=[Depends(limit)])
    with pytest.raises(TypeError, match="/me"):
        check_caller_routes(limited.routes)
