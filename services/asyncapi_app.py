"""The FastStream application as documented by ``faststream docs gen`` (no connection made)."""

from __future__ import annotations

from faststream import FastStream
from faststream.specification import AsyncAPI

from services.inbound import Inbound
from services.settings import Settings

inbound = Inbound(Settings(), "localhost:9092")
app = FastStream(inbound.broker, specification=AsyncAPI(title="rj-backbone", version="0.1.0"))
