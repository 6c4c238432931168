"""Apache Kafka's server settings: those production and the secured test broker share, those
that differ by deployment (and why), and the backbone's own principal.

``deploy/compose.yaml`` is held to these by ``tests/unit/test_deploy.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

# Server settings production (deploy/compose.yaml) and the secured test broker share, value for
# value; tests/unit/test_deploy.py holds the compose file to them. Agencies authenticate with
# SCRAM-SHA-512 on CLIENT; the brokers and controllers speak PLAIN on CONTROLLER (SCRAM
# credentials live in the metadata log, which controllers must read before they can check them).
SHARED_SERVER_SETTINGS: dict[str, str] = {
    "process.roles": "broker,controller",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "CLIENT",
    "auto.create.topics.enable": "false",
    "sasl.enabled.mechanisms": "SCRAM-SHA-512",
    "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
    "sasl.mechanism.controller.protocol": "PLAIN",
    "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "allow.everyone.if.no.acl.found": "false",
}

# Settings that differ between one test broker and the three-broker cluster, and why.
PER_DEPLOYMENT_SETTINGS: dict[str, str] = {
    "node.id": "each broker has its own",
    "controller.quorum.voters": "the controllers of that cluster",
    "listeners": "addresses of that host",
    "advertised.listeners": "addresses of that host",
    "listener.security.protocol.map": "SASL_SSL in production; SASL_PLAINTEXT on loopback in tests",
    "super.users": "the backbone's own principal (its name is the deployment's choice)",
    "listener.name.client.scram-sha-512.sasl.jaas.config": "the backbone's secret",
    "listener.name.controller.plain.sasl.jaas.config": "the controllers' secret",
    "ssl.keystore.location": "production's certificates (TLS)",
    "ssl.keystore.password": "production's certificates (TLS)",
    "ssl.key.password": "production's certificates (TLS)",
    "config.providers": "production reads secrets from mounted files; tests write them inline",
    "config.providers.file.class": "the file config provider (production)",
    "config.providers.file.param.allowed.paths": "the provider reads /run/secrets only",
    "ssl.keystore.type": "production's certificates (TLS)",
    "ssl.truststore.type": "production's CA (TLS between brokers)",
    "ssl.truststore.location": "production's CA (TLS between brokers)",
    "log.dirs": "that host's volume",
    "default.replication.factor": "3 on three brokers, 1 on one",
    "min.insync.replicas": "2 of 3 on three brokers, 1 on one",
    "offsets.topic.replication.factor": "3 on three brokers, 1 on one",
    "transaction.state.log.replication.factor": "3 on three brokers, 1 on one",
    "transaction.state.log.min.isr": "2 of 3 on three brokers, 1 on one",
    "group.initial.rebalance.delay.ms": "0 in tests: groups join at once; 3 s in production",
    "group.min.session.timeout.ms": "0.5 s in tests: a killed consumer's partitions move at once",
}

# What an unsecured test broker leaves out or changes (most tests: they prove the backbone's
# logic; the trust tests prove identity on the secured broker, which has compose's shape).
UNSECURED_OVERRIDES: dict[str, str | None] = {
    "listener.security.protocol.map": "CLIENT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    **{
        key: None
        for key in SHARED_SERVER_SETTINGS
        if key.startswith(("sasl.", "listener.name.", "authorizer.", "allow.everyone"))
    },
}


def scram_jaas(user: str, password: str) -> str:
    return (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{password}";'
    )


def plain_jaas(user: str, password: str) -> str:
    return (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{user}" password="{password}" user_{user}="{password}";'
    )


@dataclass(frozen=True)
class SuperUser:
    """The backbone's own principal: super user, SCRAM on CLIENT and PLAIN on CONTROLLER."""

    name: str = "rj-backbone"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
