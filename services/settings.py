"""All configuration in one pydantic-settings model, read from ``RJB_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RJB_", env_file=".env", extra="ignore")

    store: Literal["sqlite", "postgres"] = Field(
        default="sqlite", description="Event store: embedded SQLite or PostgreSQL"
    )
    sqlite_path: Path = Field(default=Path("var/rjb.sqlite3"), description="SQLite file")
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_dbname: str = "rjb"
    postgres_user: str = "postgres"
    postgres_password: SecretStr = SecretStr("")
    postgres_schema: str = Field(default="", description="Schema for the tables (default: public)")
    postgres_pool_size: int = 5
    command_retries: int = Field(
        default=8, ge=1, description="Attempts when a concurrent writer moved the aggregate on"
    )

    # --- Kafka backbone (issue 4) ---------------------------------------------------------------
    kafka_bootstrap_servers: str = Field(
        default="", description="Kafka bootstrap servers; empty: `rjb serve` starts a local broker"
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_sasl_password_file: Path | None = Field(
        default=None,
        description="File holding the SASL password (e.g. a compose secret); read, never "
        "created, trailing newline stripped; not together with RJB_KAFKA_SASL_PASSWORD",
    )
    kafka_ssl_cafile: Path | None = Field(default=None, description="CA bundle for SSL/SASL_SSL")
    kafka_topic_prefix: str = Field(default="rjb", description="Prefix of every topic name")
    kafka_replication_factor: int = Field(default=1, ge=1, description="3 on a real cluster")
    kafka_case_event_partitions: int = Field(default=12, ge=1)
    kafka_inbound_partitions: int = Field(default=6, ge=1)
    kafka_shared_partitions: int = Field(default=3, ge=1)
    kafka_case_event_retention_days: float = Field(
        default=-1,
        description="retention.ms of the case-event topic, in days; -1: for ever "
        "(a re-derivable copy consumers replay from; `rjb reconcile` expects every event there)",
    )
    kafka_shared_retention_days: float = Field(
        default=-1, description="retention of each agency's shared topic, in days; -1: for ever"
    )
    kafka_inbound_retention_days: float = Field(
        default=7, description="retention of the inbound and prison-movement topics, in days"
    )
    kafka_dead_letter_retention_days: float = Field(
        default=14,
        description="retention of the dead-letter topic, in days (sealed letters; "
        "their day keys are destroyed after it too)",
    )
    kafka_dead_letter_max_message_bytes: int = Field(
        default=1_048_588, ge=4096, description="max.message.bytes of the dead-letter topic"
    )
    kafka_align_topic_configs: bool = Field(
        default=True,
        description="Alter an existing topic whose retention or cleanup differs "
        "from these settings at start; false: log a warning only",
    )
    kafka_consumer_group: str = "rjb-backbone"
    kafka_session_timeout_ms: int = Field(default=10_000, description="Consumer group session")
    kafka_relay_batch_size: int = Field(
        default=2000, ge=1, description="Notifications the relay reads, sends and saves per step"
    )
    kafka_relay_linger_ms: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Relay producer linger.ms: the relay hands over whole batches, so any "
        "linger only delays each step",
    )
    kafka_relay_max_batch_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        le=1_048_576,
        description="Largest record batch per partition (within the broker's message.max.bytes)",
    )
    kafka_relay_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = Field(
        default="lz4",
        description="Compression of the relay's record batches (lz4: CloudEvents JSON shrinks "
        "about 5x, and every Kafka client reads it; zstd shrinks it 10x but, at 1,000 "
        "commands/s, added 10-20 ms to the relay's half of end-to-end latency)",
    )
    kafka_relay_poll_interval: float = Field(
        default=0.1,
        gt=0,
        description="Seconds between the relay's polls when nothing wakes it (a backstop: "
        "NOTIFY on PostgreSQL, on SQLite saves here and a watch of other processes' commits); "
        "one cheap read each",
    )
    kafka_idempotent_producer: bool = Field(
        default=True,
        description="Relay producer with enable.idempotence (Apache Kafka); off on the embedded "
        "dev broker, which lacks it",
    )
    relay_leader_interval: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between a follower's tries for the relay leader lock (and the "
        "leader's checks that it still holds it): takeover after a leader dies is about this",
    )
    serve_inbound: bool = Field(
        default=True,
        description="`rjb serve` runs the inbound subscribers (agency commands, prison "
        "movements); false in a process that only relays",
    )
    serve_relays: bool = Field(
        default=True,
        description="`rjb serve` competes for the relay leader lock and, holding it, runs the "
        "relays; false in a process that only takes inbound (relays in a process of their own "
        "do not share its interpreter lock)",
    )
    kafka_inbound_trim_interval: float = Field(
        default=10.0,
        gt=0,
        description="Seconds between deletions of inbound records the backbone has dealt with "
        "(stored or dead-lettered, sealed): no plaintext command outlives its processing",
    )
    kafka_auditors: list[str] = Field(
        default_factory=list,
        description="Broker principals (SCRAM users) of auditors: READ on the case-event topic",
    )
    kafka_movement_feeds: list[str] = Field(
        default_factory=lambda: ["feed.hmpps"],
        description="Broker principals that may WRITE the HMPPS prison-movements topic",
    )
    kafka_acl_reconcile_interval: float = Field(
        default=5.0, gt=0, description="Seconds between `rjb serve`'s checks of users and ACLs"
    )
    kafka_broker_check_interval: float = Field(
        default=5.0, gt=0, description="Seconds between checks that the broker still has our data"
    )

    # --- auditors and privacy (issue 6) ---
    encrypt_personal: bool = Field(
        default=True, description="Encrypt personal fields with a key per person (erasable)"
    )
    personal_data_master_key: SecretStr = Field(
        default=SecretStr(""),
        description="Base64 of 32 bytes wrapping every per-person key (from a secret store); "
        "empty (and no key file): read/create `master.key` next to the SQLite database",
    )
    personal_data_master_key_file: Path | None = Field(
        default=None,
        description="File holding that key, e.g. a compose secret; read, never created (a "
        "missing file refuses to start). The image sets /run/secrets/personal_data_master_key; "
        "empty: unset",
    )
    personal_data_master_key_new: SecretStr = Field(
        default=SecretStr(""),
        description="The incoming master key during a rotation (`rjb privacy rotate-master-key`): "
        "keys wrapped under either open; base64 of 32 bytes",
    )
    personal_data_master_key_new_file: Path | None = Field(
        default=None, description="File holding the incoming master key (read, never created)"
    )

    # --- HTTP API and identity (issue 10) -------------------------------------------------------
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP API listens on")
    http_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of the HTTP API under `rjb serve`; 0: off"
    )
    http_public_url: str = Field(
        default="",
        description="The API's address as consumers reach it (behind TLS in production), for "
        "the `ce_dataref` of records with sealed personal fields; empty: http://HOST:PORT",
    )
    http_max_body_bytes: int = Field(
        default=262_144, ge=1024, description="Largest request body accepted (else 413)"
    )
    http_coalesce_ms: float = Field(
        default=5.0,
        ge=0,
        le=1000,
        description="Commands POSTed within this many ms of the first share one transaction "
        "(each request gets its own result); 0: each request its own transaction",
    )
    http_coalesce_max: int = Field(
        default=500, ge=1, description="Most commands coalesced into one transaction"
    )
    oauth_issuer: str = Field(
        default="", description="The OAuth 2.0 issuer whose JWT access tokens are accepted (iss)"
    )
    oauth_audience: str = Field(default="rjb-backbone", description="Required `aud` of tokens")
    oauth_jwks_url: str = Field(default="", description="The issuer's JWKS (public keys) URL")
    oauth_jwks_file: Path | None = Field(
        default=None, description="The issuer's JWKS as a file, instead of a URL"
    )
    oauth_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256"],
        description="Signature algorithms accepted (never `none` or HS*: the keys are public)",
    )
    oauth_leeway_seconds: int = Field(default=30, ge=0, le=300, description="Clock skew allowed")
    dev_issuer: bool | None = Field(
        default=None,
        description="Development token issuer (`rjb dev token`; key pair in var/). Default: on "
        "only with the SQLite store and no RJB_OAUTH_ISSUER; turning it on with PostgreSQL or "
        "an issuer is refused",
    )

    # --- projections (issue 5) ----------------------------------------------------------------
    projection_batch_size: int = Field(
        default=500, ge=1, description="Events applied per projection transaction"
    )
    sla_victim_details_days: int = Field(
        default=2, ge=0, description="Victims' Code: days from crime report to details passed"
    )
    sla_victim_update_days: int = Field(
        default=28, ge=1, description="Longest a victim may go without an update on an open case"
    )
    sla_prison_access_days: int = Field(
        default=14, ge=1, description="Longest a prison access request may stay undecided"
    )

    @field_validator("kafka_sasl_password_file", mode="before")
    @classmethod
    def _empty_password_file_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "personal_data_master_key_file", "personal_data_master_key_new_file", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("oauth_jwks_file", mode="before")
    @classmethod
    def _empty_file_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("oauth_algorithms")
    @classmethod
    def _public_key_algorithms_only(cls, value: list[str]) -> list[str]:
        for alg in value:
            if alg.lower() == "none" or alg.upper().startswith("HS"):
                raise ValueError(
                    f"{alg} is refused: tokens are verified with the issuer's public keys "
                    "(JWKS), so only asymmetric algorithms (RS*, PS*, ES*, EdDSA) are allowed"
                )
        if not value:
            raise ValueError("at least one algorithm (e.g. RS256)")
        return value

    @model_validator(mode="after")
    def _dev_issuer_never_in_production(self) -> Self:
        if self.dev_issuer and (self.store == "postgres" or self.oauth_issuer):
            raise ValueError(
                "RJB_DEV_ISSUER is refused with RJB_STORE=postgres or RJB_OAUTH_ISSUER set: the "
                "development issuer signs any agency's token with a key kept in var/"
            )
        return self

    @model_validator(mode="after")
    def _serve_does_something(self) -> Self:
        if not (self.serve_inbound or self.serve_relays):
            raise ValueError("RJB_SERVE_INBOUND and RJB_SERVE_RELAYS are both false: serve what?")
        return self

    @property
    def serving(self) -> str:
        """What `rjb serve` runs in this process: "inbound and relays", "inbound" or "relays"."""
        parts = [("inbound", self.serve_inbound), ("relays", self.serve_relays)]
        return " and ".join(name for name, on in parts if on)

    @property
    def dev_issuer_on(self) -> bool:
        """The development issuer is used: asked for, or by default on SQLite without an issuer."""
        if self.dev_issuer is not None:
            return self.dev_issuer
        return self.store == "sqlite" and not self.oauth_issuer
