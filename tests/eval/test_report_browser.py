"""The HTML identity report opens in a real browser with every image loaded and no console error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_opens_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from storyboard.cli import main

    pages = tmp_path / "pages"
    assert main(["render", str(ROOT / "examples" / "five-friends.yaml"), "--engine", "draft",
                 "-o", f"{pages}/", "--cache", str(tmp_path / "c")]) == 0
    assert main(["eval", str(pages)]) == 0
    report = Path(f"{pages}.eval.html")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert images and all(done and width > 0 for done, width in images)
    assert errors == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
