"""What the browser tests share: the site (a backbone with the demo stories and a case whose
summary holds <script> and Rich markup, served by uvicorn in a thread), Debian's Chromium driven by
Playwright with the pages' Content-Security-Policy on, signing in, the axe-core check and the
screenshots (build/web-screenshots/; with ``RJB_DOCS_SCREENSHOTS=DIR`` also the README's, reduced
to 32 colours with Pillow, into DIR).

Without /usr/bin/chromium, the GOV.UK assets or axe-core (``make chromium govuk-assets axe-core``)
the browser tests are skipped, or fail under CI."""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import uvicorn
from fastapi import FastAPI

from adapters.local_broker import free_port
from services.bootstrap import Backbone, build
from services.demo.runner import run_all
from services.dev_issuer import DevIssuer
from services.http import create_app
from services.web.render import ASSETS
from tests.conftest import sqlite_settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUILD = Path(__file__).parents[2] / "build"
SHOTS = BUILD / "web-screenshots"
AXE = BUILD / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else ""
DOCS = os.environ.get("RJB_DOCS_SCREENSHOTS")  # e.g. docs/screenshots
HOSTILE = "<script>window.__pwned = 1</script> [/] [bold red]not markup[/bold red]"

if not (CHROMIUM.exists() and (ASSETS / "govuk-frontend.min.css").exists() and AXE.exists()):
    if os.environ.get("CI"):
        raise RuntimeError(
            "the browser tests need `make chromium govuk-assets axe-core` (make test does it)"
        )
    pytest.skip(
        "needs /usr/bin/chromium, the GOV.UK assets and axe-core: "
        "make chromium govuk-assets axe-core",
        allow_module_level=True,
    )

playwright: Any = pytest.importorskip("playwright.sync_api")
expect = playwright.expect


class Site:
    def __init__(self, url: str, app: FastAPI, backbone: Backbone, hostile_case: str) -> None:
        self.url, self.app, self.backbone, self.hostile_case = url, app, backbone, hostile_case
        self.issuer = DevIssuer.from_settings(backbone.settings)

    def token(self, agency: str, *roles: str) -> str:
        return self.issuer.issue(agency, roles)


def _hostile_case(backbone: Backbone) -> str:
    case_id = str(uuid4())
    backbone.commands.handle(
        backbone.commands.parse(
            {
                "type": "refer_case",
                "case_id": case_id,
                "agency": "pcc:west-yorkshire",
                "user": "hub-officer",
                "route": "police",
                "cjs_stage": "custody",
                "command_id": str(uuid4()),
                "occurred_at": "2025-01-03T09:00:00+00:00",
                "crime_type": "burglary",
                "pcc_area": "west-yorkshire",
                "crime_reported_on": "2025-01-02",
                "summary": HOSTILE,
            }
        )
    )
    return case_id


def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The ``site`` fixture (tests/web/conftest.py): one server for a test module."""
    tmp = tmp_path_factory.mktemp("web-e2e")
    backbone = build(sqlite_settings(tmp))  # the development issuer is on
    run_all(backbone.commands)
    case_id = _hostile_case(backbone)
    port, app = free_port(), create_app(backbone)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", app, backbone, case_id)
    server.should_exit = True
    thread.join(10)
    backbone.close()


def launch() -> Iterator[Any]:
    """The ``browser`` fixture: one Chromium for a test module."""
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def tab(browser: Any) -> Iterator[Any]:
    """The ``page`` fixture: a new context per test; ``tab.problems`` collects console errors."""
    # the pages' CSP stays on; 1010 px holds the GOV.UK width container (960) and margins
    context = browser.new_context(viewport={"width": 1010, "height": 720})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: problems.append(str(e)))
    opened.problems = problems
    yield opened
    context.close()


def sign_in(page: Any, site: Site, token: str) -> None:
    page.goto(f"{site.url}/web/")
    assert page.url.startswith(f"{site.url}/web/sign-in")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/web/")


def accessible(page: Any) -> None:
    """axe-core on the page as it is now: fails on any serious or critical violation. axe is
    evaluated over the DevTools protocol, which the page's CSP does not govern (a <script> tag
    would be refused), so the pages are checked under their real policy."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))"
    )
    assert not found, f"axe-core on {page.url}:\n" + "\n".join(
        f"  {v['impact']} {v['id']}: {v['help']} at {', '.join(v['nodes'])}" for v in found
    )


def shot(page: Any, name: str) -> None:
    """Checks the page with axe-core, then keeps a screenshot of it."""
    accessible(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    taken = SHOTS / f"{name}.png"
    page.screenshot(path=str(taken), full_page=True)
    if DOCS:
        image = importlib.import_module("PIL.Image")  # only to regenerate the README's
        reduced = image.open(taken).convert("RGB").quantize(32)
        reduced.save(Path(DOCS) / taken.name, optimize=True)
