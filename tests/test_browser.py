"""The review page in a real browser: Debian's Chromium driven by Playwright.

Skips when /usr/bin/chromium is missing, unless VERIFIER_BROWSER_REQUIRED is set (as in
CI, which installs it), where a skip would hide a broken set-up and so fails instead.
It takes a screenshot of the flag page; with VERIFIER_UPDATE_SCREENSHOT=1 it writes it
to docs/review-flag.png, the one the README shows.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SEEDS, served
from verifier import review
from verifier.cli import cli
from verifier.web import create_app

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.block_network(allowed_hosts=["127.0.0.1"])]


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("VERIFIER_BROWSER_REQUIRED"):
            pytest.fail(f"{CHROMIUM} is required but missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    _require_chromium()
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with served(create_app()) as url:
        yield url


def test_confirm_a_flag_with_the_keyboard(server: str, verifier_home: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server + "/")
            rows = page.locator("#queue tbody tr[data-flag]")
            assert rows.count() == len(review.list_flags()) >= 3
            flag_id = rows.first.get_attribute("data-flag")
            rows.first.locator("a").click()
            page.wait_for_url(f"**/flags/{flag_id}**")
            assert page.locator("mark").count() == 2
            page.fill("#reviewer", "browser-test")
            page.locator("h2").click()  # leave the text field so the shortcut is a shortcut
            shot = ROOT / "docs" if os.environ.get("VERIFIER_UPDATE_SCREENSHOT") else tmp_path
            page.screenshot(path=str(shot / "review-flag.png"), full_page=True)
            assert (shot / "review-flag.png").stat().st_size > 10_000
            with page.expect_navigation():
                page.keyboard.press("c")
            assert flag_id not in page.url  # moved on to the next open flag
        finally:
            browser.close()

    db = sqlite3.connect(verifier_home / "verifier.db")
    rows_in_db = db.execute("SELECT flag_id, decision, reviewer FROM decisions").fetchall()
    assert rows_in_db == [(flag_id, "confirmed", "browser-test")]

