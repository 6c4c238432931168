"""Fixtures of the HTTP API tests: the test issuer and a client of the API on a real store
(SQLite and PostgreSQL, as ``store_settings`` gives)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.bootstrap import Backbone, build
from services.http import create_app
from services.settings import Settings
from tests.http_helpers import Issuer, api_settings


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def api_backbone(store_settings: Settings, tmp_path: Path, issuer: Issuer) -> Iterator[Backbone]:
    """A backbone on SQLite and on PostgreSQL trusting the test issuer."""
    bb = build(api_settings(store_settings, tmp_path, issuer))
    yield bb
    bb.close()


@pytest.fixture
def api(api_backbone: Backbone) -> Iterator[TestClient]:
    with TestClient(create_app(api_backbone), raise_server_exceptions=False) as client:
        yield client
