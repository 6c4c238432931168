"""Kafka clients the relay keeps open between its checks, each answer bounded in time.

A new client per check (connect, bootstrap metadata, one request, close) cost the relay: a new
admin client per batch for the cluster id was about a tenth of its time, and a new consumer for
the end offsets every few seconds held publishing up for 110-300 ms (the old p99 of end-to-end
latency). Kept open, a check is one round trip. An ask that fails, or gets no answer within
``timeout`` (a client left talking to a broker that was restarted behind the same address can
otherwise wait out its 40 s request timeout), closes the client and asks once more on a fresh
one, so a broker restarted or replaced is asked exactly as a new one would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.metadata import MetadataRequest

ASK_TIMEOUT = 10.0  # seconds for one ask (opening the client included)

Client = TypeVar("Client")
Answer = TypeVar("Answer")


class KeptOpen(Generic[Client]):
    def __init__(
        self,
        open_client: Callable[[], Awaitable[Client]],
        close_client: Callable[[Client], Awaitable[None]],
        timeout: float = ASK_TIMEOUT,
    ) -> None:
        self.open_client, self.close_client, self.timeout = open_client, close_client, timeout
        self._client: Client | None = None

    async def ask(self, question: Callable[[Client], Awaitable[Answer]]) -> Answer:
        """``question``'s answer; after a failure or a timeout, once more on a fresh client.
        An unreachable broker raises (``KafkaError`` or ``OSError``, ``TimeoutError`` too)."""
        try:
            return await self._ask(question)
        except (KafkaError, OSError):
            return await self._ask(question)

    async def _ask(self, question: Callable[[Client], Awaitable[Answer]]) -> Answer:
        try:
            if self._client is None:
                self._client = await asyncio.wait_for(self.open_client(), self.timeout)
            return await asyncio.wait_for(question(self._client), self.timeout)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await self.close_client(client)


class ClusterIdentity:
    """The cluster id, asked before every relay batch: a metadata request for no topic, whose
    answer carries the id. (``AIOKafkaAdminClient.describe_cluster`` asks for the metadata of
    every topic, which the broker builds and the relay decodes only to drop: with one topic per
    agency, a tenth of the relays' time and a load on the broker at every batch.)"""

    def __init__(self, connection: dict[str, Any], timeout: float = ASK_TIMEOUT) -> None:
        async def open_client() -> AIOKafkaClient:
            client = AIOKafkaClient(**connection)
            await client.bootstrap()
            return client

        async def close_client(client: AIOKafkaClient) -> None:
            await client.close()

        self.client = KeptOpen(open_client, close_client, timeout)

    async def current(self) -> str:
        async def describe(client: AIOKafkaClient) -> str:
            answer = await client.send(client.get_random_node(), MetadataRequest([]))
            return str(getattr(answer, "cluster_id", "") or "")

        return await self.client.ask(describe)

    async def close(self) -> None:
        await self.client.close()


class EndOffsets:
    """Partitions' end offsets (ListOffsets, latest), asked every few seconds."""

    def __init__(self, connection: dict[str, Any], timeout: float = ASK_TIMEOUT) -> None:
        async def open_consumer() -> AIOKafkaConsumer:
            consumer = AIOKafkaConsumer(**connection, enable_auto_commit=False)
            await consumer.start()
            return consumer

        async def close_consumer(consumer: AIOKafkaConsumer) -> None:
            await consumer.stop()

        self.client = KeptOpen(open_consumer, close_consumer, timeout)

    async def of(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        async def ends(consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
            answer: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
            return answer

        return await self.client.ask(ends)

    async def close(self) -> None:
        await self.client.close()
