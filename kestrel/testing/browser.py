"""Browser-test helpers: Debian's Chromium under Playwright, axe-core, and signing in."""

import json
import os
import shutil
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

AXE_PATH = Path(__file__).resolve().parents[1] / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe.from_file(AXE_PATH)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "Browser tests need Debian's chromium: `apt-get install chromium` (.ci/run does it)."
        )
    return path


def axe_violations(page) -> list[dict]:
    """Runs axe-core's WCAG 2.2 AA rules on the page as it is now; returns the violations."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    return results.response["violations"]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    summary = [
        {"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
    assert not violations, f"axe found problems on {page.url}:\n{json.dumps(summary, indent=2)}"


def sign_in(page, live_server_url: str, email: str, password: str) -> None:
    """Signs in through the sign-in page as a person would, with the code from their phone."""
    from kestrel.accounts.emails import normalise
    from kestrel.accounts.models import User
    from kestrel.testing.auth import authenticator_for, next_unused_code

    device = authenticator_for(User.objects.get(email=normalise(email)))
    page.goto(f"{live_server_url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Login").click()
    if "/login/verify/" in page.url:
        page.get_by_label("Code from your authenticator app").fill(next_unused_code(device))
        page.get_by_role("button", name="Continue").click()


# Every element wider than the window, except inside a wide table's own scrolling region
# (.kestrel-table-wrapper), named by its innermost overflowing element.
WIDER_THAN_THE_WINDOW = """
[...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(
    ".kestrel-table-wrapper") && ![...e.children].some(
    c => c.getBoundingClientRect().right > window.innerWidth + 1))
  .map(e => e.tagName + "." + e.className + ": " + (e.textContent || "").trim().slice(0, 60))
"""
SCREEN_WIDTHS = (320, 1280)  # a phone's and a desktop's


def check_page(page, name: str) -> None:
    """The page at a phone's width and a desktop's: nothing wider than the window, axe clean;
    with KESTREL_SCREENSHOTS set to a folder, a full-page screenshot of each (`name`-`width`.png)
    to look at."""
    shots = os.environ.get("KESTREL_SCREENSHOTS", "")
    for width in SCREEN_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        wide = page.evaluate(WIDER_THAN_THE_WINDOW)
        assert wide == [], f"{name} is wider than {width} px: {wide}"
        assert_accessible(page)
        if shots:
            page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": SCREEN_WIDTHS[-1], "height": 900})
