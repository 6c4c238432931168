"""The pages end to end in headless Chromium under their real Content-Security-Policy: sign in
with a development token, the register, a prison's page shows its own prison only, a case page
refused to an agency not entitled, stored text with <script> and Rich markup shown literally, the
skip link first on Tab, no console error on any page, and a script without the pages' nonce
refused. Each page is checked with axe-core and kept as a screenshot (tests/web/browser.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.browser import (
    HOSTILE,
    Site,
    accessible,
    expect,
    playwright,
    shot,
    sign_in,
)


def test_a_prison_signs_in_sees_the_register_and_its_own_prison_only(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/web/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
    shot(page, "sign-in")
    sign_in(page, site, site.token("prison:LEI"))
    assert page.get_by_test_id("viewer").inner_text() == "prison:LEI"
    page.get_by_role("link", name="Agreements register").first.click()
    page.wait_for_url(f"{site.url}/web/agreements")
    expect(page.get_by_role("heading", name="Agreements register")).to_be_visible()
    assert "ISA-WY-RJ-001" in page.get_by_test_id("register").inner_text()
    shot(page, "agreements")
    page.goto(f"{site.url}/web/prison")
    assert page.get_by_role("heading", level=1).inner_text() == "Prison liaison: LEI"
    for row in page.get_by_test_id("moves").locator("tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        assert len(cells) == 1 or "LEI" in (cells[4], cells[5]), cells
    page.get_by_label("Cases to show").select_option("open")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/web/prison?status=open")
    shot(page, "prison")
    assert page.problems == []


def test_a_case_page_is_refused_to_an_agency_not_entitled(page: Any, site: Site) -> None:
    sign_in(page, site, site.token("pcc:kent"))
    answer = page.goto(f"{site.url}/web/cases/{site.hostile_case}")
    assert answer.status == 403
    expect(page.get_by_role("heading", name="You cannot see this page")).to_be_visible()
    assert "does not work in west-yorkshire" in page.get_by_test_id("reason").inner_text()
    shot(page, "refused")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.url}/web/sign-in")
    assert page.problems == [m for m in page.problems if "403" in m]  # the refusal itself


def test_stored_text_is_shown_literally_never_as_markup(page: Any, site: Site) -> None:
    sign_in(page, site, site.token("pcc:west-yorkshire"))
    page.goto(f"{site.url}/web/cases/{site.hostile_case}")
    assert HOSTILE in page.get_by_test_id("timeline").inner_text()
    assert page.evaluate("window.__pwned") is None
    shot(page, "case")
    page.goto(f"{site.url}/web/delays?at=not-a-date")
    assert "is not a date" in page.locator(".govuk-error-summary").inner_text()
    accessible(page)
    page.get_by_label("As at (date)").fill("2030-01-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/web/delays?at=2030-01-01")
    expect(page.get_by_role("heading", name="Delays in west-yorkshire")).to_be_visible()
    shot(page, "delays")
    page.goto(f"{site.url}/web/performance")
    cohorts = page.get_by_test_id("cohorts")
    first = cohorts.get_by_role("row", name="2023-Q1").locator("td").all_inner_texts()
    assert first[:2] == ["1", "1"] and "100% (1 of 1)" in first[2] and "100%" in first[3]
    later = cohorts.get_by_role("row", name="2025-Q1").locator("td").all_inner_texts()
    assert later[:2] == ["1", "0"] and "- (0 of 0)" in later[2]  # referred, not offered yet
    shot(page, "performance")
    assert page.problems == [m for m in page.problems if "400" in m]  # the bad date's answer


VIOLATION = """() => new Promise(resolve => {
    document.addEventListener("securitypolicyviolation",
        e => resolve({directive: e.effectiveDirective, blocked: e.blockedURI}), {once: true});
    const injected = document.createElement("script");
    injected.textContent = "window.__inline = 1";
    document.body.append(injected);
})"""


def test_the_pages_run_under_their_content_security_policy(page: Any, site: Site) -> None:
    sign_in(page, site, site.token("pcc:west-yorkshire"))
    answer = page.goto(f"{site.url}/web/agreements")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe" not in policy
    # the nonce'd inline scripts ran: GOV.UK Frontend is on and its components initialised
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert page.locator("[data-govuk-button-init]").count() >= 1
    # a script put into the page without the nonce is refused, and the browser says why
    assert page.evaluate(VIOLATION) == {"directive": "script-src-elem", "blocked": "inline"}
    assert page.evaluate("window.__inline") is None
    with pytest.raises(playwright.Error):
        page.add_script_tag(content="window.__tagged = 1")
    assert page.evaluate("window.__tagged") is None
    assert page.problems and all("Content Security Policy" in m for m in page.problems)
