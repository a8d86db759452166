"""The batches page in a real browser: upload the seeds, watch the progress reach 100 %, open the
batch's review queue and decide a flag (Debian's Chromium through Playwright, as test_browser)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEEDS, served
from tests.test_browser import CHROMIUM, _require_chromium
from verifier.service import BatchService
from verifier.web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.block_network(allowed_hosts=["127.0.0.1"])]


@pytest.fixture
def server(verifier_home: Path) -> Iterator[str]:
    _require_chromium()
    service = BatchService(home=verifier_home)
    service.start()
    with served(create_app(home=verifier_home, service=service)) as url:
        yield url
    service.close()


def test_upload_watch_progress_then_review(server: str, verifier_home: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server + "/batches")
            page.set_input_files("input[name=files]", [str(p) for p in sorted(SEEDS.iterdir())])
            page.select_option("select[name=backend]", "rules")
            page.click("#upload button[type=submit]")
            row = page.locator("#jobs tbody tr").first
            expect(row.locator(".pct")).to_have_text("100%", timeout=120_000)
            expect(row).to_have_attribute("data-status", "done", timeout=30_000)
            expect(row.locator(".count")).to_have_text("5 / 5")
            row.locator("a", has_text="review queue").click()
            flags = page.locator("#queue tbody tr[data-flag]")
            expect(flags.first).to_be_visible()
            flag_id = flags.first.get_attribute("data-flag")
            flags.first.locator("a").click()
            page.wait_for_url(f"**/flags/{flag_id}**")
            page.fill("#reviewer", "uploader")
            page.locator("h2").click()
            with page.expect_navigation():
                page.keyboard.press("c")
        finally:
            browser.close()

    db = sqlite3.connect(verifier_home / "verifier.db")
    assert db.execute("SELECT flag_id, decision, reviewer FROM decisions").fetchall() == [
        (flag_id, "confirmed", "uploader")]
    assert db.execute("SELECT status FROM jobs").fetchall() == [("done",)]
