"""Request dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import unit_of_work
from app.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the route returns, rolled back when it raises."""
    async with unit_of_work(services.sessionmaker) as session:
        yield session


# Function scope: the commit happens before the answer is sent, so a client never hears of a row that is not
# there yet, and a failed commit is answered as an error rather than after a success.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
