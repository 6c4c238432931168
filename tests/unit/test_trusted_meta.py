"""``EventMeta.trusted`` makes exactly what pydantic's ``model_construct`` makes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.agency_roles import AgencyRole, role_of
from domain.base import EventMeta


@pytest.mark.parametrize("causation", [None, "c-0"])
def test_trusted_meta_is_model_construct(causation: str | None) -> None:
    fields = {
        "agency": "pcc:kent",
        "user": "u1",
        "occurred_at": datetime(2025, 2, 1, 10, tzinfo=UTC),
        "command_id": "c-1",
        "correlation_id": "c-1",
        "causation_id": causation,
    }
    fast, reference = EventMeta.trusted(**fields), EventMeta.model_construct(**fields)
    assert fast == reference and hash(fast) == hash(reference)
    assert fast.model_fields_set == reference.model_fields_set
    assert fast.model_dump(mode="json") == reference.model_dump(mode="json")
    assert fast.__pydantic_extra__ is reference.__pydantic_extra__
    assert fast.__pydantic_private__ is reference.__pydantic_private__
    assert EventMeta.model_validate(fast.model_dump()) == fast
    with pytest.raises(Exception, match="frozen"):
        fast.user = "someone else"  # type: ignore[misc]


def test_pydantic_needs_nothing_more_of_a_constructed_meta() -> None:
    """What ``trusted`` skips must stay empty for it to be ``model_construct``'s equal."""
    assert EventMeta.__pydantic_post_init__ is None
    assert not EventMeta.__private_attributes__
    assert all(
        f.alias is None and f.validation_alias is None for f in EventMeta.model_fields.values()
    )
    assert set(EventMeta.model_fields) == {
        "agency",
        "user",
        "occurred_at",
        "command_id",
        "correlation_id",
        "causation_id",
    }


def test_roles_by_prefix() -> None:
    assert role_of("prison:LEI") is AgencyRole.PRISON
    assert role_of("admin:backbone") is AgencyRole.ADMIN
    assert role_of("nobody:x") is None and role_of("pcc") is AgencyRole.PCC
