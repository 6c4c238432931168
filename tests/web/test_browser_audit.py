"""The auditor pages in headless Chromium: history with the export download, a case at an
instant both ways, one case verified, and the whole log verified as a job whose page shows how far
it has got, then its result by itself (the page polls; no timed refresh)."""

from __future__ import annotations

import re
from typing import Any

from services.web.verify_jobs import VerifyJobs
from tests.web.browser import HOSTILE, Site, expect, shot, sign_in
from tests.web.verify_gate import Gate


def test_the_auditor_pages(page: Any, site: Site) -> None:
    sign_in(page, site, site.token("pcc:west-yorkshire", "auditor"))
    page.goto(f"{site.url}/web/audit")
    shot(page, "audit")
    page.goto(f"{site.url}/web/audit/history?case={site.hostile_case}")
    assert HOSTILE in page.locator("main").inner_text()
    shot(page, "audit-history")
    download = page.get_by_role("link", name="Download the export of this case (zip)")
    with page.expect_download() as started:
        download.click()
    assert started.value.suggested_filename == f"audit-export-{site.hostile_case}.zip"
    # referred on 2025-01-03 (occurred), recorded only when the test ran: the two views differ
    page.goto(f"{site.url}/web/audit/at?case={site.hostile_case}&at=2025-06-01T00:00Z")
    status = page.get_by_test_id("state").get_by_role("row", name="status")
    assert status.locator("td").all_inner_texts() == ["not referred yet", "open", "no"]
    shot(page, "audit-at")
    page.goto(f"{site.url}/web/audit/verify?case={site.hostile_case}")
    expect(page.get_by_test_id("verified")).to_be_visible()
    shot(page, "audit-verify-case")
    assert page.problems == []


def test_an_auditor_verifies_the_whole_log_and_sees_how_far_it_has_got(
    page: Any, site: Site
) -> None:
    gate = Gate()  # the real check, held after its second page of 20 notifications
    site.app.state.verify_jobs = VerifyJobs(run=gate)
    sign_in(page, site, site.token("pcc:west-yorkshire", "auditor"))
    page.goto(f"{site.url}/web/audit")
    page.get_by_role("button", name="Start verification").click()
    page.wait_for_url("**/web/audit/verify/*")
    assert gate.reached.wait(10)
    expect(page.get_by_test_id("progress")).to_have_text(re.compile(r"20 of \d+ checked \(\d+%\)"))
    assert page.get_by_label("Notifications checked").evaluate("bar => bar.value") == 20
    shot(page, "audit-verify-progress")
    gate.go.set()  # the page polls, then shows the result by itself
    expect(page.get_by_test_id("verified")).to_be_visible(timeout=15_000)
    assert "Log head" in page.locator("main").inner_text()
    shot(page, "audit-verify")
    page.get_by_role("link", name="Your verifications").click()
    expect(page.get_by_test_id("jobs").get_by_text("Verified")).to_be_visible()
    shot(page, "audit-verify-jobs")
    assert page.problems == []
