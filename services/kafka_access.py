"""Who may do what on the broker: Kafka ACLs derived from the agency registry and the ISA register.

The broker (Apache Kafka's StandardAuthorizer, deny by default) enforces these; this module only
works out which bindings should exist and what must change to get there. Every agency with
broker credentials is a principal named by its topic suffix (``pcc:kent`` → ``User:pcc.kent``):

* WRITE on its own inbound topic ``<prefix>.inbound.<agency>.commands.v1`` (the backbone takes
  the acting agency from the topic it read, so no one else can speak for it);
* READ on its own shared topic ``<prefix>.shared.<agency>.v1`` only while it is the recipient
  of a grant under an *active* agreement, and READ on consumer groups named ``<agency>.*``;
* a movement feed principal (``feed.hmpps``) WRITEs the prison-movements topic;
* auditors READ the full case-event topic (and groups named ``<auditor>.*``).

The backbone's own principal is the super user and needs no ACL. Bindings on this deployment's
topics and agency groups that are not wanted are removed, so a reconcile also undoes a binding
someone added by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from adapters.kafka_admin import AclGrant, Operation
from adapters.kafka_config import Topics, shared_topic_suffix


def principal_name(agency: str) -> str:
    """The SCRAM user (and principal name) of an agency: its topic suffix."""
    return shared_topic_suffix(agency)


def agency_of_principal(name: str) -> str:
    """``pcc.kent`` → ``pcc:kent`` (kinds and names contain no dots)."""
    return name.replace(".", ":", 1)


@dataclass(frozen=True)
class AccessPolicy:
    """Everything the ACLs follow from."""

    topics: Topics
    agencies: frozenset[str]  # agencies holding broker credentials
    recipients: frozenset[str]  # agencies receiving under at least one active agreement
    auditors: frozenset[str] = frozenset()  # principal names
    movement_feeds: frozenset[str] = frozenset({"feed.hmpps"})

    def grants(self) -> set[AclGrant]:
        t = self.topics
        wanted: set[AclGrant] = set()
        for agency in self.agencies:
            name = principal_name(agency)
            wanted |= topic_rights(name, t.inbound_commands(agency), "WRITE")
            if agency in self.recipients:
                wanted |= topic_rights(name, t.shared(agency), "READ") | group_rights(name)
        for feed in self.movement_feeds:
            wanted |= topic_rights(feed, t.movements, "WRITE")
        for auditor in self.auditors:
            wanted |= topic_rights(auditor, t.case_events, "READ") | group_rights(auditor)
        return wanted


def topic_rights(name: str, topic: str, operation: Operation) -> set[AclGrant]:
    """``operation`` on one topic, and DESCRIBE so the client can find its partitions."""
    user = f"User:{name}"
    return {AclGrant(user, "TOPIC", topic, "LITERAL", op) for op in (operation, "DESCRIBE")}


def group_rights(name: str) -> set[AclGrant]:
    """Consumer groups named ``<name>.<anything>``: its own, and no one else's."""
    return {AclGrant(f"User:{name}", "GROUP", f"{name}.", "PREFIXED", "READ")}


def ours(grant: AclGrant, topics: Topics) -> bool:
    """Whether a binding is on this deployment's resources (and so reconciled by us)."""
    if grant.resource == "TOPIC":
        return grant.name.startswith(f"{topics.prefix}.")
    return True  # consumer groups: every group binding on the cluster is the backbone's to keep


@dataclass
class AccessPlan:
    """What a reconcile changes: bindings to add and remove, users without any right."""

    add: list[AclGrant] = field(default_factory=list)
    remove: list[AclGrant] = field(default_factory=list)
    unknown_users: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove

    def lines(self) -> list[str]:
        out = [f"+ {g}" for g in self.add] + [f"- {g}" for g in self.remove]
        out += [
            f"! user {u} is no known agency, feed or auditor: it has no rights"
            for u in self.unknown_users
        ]
        return out


def plan(policy: AccessPolicy, existing: Iterable[AclGrant], users: Iterable[str]) -> AccessPlan:
    """From the bindings the broker has to the ones the policy wants."""
    wanted = policy.grants()
    have = {g for g in existing if ours(g, policy.topics)}
    known = {principal_name(a) for a in policy.agencies} | policy.auditors | policy.movement_feeds
    return AccessPlan(
        add=sorted(wanted - have),
        remove=sorted(have - wanted),
        unknown_users=sorted(set(users) - known),
    )
