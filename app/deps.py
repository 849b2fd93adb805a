"""Request dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import unit_of_work
from app.plain_reads import Reads
from app.services import Services


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# Dependencies are coroutines, even where nothing is awaited: FastAPI runs plain functions in a thread pool,
# a hop that costs more than the function.
async def get_services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the route returns, rolled back when it raises. (Routes that
    only read take `ReadsDep` instead.)"""
    async with unit_of_work(services.sessionmaker) as session:
        yield session


async def get_reads(request: Request) -> AsyncIterator[Reads]:
    """A connection for routes that only read plain rows: no session, no transaction, the cheapest read there is.
    (Services from the request itself: one dependency fewer to solve on the most asked routes.)"""
    async with services_of(request).reads.connect() as connection:
        yield connection


# Function scope: the commit happens before the answer is sent, so a client never hears of a row that is not
# there yet, and a failed commit is answered as an error rather than after a success.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadsDep = Annotated[Reads, Depends(get_reads, scope="function")]
