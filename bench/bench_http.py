"""HTTP commands/s with N concurrent clients: coalesced (one transaction per window) vs window 0.

``rjb api`` runs as its own process on a scratch PostgreSQL database (the throwaway server of
``bench/pg.py``), trusting a bench issuer (ES256 key, JWKS file). N clients
(``RJB_BENCH_HTTP_CLIENTS``, 32) each POST referrals one after the other until
``RJB_BENCH_HTTP_COMMANDS`` (2000) are stored; first with ``RJB_HTTP_COALESCE_MS=0`` (each
request its own transaction, as before coalescing), then with the window
``RJB_BENCH_HTTP_WINDOW_MS`` (default: the setting's default). Ratio = coalesced / window 0.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import jwt
import orjson
import psycopg
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from bench.kafka_workload import referrals, store_settings
from services.settings import Settings

CLIENTS = int(os.environ.get("RJB_BENCH_HTTP_CLIENTS", "32"))
COMMANDS = int(os.environ.get("RJB_BENCH_HTTP_COMMANDS", "2000"))
WINDOW_MS = float(os.environ.get("RJB_BENCH_HTTP_WINDOW_MS", Settings().http_coalesce_ms))
AGENCY = "police:west-yorkshire"
ISSUER, AUDIENCE = "https://issuer.bench.test", "rjb-backbone"


class BenchIssuer:
    """Signs the clients' access token; its JWKS is the file the API is given."""

    def __init__(self, directory: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        jwk = orjson.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = directory / "jwks.json"
        self.jwks.write_bytes(orjson.dumps({"keys": [{**jwk, "kid": "bench", "alg": "ES256"}]}))

    def token(self) -> str:
        now = int(time.time())
        claims = dict(iss=ISSUER, aud=AUDIENCE, sub="bench", iat=now, exp=now + 3600)
        claims["rjb_agency"] = AGENCY
        return jwt.encode(claims, self.key, "ES256", headers={"kid": "bench"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def api_env(settings: Settings, issuer: BenchIssuer, port: int, window_ms: float) -> dict[str, str]:
    master_key = settings.personal_data_master_key.get_secret_value()
    rjb = {
        "STORE": "postgres",
        "POSTGRES_HOST": settings.postgres_host,
        "POSTGRES_PORT": str(settings.postgres_port),
        "POSTGRES_USER": settings.postgres_user,
        "POSTGRES_DBNAME": settings.postgres_dbname,
        "PERSONAL_DATA_MASTER_KEY": master_key,
        "OAUTH_ISSUER": ISSUER,
        "OAUTH_AUDIENCE": AUDIENCE,
        "OAUTH_JWKS_FILE": str(issuer.jwks),
        "HTTP_PORT": str(port),
        "HTTP_COALESCE_MS": str(window_ms),
    }
    return {**os.environ, **{f"RJB_{name}": value for name, value in rjb.items()}}


async def until_live(client: httpx2.AsyncClient, api: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise RuntimeError(f"rjb api exited with {api.returncode}")
        try:
            if (await client.get("/health/live")).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("rjb api did not start")


async def post_all(client: httpx2.AsyncClient, token: str, bodies: list[dict[str, Any]]) -> float:
    """Seconds for ``CLIENTS`` clients, each posting its share one request at a time."""
    headers = {"Authorization": f"Bearer {token}"}

    async def one_client(share: list[dict[str, Any]]) -> None:
        for body in share:
            response = await client.post("/v1/commands", json=body, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(one_client(bodies[i::CLIENTS]) for i in range(CLIENTS)))
    return time.perf_counter() - started


async def run(window_ms: float, tmp: Path) -> tuple[float, int]:
    """Commands/s of the API with this window, on a fresh database."""
    issuer = BenchIssuer(tmp)
    bodies = [{k: v for k, v in c.items() if k != "agency"} for c in referrals(COMMANDS + 50)]
    master_key = SecretStr(base64.b64encode(secrets.token_bytes(32)).decode())
    with store_settings("postgres", tmp, personal_data_master_key=master_key) as settings:
        port = free_port()
        env = api_env(settings, issuer, port, window_ms)
        command = [sys.executable, "-m", "services", "api"]
        api = subprocess.Popen(command, env=env, cwd=tmp, stdout=subprocess.DEVNULL)
        limits = httpx2.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        try:
            async with httpx2.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
            ) as client:
                await until_live(client, api)
                await post_all(client, issuer.token(), bodies[COMMANDS:])  # warm-up
                seconds = await post_all(client, issuer.token(), bodies[:COMMANDS])
        finally:
            api.terminate()
            api.wait(30)
        events, writes = stored(settings)
        assert events == COMMANDS + 50, f"{events} events stored"
    return COMMANDS / seconds, writes


def stored(settings: Settings) -> tuple[int, int]:
    """Events stored, and the transactions that wrote them (distinct ``xmin`` of their rows)."""
    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        dbname=settings.postgres_dbname,
    ) as conn:
        table = conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'notification_id' AND table_name LIKE '%events'"
        ).fetchone()
        assert table is not None
        row = conn.execute(f'SELECT count(*), count(DISTINCT xmin::text) FROM "{table[0]}"')
        events, writes = row.fetchone() or (0, 0)
    return int(events), int(writes)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        alone, alone_writes = asyncio.run(run(0, tmp))
        coalesced, writes = asyncio.run(run(WINDOW_MS, tmp))
    print(f"POST /v1/commands: {COMMANDS} referrals (+50 to warm up) from {CLIENTS} concurrent")
    print("clients; rjb api in its own process on PostgreSQL")
    print(f"  window 0: {alone:8.0f} commands/s ({alone_writes} transactions)")
    ratio = coalesced / alone
    print(
        f"  coalesced, {WINDOW_MS:g} ms window: {coalesced:8.0f} commands/s ({writes} "
        f"transactions, {(COMMANDS + 50) / writes:.1f} commands each); {ratio:.2f} x window 0"
    )


if __name__ == "__main__":
    main()
