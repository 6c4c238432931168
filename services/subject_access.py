"""Subject access: everything the backbone holds about one person, as every HMPPS service offers.

A person is ``CASE/PARTICIPANT`` (as erasure names them). The answer gathers the case's events
that are about them (sealed under their key, or naming them as the participant), decrypted, with
when each happened and was recorded and which agency recorded it; who was sent each of those
events under an agreement (the share decisions); and whether their data was erased. It needs the
privacy-officer role, and the request itself is logged with who and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from adapters.cloudevents import event_data, event_id, event_type
from adapters.personal_cipher import subject_for
from adapters.share_decisions import ShareDecisions
from domain.errors import UnknownAggregate
from domain.privacy import erasures_id
from services.bootstrap import Backbone
from services.identity import Identity, Role


@dataclass(frozen=True)
class SubjectAccessReport:
    person: str
    erased: bool
    events: list[dict[str, Any]]
    shared_with: list[dict[str, str]]


def parse_person(person: str) -> tuple[UUID, str]:
    case, _, participant = person.partition("/")
    try:
        return UUID(case), participant
    except ValueError as error:
        raise ValueError(f"a person is CASE_ID/PARTICIPANT_ID, not {person[:80]!r}") from error


class SubjectAccess:
    def __init__(self, backbone: Backbone) -> None:
        self.backbone = backbone

    def report(
        self,
        caller: Identity,
        person: str,
        why: str,
        since: date | None = None,
        until: date | None = None,
    ) -> SubjectAccessReport:
        caller.require(Role.PRIVACY_OFFICER, "a subject access request")
        case_id, participant = parse_person(person)
        store = self.backbone.store
        store.recheck_erasures()
        events = list(store.repository.event_store.get(case_id))
        if not events or not participant:
            raise UnknownAggregate(f"no case {case_id} with participant {participant!r}")
        about = [e for e in events if self._about(e, case_id, participant, since, until)]
        ids = {str(event_id(e.originator_id, e.originator_version)) for e in about}
        shares = [
            {"event_id": d.event_id, "recipient": d.recipient, "outcome": d.outcome}
            for d in ShareDecisions(store).about(case_id)
            if d.event_id in ids and d.outcome != "withheld"
        ]
        erasures = self.backbone.commands.load(erasures_id(case_id))
        erased = erasures is not None and f"{case_id}/{participant}" in erasures.erased
        self.backbone.audit(caller.reader).log_read(
            "subject-access", str(case_id), f"{person}: {len(about)} events; why: {why}"
        )
        return SubjectAccessReport(person, erased, [self._entry(e) for e in about], shares)

    @staticmethod
    def _about(
        event: Any, case_id: UUID, participant: str, since: date | None, until: date | None
    ) -> bool:
        data = event_data(event)
        named = data.get("participant_id") == participant or subject_for(data, case_id) == (
            f"{case_id}/{participant}"
        )
        when = event.meta.occurred_at.date()
        in_range = (since is None or when >= since) and (until is None or when <= until)
        return named and in_range

    @staticmethod
    def _entry(event: Any) -> dict[str, Any]:
        data = event_data(event)
        meta = data.pop("meta", {})
        for position in ("originator_id", "originator_version", "timestamp"):
            data.pop(position, None)
        return {
            "event_id": str(event_id(event.originator_id, event.originator_version)),
            "type": event_type(event),
            "version": event.originator_version,
            "occurred_at": meta.get("occurred_at"),
            "recorded_at": event.timestamp.isoformat(),
            "recorded_by": meta.get("agency"),
            "data": data,
        }
