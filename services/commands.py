"""Agency commands as pydantic models, derived from the aggregates' command signatures.

Each command is a flat JSON object: ``type`` names the command, the envelope says who sent it
(``command_id`` is the idempotency key), a key field names the aggregate, and the remaining fields
are exactly the arguments of the aggregate method the command calls. Generating the models from the
method signatures keeps the wire schema and the domain in step by construction.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field, TypeAdapter, create_model

from domain.agencies import KnownAgencyCode, NomsNumber
from domain.agreement import SharingAgreement
from domain.base import Aggregate, EventMeta, Immutable
from domain.case.aggregate import Case
from domain.custody import Custody
from domain.registry import REGISTRY, AgencyRegistry
from domain.text import Identifier

COMMAND_NAMESPACE = uuid5(NAMESPACE_URL, "https://rj-backbone/command")


class Command(Immutable):
    """Envelope common to every agency command."""

    type: str
    command_id: Identifier = Field(description="Idempotency key chosen by the sender")
    agency: KnownAgencyCode = Field(description="Code of the sending agency (a known agency)")
    user: Identifier
    occurred_at: AwareDatetime
    correlation_id: Identifier | None = None
    causation_id: Identifier | None = None

    def meta(self) -> EventMeta:
        """Built from fields this command's own validation already checked (each as strict as
        EventMeta's, or stricter), so not validated again: a tenth of a batch's time."""
        return EventMeta.trusted(
            agency=self.agency,
            user=self.user,
            occurred_at=self.occurred_at,
            command_id=self.command_id,
            correlation_id=self.correlation_id or self.command_id,
            causation_id=self.causation_id,
        )


@dataclass(frozen=True)
class CommandSpec:
    """How one command type reaches its aggregate."""

    name: str
    aggregate: type[Aggregate]
    method: str
    key: str
    to_id: Callable[[Any], UUID]
    opens_missing: bool = False

    @property
    def creates(self) -> bool:
        return self.method == "__init__"

    @cached_property
    def parameters(self) -> dict[str, tuple[Any, Any]]:
        func = getattr(self.aggregate, self.method)
        hints = typing.get_type_hints(func, include_extras=True)
        params: dict[str, tuple[Any, Any]] = {}
        for name, param in inspect.signature(func).parameters.items():
            if name in ("self", "meta", "id") or name == self.key:
                continue
            default = ... if param.default is inspect.Parameter.empty else param.default
            params[name] = (hints[name], default)
        return params

    @cached_property
    def takes_key(self) -> bool:
        return self.key in inspect.signature(getattr(self.aggregate, self.method)).parameters

    def aggregate_id(self, command: Command) -> UUID:
        value = getattr(command, self.key)
        if value is None:  # a referral may leave the case id to the backbone
            return uuid5(COMMAND_NAMESPACE, f"{command.agency}:{command.command_id}")
        return self.to_id(value)

    def arguments(self, command: Command) -> dict[str, Any]:
        args = {name: getattr(command, name) for name in self.parameters}
        if self.takes_key:
            args[self.key] = getattr(command, self.key)
        return args

    def key_value(self, command: Command) -> Any:
        return getattr(command, self.key)


def _case_id(value: UUID) -> UUID:
    return value


def _spec(name: str, aggregate: type[Aggregate], method: str, **kw: Any) -> CommandSpec:
    keys: dict[type[Aggregate], tuple[str, Callable[[Any], UUID]]] = {
        Case: ("case_id", _case_id),
        SharingAgreement: ("reference", SharingAgreement.id_for),
        Custody: ("prison_number", Custody.id_for),
        AgencyRegistry: ("registry", AgencyRegistry.id_for),
    }
    key, to_id = keys[aggregate]
    return CommandSpec(name, aggregate, method, key, to_id, **kw)


_CASE_COMMANDS = {
    "refer_case": "__init__",
    "close_case": "close",
    **{
        m: m
        for m in [
            "add_participant",
            "inform_victim",
            "pass_victim_details",
            "record_contact",
            "accept_responsibility",
            "record_consent",
            "decline",
            "withdraw",
            "re_engage",
            "record_assessment",
            "record_vulnerability",
            "refer_for_support",
            "assign_facilitators",
            "replace_facilitator",
            "choose_activity_type",
            "set_venue",
            "request_prison_access",
            "decide_prison_access",
            "record_pre_visit",
            "schedule_activity",
            "reschedule_activity",
            "record_activity_held",
            "cancel_activity",
            "record_outcome_agreement",
            "record_follow_up",
            "record_feedback",
            "record_complaint",
            "resolve_complaint",
            "update_victim",
            "record_prisoner_merge",
        ]
    },
}
_AGREEMENT_COMMANDS = {
    "draft_agreement": "__init__",
    "sign_agreement": "sign",
    "activate_agreement": "activate",
    "suspend_agreement": "suspend",
    "resume_agreement": "resume",
    "terminate_agreement": "terminate",
    "review_agreement": "record_review",
}

SPECS: dict[str, CommandSpec] = {
    **{n: _spec(n, Case, m) for n, m in _CASE_COMMANDS.items()},
    **{n: _spec(n, SharingAgreement, m) for n, m in _AGREEMENT_COMMANDS.items()},
    "record_movement": _spec("record_movement", Custody, "record_movement", opens_missing=True),
    # HMPPS prisoner merges, applied by the backbone (services/prisoner_merge.py)
    "merge_prisoner": _spec("merge_prisoner", Custody, "merge_in", opens_missing=True),
    "record_merged_away": _spec("record_merged_away", Custody, "merge_into"),
    "register_agency": _spec("register_agency", AgencyRegistry, "register", opens_missing=True),
}


def _key_field(spec: CommandSpec) -> tuple[Any, Any]:
    if spec.key == "case_id":
        return (UUID | None, None) if spec.creates else (UUID, ...)
    if spec.key == "prison_number":
        return (NomsNumber, ...)
    if spec.key == "registry":
        return (Literal["agencies"], REGISTRY)
    return (Identifier, ...)


def _model(spec: CommandSpec) -> type[Command]:
    fields: dict[str, Any] = {
        "type": (Literal[spec.name], ...),
        spec.key: _key_field(spec),
        **spec.parameters,
    }
    model = create_model(  # type: ignore[call-overload]
        "".join(part.title() for part in spec.name.split("_")), __base__=Command, **fields
    )
    return typing.cast(type[Command], model)


COMMAND_MODELS: dict[str, type[Command]] = {name: _model(spec) for name, spec in SPECS.items()}

AnyCommand: Any = Annotated[
    typing.Union[tuple(COMMAND_MODELS.values())],  # noqa: UP007
    Field(discriminator="type"),
]
command_adapter: TypeAdapter[Command] = TypeAdapter(AnyCommand)


def parse_command(data: bytes | str | dict[str, Any]) -> Command:
    """Validate raw JSON (or a dict) into the right command model; raises ValidationError."""
    if isinstance(data, dict):
        return command_adapter.validate_python(data)
    return command_adapter.validate_json(data)
