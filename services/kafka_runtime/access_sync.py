"""Keeps the broker's users, topics and ACLs in step with the agency registry and ISA register.

``rjb kafka acls --plan`` shows a reconcile, ``--apply`` does it; ``rjb serve`` applies one at
start and then whenever the register or the users change (checked every
``RJB_KAFKA_ACL_RECONCILE_INTERVAL`` seconds). Each change is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from adapters.kafka_admin import KafkaAdmin, librdkafka_config
from adapters.kafka_config import Topics, ensure_topics
from adapters.kafka_connection import client_kwargs
from services.kafka_access import AccessPlan, AccessPolicy, agency_of_principal, plan
from services.settings import Settings

log = logging.getLogger(__name__)


class AccessReconciler:
    """One deployment's view: the admin client, the register, and who counts as an agency."""

    def __init__(
        self,
        settings: Settings,
        recipients: Callable[[], set[str]],
        is_agency: Callable[[str], bool],
        admin: KafkaAdmin | None = None,
    ) -> None:
        self.settings = settings
        self.topics = Topics.from_settings(settings)
        self.recipients = recipients
        self.is_agency = is_agency
        self.admin = admin or KafkaAdmin(librdkafka_config(settings))
        self.applied: AccessPolicy | None = None

    def policy(self, users: list[str]) -> AccessPolicy:
        agencies = {agency_of_principal(u) for u in users}
        return AccessPolicy(
            topics=self.topics,
            agencies=frozenset(a for a in agencies if self.is_agency(a)),
            recipients=frozenset(self.recipients()),
            auditors=frozenset(self.settings.kafka_auditors),
            movement_feeds=frozenset(self.settings.kafka_movement_feeds),
        )

    def plan(self) -> tuple[AccessPolicy, AccessPlan]:
        users = [u for u in self.admin.users() if u != self.settings.kafka_sasl_username]
        policy = self.policy(users)
        return policy, plan(policy, self.admin.grants(), users)

    async def apply(self, force: bool = False) -> AccessPlan | None:
        """Reconcile if anything it follows changed since the last time (or ``force``)."""
        policy, changes = await asyncio.to_thread(self.plan)
        if not force and policy == self.applied and changes.empty:
            return None
        await self.ensure_topics(policy)
        await asyncio.to_thread(self.admin.add, changes.add)
        await asyncio.to_thread(self.admin.remove, changes.remove)
        await self.until_in_force(changes)
        for line in changes.lines():
            log.warning("kafka access: %s", line)
        self.applied = policy
        return changes

    async def until_in_force(self, changes: AccessPlan, timeout: float = 15.0) -> None:
        """Until the broker's authorizer holds the change (it applies the controller's record a
        moment after the admin call returns), so a caller's next step sees it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            held = set(await asyncio.to_thread(self.admin.grants))
            if set(changes.add) <= held and not held & set(changes.remove):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"the broker did not apply the ACL changes within {timeout}s")

    async def ensure_topics(self, policy: AccessPolicy) -> None:
        """Each agency's inbound and shared topics exist before it is told to use them."""
        specs = [self.topics.inbound_spec(a) for a in sorted(policy.agencies)]
        specs += [self.topics.shared_spec(a) for a in sorted(policy.agencies)]
        connection: dict[str, Any] = client_kwargs(self.settings)
        await ensure_topics(connection, specs, self.settings.kafka_replication_factor)

    def issue_credentials(self, principal: str) -> str:
        """A new random password for ``principal`` (created or replaced); shown once."""
        password = secrets.token_urlsafe(24)
        self.admin.set_password(principal, password)
        self.until_listed(principal)
        return password

    def until_listed(self, principal: str, timeout: float = 15.0) -> None:
        """Until the broker lists the new user: it applies the controller's record a moment
        later, and a reconcile run before then would plan no ACLs for that user."""
        deadline = time.monotonic() + timeout
        while principal not in self.admin.users():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the broker did not list user {principal!r} within {timeout}s")
            time.sleep(0.1)

    def revoke_credentials(self, principal: str) -> None:
        self.admin.delete_user(principal)

    async def follow(self, stop: asyncio.Event) -> None:
        """Reconcile every interval until ``stop``; a failure is logged and tried again."""
        while not stop.is_set():
            try:
                await self.apply()
            except Exception as error:  # the broker may be away; the next round tries again
                log.error("kafka access reconcile failed: %r", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.kafka_acl_reconcile_interval)
