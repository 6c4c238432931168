"""`rjb kafka credentials` and `rjb kafka acls` on the secured Apache Kafka, as an operator runs
them when onboarding an agency."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from adapters.apache_kafka import ApacheKafka


def rjb(
    tmp_path: Path, broker: ApacheKafka, prefix: str, *args: str
) -> subprocess.CompletedProcess[str]:
    assert broker.super_user is not None
    env = {
        **os.environ,
        "RJB_SQLITE_PATH": str(tmp_path / "rjb.sqlite3"),
        "RJB_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "RJB_KAFKA_TOPIC_PREFIX": prefix,
        "RJB_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "RJB_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "RJB_KAFKA_SASL_USERNAME": broker.super_user.name,
        "RJB_KAFKA_SASL_PASSWORD": broker.super_user.password,
    }
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_onboarding_an_agency_issues_credentials_then_grants_its_inbound_topic(
    tmp_path: Path, secure_kafka_broker: ApacheKafka
) -> None:
    prefix = f"o{uuid.uuid4().hex[:8]}"
    issued = rjb(tmp_path, secure_kafka_broker, prefix, "kafka", "credentials", "issue", "pcc:kent")
    assert issued.returncode == 0, issued.stdout + issued.stderr
    assert "user: pcc.kent" in issued.stdout and "password: " in issued.stdout
    try:
        planned = rjb(tmp_path, secure_kafka_broker, prefix, "kafka", "acls", "--plan")
        assert f"+ User:pcc.kent WRITE topic {prefix}.inbound.pcc.kent.commands.v1" in (
            planned.stdout
        ), planned.stdout + planned.stderr
        applied = rjb(tmp_path, secure_kafka_broker, prefix, "kafka", "acls", "--apply")
        assert "change(s) applied" in applied.stdout, applied.stdout + applied.stderr
        again = rjb(tmp_path, secure_kafka_broker, prefix, "kafka", "acls", "--plan")
        assert "nothing to change" in again.stdout, again.stdout + again.stderr
    finally:
        rjb(tmp_path, secure_kafka_broker, prefix, "kafka", "credentials", "revoke", "pcc:kent")
        rjb(tmp_path, secure_kafka_broker, prefix, "kafka", "acls", "--apply")


def test_credentials_are_refused_for_an_invented_or_look_alike_agency(
    tmp_path: Path, secure_kafka_broker: ApacheKafka
) -> None:
    for code in ("pcc:nowhere", "pcc:k\u0435nt", "PCC:Kent"):
        result = rjb(tmp_path, secure_kafka_broker, "x", "kafka", "credentials", "issue", code)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "refused:" in result.stdout
