"""API keys: for scripts and tools, revocable, working wherever a login token works (but here, and for email,
password or deleting the account, where a person must log in)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import SessionDep
from app.errors import UNAUTHORIZED_RESPONSE, Forbidden, NotFound, ValidationFailed, error_responses
from app.keys import repository
from app.keys.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeysOut
from app.schemas import Text
from app.users.auth import LoggedInUser

# A person has no use for more; a stolen login must not mint keys without end.
MAX_KEYS_PER_ACCOUNT = 20

router = APIRouter(prefix="/users/me/api-keys", tags=["api-keys"],
                   responses={**UNAUTHORIZED_RESPONSE, **error_responses(Forbidden)})


@router.post("", status_code=201, responses=error_responses(ValidationFailed))
async def create_api_key(body: ApiKeyIn, user: LoggedInUser, session: SessionDep) -> ApiKeyCreated:
    """A new key. It is shown in this answer only; afterwards only its prefix is known."""
    if len(await repository.of_user(session, user.id)) >= MAX_KEYS_PER_ACCOUNT:
        raise ValidationFailed([{"loc": ["body"], "msg": f"At most {MAX_KEYS_PER_ACCOUNT} keys per account.",
                                 "type": "value_error"}], message="Revoke a key you no longer use first.")
    record, key = await repository.create(session, user.id, body.name.strip() or "API key")
    return ApiKeyCreated(id=record.id, name=record.name, key=key, prefix=record.prefix, created_at=record.created_at)


@router.get("")
async def list_api_keys(user: LoggedInUser, session: SessionDep) -> ApiKeysOut:
    """Your keys, newest first (never the keys themselves)."""
    return ApiKeysOut(api_keys=[ApiKeyOut.model_validate(k, from_attributes=True)
                                for k in await repository.of_user(session, user.id)])


@router.delete("/{key_id}", status_code=204, response_class=Response, responses=error_responses(NotFound))
async def revoke_api_key(key_id: Text, user: LoggedInUser, session: SessionDep) -> Response:
    """Revoke a key: it stops working at once. Another person's key answers 404, like a missing one."""
    if len(key_id) > 40 or not await repository.revoke(session, user.id, key_id):
        raise NotFound("API key not found.")
    return Response(status_code=204)
