"""Screenshots of each role's pages at phone and desktop width, and a check that no page scrolls
sideways. Runs against a server that is already up (e.g. `make run`) with the demo accounts:

    .venv/bin/python bench/screens.py [--base http://127.0.0.1:8000] [--out var/screens]

Writes one PNG per (role, page, width) into --out (not committed) and prints every page whose
document is wider than the window. Exit status 1 when any page overflows."""

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-2026")
WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}
# role → the pages that role uses most (its landing page first); "first:/list/" opens the list's
# first row.
PAGES = {
    "demo_liaison_mzt": [
        "/",
        "/items/inbox/",
        "first:/items/inbox/",
        "/deadlines/",
        "first:/deadlines/",
        "/deadlines/notifications/",
        "/meetings/",
        "/mechanism/",
    ],
    "demo_convener": [
        "/",
        "/dashboard/",
        "/deadlines/overdue/",
        "/dashboard/list/?metric=overdue",
        "/items/queue/",
        "/meetings/",
    ],
    "demo_office": [
        "/",
        "/items/queue/",
        "first:/items/queue/",
        "/items/new/",
        "/deadlines/",
        "/deadlines/preview/",
        "/deadlines/calendar/",
        "/deadlines/deliveries/",
        "/communities/",
        "/communities/progress/",
        "/meetings/",
        "/dashboard/notice/",
    ],
    "demo_city_guiyang": ["/", "/deadlines/", "/communities/", "/communities/progress/"],
}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--out", default="var/screens")
    ap.add_argument("--no-shots", action="store_true", help="only check widths")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    overflow = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        for username, paths in PAGES.items():
            for width_name, (w, h) in WIDTHS.items():
                context = browser.new_context(locale="zh-CN", base_url=args.base, viewport={"width": w, "height": h})
                page = context.new_page()
                page.goto("/accounts/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                for path in paths:
                    if path.startswith("first:"):
                        page.goto(path.removeprefix("first:"))
                        link = page.locator("table tbody tr td a").first
                        if not link.count():
                            continue
                        path = link.get_attribute("href").split("#")[0]
                    page.goto(path)
                    page.wait_for_load_state()
                    sw = page.evaluate("document.documentElement.scrollWidth")
                    status = "ok" if sw <= w else f"OVERFLOW {sw}px"
                    if sw > w:
                        overflow.append((username, width_name, path, sw))
                    print(f"{username:<20} {width_name:<8} {path:<36} {status}")
                    if not args.no_shots:
                        page.screenshot(path=str(out / f"{username}-{slug(path)}-{width_name}.png"), full_page=True)
                context.close()
        browser.close()
    print(f"\n{len(overflow)} page(s) wider than the window")
    return 1 if overflow else 0


if __name__ == "__main__":
    sys.exit(main())
