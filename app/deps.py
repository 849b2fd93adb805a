"""Request dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_session(services: Annotated[Services, Depends(get_services)]) -> AsyncIterator[AsyncSession]:
    # Writes commit where the work is done (a generation must be committed before its work is queued);
    # whatever is left uncommitted when the request ends is rolled back on close.
    async with services.sessionmaker() as session:
        yield session


ServicesDep = Annotated[Services, Depends(get_services)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
