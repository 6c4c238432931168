"""The relay's kept-open Kafka clients: one client between asks, and a client that hangs or
fails (a broker restarted behind the same address) is replaced at once, not waited out."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from adapters.kept_open import KeptOpen


class Clients:
    def __init__(self) -> None:
        self.opened: list[int] = []
        self.closed: list[int] = []

    async def open(self) -> int:
        self.opened.append(len(self.opened) + 1)
        return self.opened[-1]

    async def close(self, client: int) -> None:
        self.closed.append(client)


async def test_one_client_answers_every_ask_while_it_works() -> None:
    clients = Clients()
    kept = KeptOpen(clients.open, clients.close, timeout=1)

    async def which(client: int) -> int:
        return client

    assert [await kept.ask(which) for _ in range(3)] == [1, 1, 1]
    assert clients.opened == [1]


async def test_a_client_that_gets_no_answer_is_replaced_within_the_timeout() -> None:
    clients = Clients()
    kept = KeptOpen(clients.open, clients.close, timeout=0.05)

    async def first_one_hangs(client: int) -> int:
        if client == 1:
            await asyncio.sleep(3600)  # a broker restarted behind the same address
        return client

    started = asyncio.get_running_loop().time()
    assert await kept.ask(first_one_hangs) == 2
    assert asyncio.get_running_loop().time() - started < 1
    assert clients.closed == [1]


async def test_a_failed_ask_is_asked_once_more_on_a_fresh_client_and_then_raises() -> None:
    clients = Clients()
    kept = KeptOpen(clients.open, clients.close, timeout=1)

    async def broker_gone(client: int) -> int:
        raise KafkaConnectionError(f"client {client}: no broker")

    with pytest.raises(KafkaConnectionError, match="client 2"):
        await kept.ask(broker_gone)
    assert clients.opened == [1, 2] and clients.closed == [1, 2]


async def test_a_client_that_cannot_be_opened_in_time_raises_a_timeout() -> None:
    async def never_opens() -> int:
        await asyncio.sleep(3600)
        return 0

    async def close(_: int) -> None:
        pass

    async def anything(client: int) -> int:
        return client

    kept = KeptOpen(never_opens, close, timeout=0.05)
    with pytest.raises(TimeoutError):  # an OSError: the relay retries it like any outage
        await kept.ask(anything)
