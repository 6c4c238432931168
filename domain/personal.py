"""Marks fields that hold a person's personal data (names, contact details, free text about them).

The marker lives in the domain so that outer layers (encryption at rest, ISA redaction) can find
personal fields from the event schemas alone, without a separate list that could drift.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel


class Personal:
    """Annotation marker: the field is personal data of the event's ``participant_id``."""

    def __repr__(self) -> str:
        return "Personal()"


PERSONAL = Personal()

PersonalText = Annotated[str, PERSONAL]


def _marks_personal(annotation: Any) -> bool:
    """True when the marker sits anywhere in the type (``PersonalText | None``, tuples of it)."""
    if get_origin(annotation) is Annotated and any(
        isinstance(m, Personal) for m in annotation.__metadata__
    ):
        return True
    return any(_marks_personal(arg) for arg in get_args(annotation))


def personal_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields of ``model`` marked as personal data."""
    return _personal_fields(model)


@functools.cache  # per class, computed once: the mapper asks for every event it seals
def _personal_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if any(isinstance(marker, Personal) for marker in field.metadata)
        or _marks_personal(field.annotation)
    )


def is_personal(model: type[BaseModel], name: str) -> bool:
    return name in personal_fields(model)
