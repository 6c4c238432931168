"""ISA-enforced sharing: per-agency shared topics carrying only what an active agreement grants.

A relay :class:`Router` over the same notification log. Agreements are followed in log order,
so a suspension or termination stops sharing from exactly that point in the log. Every decision
(sent, redacted, withheld and why) is written to ``share_decisions`` once the broker has acked
the batch it belongs to.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from adapters.cloudevents import event_data, event_id, event_type, to_record
from adapters.event_store import EventStore
from adapters.kafka_config import Topics, TopicSpec
from adapters.share_decisions import ShareDecisionRow, ShareDecisions
from adapters.stored_records import StoredRecords
from domain.agreement import AgreementStatus, SharingAgreement
from domain.sharing import Outcome, decide
from services.kafka_runtime.routing import Outgoing

AGREEMENT_TOPICS = [
    get_topic(cls)
    for cls in (
        SharingAgreement.Drafted,  # type: ignore[attr-defined]
        SharingAgreement.SignedOff,  # type: ignore[attr-defined]
        SharingAgreement.StatusChanged,  # type: ignore[attr-defined]
        SharingAgreement.Reviewed,  # type: ignore[attr-defined]
    )
]


class SharingRouter:
    name = "shared"

    def __init__(self, store: EventStore, topics: Topics) -> None:
        self.store = store
        self.topics = topics
        self.decisions = ShareDecisions(store)
        self.agreements: dict[UUID, SharingAgreement] = {}
        self.recipients: set[str] = set()
        self.pending: list[ShareDecisionRow] = []

    def topic_specs(self) -> list[TopicSpec]:
        return [self.topics.shared_spec(r) for r in sorted(self.recipients)]

    def reset(self, upto: int) -> None:
        """Agreements as they stood at ``upto`` in the log."""
        self.agreements, self.recipients, self.pending = {}, set(), []
        if upto <= 0:
            return
        start = 1
        while batch := self.store.recorder.select_notifications(
            start, 1000, stop=upto, topics=AGREEMENT_TOPICS
        ):
            for n in batch:
                self.follow(self.store.mapper.to_domain_event(n))
            start = batch[-1].id + 1

    def follow(self, event: Any) -> None:
        current = self.agreements.get(event.originator_id)
        agreement = event.mutate(current)
        self.agreements[event.originator_id] = agreement
        if agreement.status is AgreementStatus.ACTIVE:
            self.recipients |= {g.to_agency for g in agreement.terms.grants if g.to_agency != "*"}

    def granted(self, from_agency: str, to_agency: str) -> tuple[frozenset[Any], list[str]]:
        categories: set[Any] = set()
        refs: list[str] = []
        for agreement in self.agreements.values():
            allowed = agreement.categories_for(from_agency, to_agency)
            if allowed:
                categories |= allowed
                refs.append(agreement.reference)
        return frozenset(categories), sorted(refs)

    def route(self, sequence: int, event: Any) -> list[Outgoing]:
        if type(event).__qualname__.startswith("SharingAgreement."):
            self.follow(event)
            return []
        out: list[Outgoing] = []
        source = event.meta.agency
        data = event_data(event)
        for recipient in sorted(self.recipients - {source}):
            categories, refs = self.granted(source, recipient)
            decision = decide(type(event), data, categories)
            if decision.data is not None:
                record = to_record(event, sequence, decision.data, recipient=recipient)
                out.append(Outgoing(self.topics.shared(recipient), record, sequence))
            self.pending.append(
                ShareDecisionRow(
                    recipient=recipient,
                    event_id=str(event_id(event.originator_id, event.originator_version)),
                    aggregate_id=str(event.originator_id),
                    aggregate_version=event.originator_version,
                    event_type=event_type(event),
                    from_agency=source,
                    outcome=decision.outcome.value,
                    category=decision.category.value if decision.category else "",
                    removed_fields=",".join(decision.removed),
                    reason=decision.reason,
                    agreements=",".join(refs) if decision.outcome is not Outcome.WITHHELD else "",
                    position=sequence,
                )
            )
        return out

    def route_stored(self, notification: Any, records: StoredRecords) -> list[Outgoing] | None:
        """Decoded when there is anything to decide: agreements are followed as events, and
        ISA decisions need the event's data as the class reads it. While no agreement names
        any recipient, an event goes nowhere and records no decision: it is not decoded."""
        agreement = str(notification.topic).rpartition(":")[2].startswith("SharingAgreement.")
        if not self.recipients and not agreement:
            return []
        return None

    def has_decisions(self) -> bool:
        return bool(self.pending)

    def acked(self, upto: int) -> None:
        """Records the decisions up to ``upto``. Called from a worker thread while the relay may
        be routing its next batch on the event loop: rows leave the front of ``pending`` one at a
        time while new ones join its end, so none is lost between the two."""
        done = []
        while self.pending and self.pending[0].position <= upto:
            done.append(self.pending.pop(0))
        self.decisions.record(done)
