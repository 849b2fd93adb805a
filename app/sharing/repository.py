"""Every query of shares. Nothing here commits."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Generation, GenerationStatus, Share, utcnow


def new_slug() -> str:
    # 96 random bits: a link nobody can guess or enumerate.
    return secrets.token_urlsafe(12)


async def of_generation(session: AsyncSession, generation_id: str) -> Share | None:
    return await session.scalar(select(Share).where(Share.generation_id == generation_id))


async def create(session: AsyncSession, generation_id: str, gallery: bool) -> Share:
    share = Share(slug=new_slug(), generation_id=generation_id, gallery=gallery, taken_down=False,
                  created_at=utcnow())
    session.add(share)
    await session.flush()
    return share


async def set_gallery(session: AsyncSession, share: Share, gallery: bool) -> None:
    share.gallery = gallery
    await session.flush()


async def remove(session: AsyncSession, generation_id: str) -> bool:
    gone = await session.execute(delete(Share).where(Share.generation_id == generation_id))
    return bool(gone.rowcount == 1)  # type: ignore[attr-defined]


async def take_down(session: AsyncSession, slug: str) -> bool:
    changed = await session.execute(update(Share).where(Share.slug == slug).values(taken_down=True)
                                    .execution_options(synchronize_session=False))
    return bool(changed.rowcount == 1)  # type: ignore[attr-defined]


async def public(session: AsyncSession, slug: str) -> tuple[Share, Generation] | None:
    """A live share and its completed generation."""
    row = (await session.execute(
        select(Share, Generation).join(Generation, Generation.id == Share.generation_id)
        .where(Share.slug == slug, Generation.status == GenerationStatus.COMPLETED,
               Generation.generated_image_key.is_not(None))
    )).first()
    return (row[0], row[1]) if row is not None else None


async def gallery_page(session: AsyncSession, limit: int, after: tuple[datetime, str] | None) -> list[Any]:
    query = (select(Share, Generation).join(Generation, Generation.id == Share.generation_id)
             .where(Share.gallery.is_(True), Share.taken_down.is_(False),
                    Generation.status == GenerationStatus.COMPLETED))
    if after is not None:
        at, slug = after
        query = query.where(or_(Share.created_at < at, and_(Share.created_at == at, Share.slug < slug)))
    return list((await session.execute(query.order_by(Share.created_at.desc(), Share.slug.desc()).limit(limit)))
                .all())


async def slugs_of(session: AsyncSession, generation_ids: list[str]) -> dict[str, str]:
    if not generation_ids:
        return {}
    rows = await session.execute(select(Share.generation_id, Share.slug).where(Share.generation_id.in_(generation_ids)))
    return {generation_id: slug for generation_id, slug in rows.all()}
