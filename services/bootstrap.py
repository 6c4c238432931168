"""Composition root: builds every part of the backbone from one :class:`Settings`.

Nothing connects at import time; :func:`build` opens the store when asked.
"""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.event_store import EventStore, open_event_store, store_env
from adapters.key_wrap import MasterKeyError, load_or_create_master_key, parse_master_key
from projections.runner import ProjectionRunner
from services.audit.service import AuditService
from services.command_service import CommandService
from services.privacy import PrivacyService
from services.settings import Settings

if TYPE_CHECKING:
    from services.identity import TokenVerifier
    from services.kafka_runtime.wiring import KafkaParts

log = logging.getLogger(__name__)


def master_key(settings: Settings) -> str:
    """Base64 master key: ``RJB_PERSONAL_DATA_MASTER_KEY``, or the file that
    ``RJB_PERSONAL_DATA_MASTER_KEY_FILE`` names (a mounted secret: read, never created), else the
    development ``master.key`` file next to the SQLite database (created with mode 0600 on first
    use, also when the store is PostgreSQL, with a warning)."""
    configured = settings.personal_data_master_key.get_secret_value()
    key_file = settings.personal_data_master_key_file
    if configured and key_file is not None:
        raise MasterKeyError(
            "set RJB_PERSONAL_DATA_MASTER_KEY or RJB_PERSONAL_DATA_MASTER_KEY_FILE, not both "
            "(RJB_PERSONAL_DATA_MASTER_KEY_FILE= with no value unsets the image's default)"
        )
    if configured:
        return configured
    if key_file is not None:
        return base64.b64encode(read_master_key_file(key_file)).decode()
    path = Path(settings.sqlite_path).parent / "master.key"
    if settings.store == "postgres":
        log.warning(
            "RJB_PERSONAL_DATA_MASTER_KEY(_FILE) is not set: using %s (dev only; in a container "
            "it is lost with the container, and the data it wrapped with it)",
            path,
        )
    return base64.b64encode(load_or_create_master_key(path)).decode()


def incoming_master_key(settings: Settings) -> str:
    """Base64 of the incoming master key during a rotation (``RJB_PERSONAL_DATA_MASTER_KEY_NEW``
    or the file ``RJB_PERSONAL_DATA_MASTER_KEY_NEW_FILE`` names); "" when there is none."""
    configured = settings.personal_data_master_key_new.get_secret_value()
    key_file = settings.personal_data_master_key_new_file
    if configured and key_file is not None:
        raise MasterKeyError(
            "set RJB_PERSONAL_DATA_MASTER_KEY_NEW or RJB_PERSONAL_DATA_MASTER_KEY_NEW_FILE, "
            "not both"
        )
    if key_file is not None:
        return base64.b64encode(read_master_key_file(key_file)).decode()
    return base64.b64encode(parse_master_key(configured)).decode() if configured else ""


def read_master_key_file(path: Path) -> bytes:
    """The master key in a secret file. A missing file refuses to start: creating a key here
    would let a recreated container wrap new keys under a key that opens none of the old ones."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MasterKeyError(
            f"RJB_PERSONAL_DATA_MASTER_KEY_FILE: {path} does not exist; mount the secret that "
            "holds the personal-data master key (it is never created)"
        ) from None
    except OSError as e:
        raise MasterKeyError(
            f"RJB_PERSONAL_DATA_MASTER_KEY_FILE: {path} cannot be read ({e.strerror}); it must "
            f"be readable by uid {os.getuid()}"
        ) from None
    try:
        return parse_master_key(text)
    except MasterKeyError as e:
        raise MasterKeyError(f"RJB_PERSONAL_DATA_MASTER_KEY_FILE {path}: {e}") from None


def event_store_env(settings: Settings) -> dict[str, str]:
    if settings.store == "sqlite":
        Path(settings.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
        return store_env("sqlite", sqlite_path=str(settings.sqlite_path))
    return store_env(
        "postgres",
        host=settings.postgres_host,
        port=settings.postgres_port,
        dbname=settings.postgres_dbname,
        user=settings.postgres_user,
        password=settings.postgres_password.get_secret_value(),
        schema=settings.postgres_schema,
        pool_size=settings.postgres_pool_size,
    )


@dataclass
class Backbone:
    settings: Settings
    store: EventStore
    commands: CommandService

    @cached_property
    def projections(self) -> ProjectionRunner:
        """Read models over the store's log (issue 5); tables are made on first use."""
        from projections.registry import all_projections

        return ProjectionRunner(self.store, all_projections(), self.settings.projection_batch_size)

    def close(self) -> None:
        self.store.close()

    def kafka(self, bootstrap: str | None = None) -> KafkaParts:
        """The Kafka components (relays, inbound subscribers) on this store."""
        from services.kafka_runtime.wiring import KafkaParts

        return KafkaParts(self, bootstrap or self.settings.kafka_bootstrap_servers)

    def audit(self, reader: str, why: str = "") -> AuditService:
        """Auditor access; every read is logged under ``reader`` (a verified identity) and why."""
        return AuditService(self.store, reader, why)

    @cached_property
    def identity(self) -> TokenVerifier:
        """Verifies access tokens against the configured issuer (issue 10); keys load on first
        use, and the agency registry is read from the store at each verification."""
        from services.credentials import known_agency_check, token_verifier

        return token_verifier(self.settings, known_agency_check(self.commands))

    @property
    def privacy(self) -> PrivacyService:
        return PrivacyService(self.store)


def build(settings: Settings | None = None) -> Backbone:
    settings = settings or Settings()
    store = open_event_store(
        event_store_env(settings),
        ENCRYPT_PERSONAL="yes" if settings.encrypt_personal else "no",
        PERSONAL_DATA_MASTER_KEY=master_key(settings),
        PERSONAL_DATA_MASTER_KEY_NEW=incoming_master_key(settings),
    )
    return Backbone(settings, store, CommandService(store, settings.command_retries))
