"""Who pays when a generation fails: the one place the refund decision is made."""

from __future__ import annotations

from enum import StrEnum

from app.config import Settings
from app.providers.base import FailureKind

MSG_INTERNAL = "Something went wrong on our side while creating your avatar."
MSG_BAD_RESULT = "The image model returned an image we could not use. Please try again."
MSG_ABANDONED = "We could not finish this generation after several attempts."


class Fault(StrEnum):
    OURS = "ours"  # storage, a crash, work abandoned after its attempts: never the person's loss
    BEFORE_MODEL = "before_model"  # the model was never reached
    MODEL = "model"  # the model was called and failed, or answered with nothing usable


def provider_fault(kind: FailureKind, model_called: bool) -> Fault:
    """Whose loss a failed model call is. A misconfigured provider (our key refused, our account out of credit)
    produced nothing and is our own doing: refunded like any failure of ours."""
    if kind is FailureKind.MISCONFIGURED:
        return Fault.OURS
    return Fault.MODEL if model_called else Fault.BEFORE_MODEL


def refund_due(fault: Fault, settings: Settings) -> bool:
    """The seed's policy: failures before the model is called are refunded; model failures only when configured."""
    return fault is not Fault.MODEL or settings.refund_model_failures
