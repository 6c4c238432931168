"""The cluster id asked before every relay batch, on one admin client kept open.

A new client per batch (connect, bootstrap metadata, DescribeCluster, close) was about a tenth
of the relay's time; kept open, each check is one round trip. A failed check closes it and asks
once more on a fresh client, so a broker restarted or replaced behind the same address is asked
exactly as before.
"""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError


class ClusterIdentity:
    def __init__(self, connection: dict[str, Any]) -> None:
        self.connection = connection
        self._admin: AIOKafkaAdminClient | None = None

    async def current(self) -> str:
        """The cluster's id (DescribeCluster); an unreachable broker raises."""
        try:
            return await self._describe()
        except (KafkaError, OSError):
            await self.close()
            return await self._describe()

    async def _describe(self) -> str:
        if self._admin is None:
            admin = AIOKafkaAdminClient(**self.connection)
            await admin.start()
            self._admin = admin
        try:
            described = await self._admin.describe_cluster()
        except BaseException:
            await self.close()
            raise
        return str(described.get("cluster_id") or "")

    async def close(self) -> None:
        if self._admin is not None:
            admin, self._admin = self._admin, None
            await admin.close()
