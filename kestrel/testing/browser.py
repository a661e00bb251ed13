"""Browser-test helpers: Debian's Chromium under Playwright, axe-core, and signing in."""

import json
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
