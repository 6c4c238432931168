"""Fixtures of the web page tests: one SQLite backbone with the six demo stories (read-only for
the tests that share it), the test issuer, and a way to sign a client in; for the browser tests
a served site, Chromium and a page (tests/web/browser.py, imported only by them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.bootstrap import Backbone, build
from services.demo.runner import run_all
from services.http import create_app
from tests.conftest import sqlite_settings
from tests.http_helpers import Issuer, api_settings


@pytest.fixture(scope="module")
def web_issuer() -> Issuer:
    return Issuer()


@pytest.fixture(scope="module")
def web_backbone(
    tmp_path_factory: pytest.TempPathFactory, web_issuer: Issuer
) -> Iterator[Backbone]:
    tmp: Path = tmp_path_factory.mktemp("web")
    bb = build(api_settings(sqlite_settings(tmp), tmp, web_issuer))
    run_all(bb.commands)
    yield bb
    bb.close()


@pytest.fixture
def web(web_backbone: Backbone) -> Iterator[TestClient]:
    with TestClient(create_app(web_backbone), raise_server_exceptions=False) as client:
        yield client


def sign_in(client: TestClient, token: str) -> None:
    client.get("/web/sign-in")  # the CSRF cookie
    csrf = client.cookies["rjb_csrf"]
    answer = client.post(
        "/web/sign-in", data={"token": token, "csrf": csrf, "next": "/web/"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.web.browser import serve

    yield from serve(tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.web.browser import launch

    yield from launch()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    from tests.web.browser import tab

    yield from tab(browser)
