"""Runs a real Apache Kafka broker (KRaft combined mode) from jars fetched with Maven.

The tests prove the backbone on the broker production runs, and ``rjb broker --apache`` (or
``make kafka``) starts the same one by hand. The jars come from Maven Central through the pom in
``deploy/kafka/`` into a git-ignored folder, reused when present. One process is both broker and
controller, on free loopback ports, with its own data directory formatted with a proper cluster
id. :meth:`ApacheKafka.restart` comes back *empty* (a new cluster id on the same ports): that is
the broker loss the relay must survive.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

from adapters.kafka_server_settings import (
    SHARED_SERVER_SETTINGS,
    UNSECURED_OVERRIDES,
    SuperUser,
    plain_jaas,
    scram_jaas,
)
from adapters.local_broker import free_port

ROOT = Path(__file__).resolve().parents[1]
POM = ROOT / "deploy" / "kafka" / "pom.xml"
LIBS = Path(os.environ.get("RJB_KAFKA_LIBS", ROOT / "build" / "apache-kafka" / "libs"))

LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
logger.state.name = state.change.logger
logger.state.level = warn
"""


class KafkaUnavailable(RuntimeError):
    """The broker could not be fetched or started (the message says what to do)."""


def random_cluster_id() -> str:
    """The ``kafka-storage random-uuid`` format: 16 random bytes, URL-safe base64, no padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def fetch_jars(libs: Path = LIBS) -> Path:
    """The broker's jars, fetched with Maven into ``libs`` unless a complete copy is there."""
    stamp = libs / ".complete"
    if stamp.is_file():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaUnavailable("Maven (mvn) is needed to fetch Apache Kafka's jars")
    partial = libs.with_name(libs.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={partial}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise KafkaUnavailable(f"mvn failed to fetch Apache Kafka:\n{result.stdout}{result.stderr}")
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    stamp.write_text(kafka_version(libs) + "\n")
    return libs


def kafka_version(libs: Path = LIBS) -> str:
    """The version of the ``kafka_2.13`` jar in ``libs`` (e.g. ``4.1.1``)."""
    for jar in libs.glob("kafka_2.13-*.jar"):
        return jar.name.removeprefix("kafka_2.13-").removesuffix(".jar")
    raise KafkaUnavailable(f"no kafka_2.13 jar in {libs}")


class ApacheKafka:
    """One Apache Kafka process, broker and controller, on ``host`` (loopback by default)."""

    def __init__(
        self,
        data_dir: Path | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        libs: Path = LIBS,
        heap: str = "768m",
        secured_by: SuperUser | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.controller_port = free_port(host)
        self._own_dir = data_dir is None
        self.dir = data_dir or Path(tempfile.mkdtemp(prefix="rjb-kafka-"))
        self.libs = libs
        self.heap = heap
        self.super_user = secured_by
        self.cluster_id = ""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def version(self) -> str:
        return kafka_version(fetch_jars(self.libs))

    @property
    def log_file(self) -> Path:
        return self.dir / "server.log"

    @property
    def secured(self) -> bool:
        return self.super_user is not None

    def server_settings(self) -> dict[str, str]:
        client, controller = f"{self.host}:{self.port}", f"{self.host}:{self.controller_port}"
        settings = {
            **SHARED_SERVER_SETTINGS,
            "node.id": "1",
            "controller.quorum.voters": f"1@{controller}",
            "listeners": f"CLIENT://{client},CONTROLLER://{controller}",
            "advertised.listeners": f"CLIENT://{client}",
            "log.dirs": str(self.dir / "data"),
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "500",
        }
        if self.super_user is None:
            for key, value in UNSECURED_OVERRIDES.items():
                settings.pop(key, None)
                if value is not None:
                    settings[key] = value
            return settings
        user, password = self.super_user.name, self.super_user.password
        return {
            **settings,
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "super.users": f"User:{user}",
            "listener.name.client.scram-sha-512.sasl.jaas.config": scram_jaas(user, password),
            "listener.name.controller.plain.sasl.jaas.config": plain_jaas(user, password),
        }

    def _java(self, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaUnavailable("Java 17 (java) is needed to run Apache Kafka")
        log4j = f"-Dlog4j2.configurationFile={self.dir / 'log4j2.properties'}"
        return [
            java,
            f"-Xmx{self.heap}",
            "-XX:+UseSerialGC",
            log4j,
            "-cp",
            str(self.libs / "*"),
            main,
            *args,
        ]

    def _configure(self) -> Path:
        fetch_jars(self.libs)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "log4j2.properties").write_text(LOG4J2.format(log=self.log_file))
        config = self.dir / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.server_settings().items()))
        return config

    def format(self) -> None:
        """A fresh, empty data directory under a new cluster id (passed as ``--cluster-id=``:
        a random id may begin with ``-``, which the tool would take for an option)."""
        config = self._configure()
        shutil.rmtree(self.dir / "data", ignore_errors=True)
        self.cluster_id = random_cluster_id()
        command = self._java(
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={self.cluster_id}",
            "-c",
            str(config),
        )
        if self.super_user is not None:  # its SCRAM credential, before anyone can connect
            user, password = self.super_user.name, self.super_user.password
            command += ["--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise KafkaUnavailable(f"kafka-storage format failed: {result.stdout}{result.stderr}")

    def start(self, timeout: float = 60.0) -> ApacheKafka:
        if self.process is not None:
            return self
        if not (self.dir / "data" / "meta.properties").is_file():
            self.format()
        config = self._configure()
        self.log_file.unlink(missing_ok=True)
        with open(self.dir / "stdout.log", "ab") as out:
            self.process = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise KafkaUnavailable(
                    f"Apache Kafka exited with {self.process.returncode}; see {self.log_file}"
                )
            started = self.log_file.is_file() and "Kafka Server started" in self.log_file.read_text(
                errors="replace"
            )
            if started and self._accepts():
                return
            time.sleep(0.1)
        self.stop()
        raise KafkaUnavailable(f"Apache Kafka not ready on {self.bootstrap} within {timeout}s")

    def _accepts(self) -> bool:
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self, timeout: float = 20.0) -> None:
        """A controlled shutdown (SIGTERM); killed if it takes longer than ``timeout``."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """``kill -9``: what a crashed broker looks like to its clients."""
        process, self.process = self.process, None
        if process is not None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self) -> ApacheKafka:
        """Killed, and back on the same ports with no data under a new cluster id."""
        self.kill()
        self.format()
        return self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ApacheKafka:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
