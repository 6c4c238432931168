"""Resolving sealed personal fields for a consumer entitled to them now (the ``ce_dataref`` URL).

Topics carry personal fields sealed under keys that never leave the backbone
(:mod:`adapters.sealed_records`). A consumer that needs them asks here, per event, and gets the
fields that its agency is entitled to *at read time*: the agency that wrote the event; an agency
receiving the event's category (and the field's category) from that agency under an agreement
active now (the sharing rules of :func:`domain.sharing.decide`); or an auditor. A field of an
erased person reads ``[erased]``. Every answer and every refusal goes to the read log with who,
what and why. A consumer's own plaintext copy is its own responsibility (README, AsyncAPI).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.cloudevents import event_data, event_id
from adapters.personal_cipher import ERASED, subject_for
from domain.agreement import DataCategory
from domain.errors import UnknownAggregate
from domain.personal import personal_fields
from domain.privacy import erasures_id
from domain.sharing import decide
from projections.queries import ReadModels
from services.bootstrap import Backbone
from services.identity import Forbidden, Identity, Role


@dataclass(frozen=True)
class PersonalDetails:
    event_id: str
    fields: dict[str, Any]
    erased: list[str]


class PersonalDetailsResolver:
    def __init__(self, backbone: Backbone) -> None:
        self.backbone = backbone

    def resolve(
        self, caller: Identity, aggregate_id: UUID, version: int, why: str
    ) -> PersonalDetails:
        event = self._event(aggregate_id, version)
        data = event_data(event)
        personal = sorted(f for f in personal_fields(type(event)) if data.get(f) is not None)
        what = f"{event_id(aggregate_id, version)} ({aggregate_id} v{version})"
        entitled = self._entitled(caller, event, data, personal)
        audit = self.backbone.audit(caller.reader)
        if not entitled:
            audit.log_read("refused:personal", str(aggregate_id), f"{what}; why: {why}")
            raise Forbidden(
                f"{caller.agency} is not entitled to the personal data of {what}: no agreement "
                "active now grants it from its source, and the caller is not an auditor"
            )
        fields = {name: data[name] for name in entitled}
        if self._erasure_recorded(aggregate_id, data):  # even before its key is destroyed
            fields = {name: ERASED for name in fields}
        erased = [name for name, value in fields.items() if value == ERASED or value == [ERASED]]
        audit.log_read("personal", str(aggregate_id), f"{what} {','.join(entitled)}; why: {why}")
        return PersonalDetails(str(event_id(aggregate_id, version)), fields, erased)

    def _erasure_recorded(self, aggregate_id: UUID, data: dict[str, Any]) -> bool:
        erasures = self.backbone.commands.load(erasures_id(aggregate_id))
        return erasures is not None and subject_for(data, aggregate_id) in erasures.erased

    def _event(self, aggregate_id: UUID, version: int) -> Any:
        store = self.backbone.store
        store.recheck_erasures()
        found = list(store.repository.event_store.get(aggregate_id, gt=version - 1, lte=version))
        if not found:
            raise UnknownAggregate(f"no event {aggregate_id} version {version}")
        return found[0]

    def _entitled(
        self, caller: Identity, event: Any, data: dict[str, Any], personal: list[str]
    ) -> list[str]:
        if caller.has(Role.AUDITOR) or caller.agency == event.meta.agency:
            return personal
        flows = ReadModels(self.backbone.projections).agreements.permitted_flows()
        granted = frozenset(
            DataCategory(c) for c in flows.get((event.meta.agency, caller.agency), ())
        )
        decision = decide(type(event), data, granted)
        kept = decision.data or {}
        return [name for name in personal if name in kept]
