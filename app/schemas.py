"""Answer shapes shared by every domain, and the text type every free-form input goes through."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError
from starlette.responses import Response

# PostgreSQL cannot store a NUL character in text (it refuses the whole statement), and an unpaired surrogate (which
# a JSON `\ud800` escape gives) cannot be encoded at all, by the database driver or a password hasher. Such a value is
# refused where it enters, so that it is a 422 and never reaches either.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# What the schema publishes: the NUL rule (a JSON Schema pattern cannot name a surrogate, and no client sends one).
NO_NUL_PATTERN = r"^[^\u0000]*$"
# Marks a property that the published schema requires although the route declares it optional: the route refuses
# its absence itself, with an error of its own (FastAPI would answer 422 instead). app.main applies the mark.
DOCUMENTED_AS_REQUIRED = "x-documented-required"


def json_answer(answer: BaseModel) -> Response:
    """The JSON of an answer that its model built and checked already. Returned as is, FastAPI would validate it
    again against the route's response_model (which still documents it) before encoding it: on the hottest reads
    that second pass cost as much as the rest of the route."""
    return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


def unstorable_text(value: str) -> str | None:
    """What is wrong with `value` as text the service could store or hash, or None when nothing is."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Text must not contain the NUL character (U+0000)."
    return "Text must be valid Unicode: it contains an unpaired surrogate."


def _storable(value: str) -> str:
    if (problem := unstorable_text(value)) is not None:
        raise PydanticCustomError("text_unstorable", problem)
    return value


Text = Annotated[str, AfterValidator(_storable), Field(json_schema_extra={"pattern": NO_NUL_PATTERN})]
"""A string from a client: anything but a NUL character or an unpaired surrogate."""


class CamelModel(BaseModel):
    """The product's own objects speak camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Deleted(BaseModel):
    success: Literal[True] = True

