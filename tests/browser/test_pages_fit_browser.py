"""Every page of the admin's menu (a manager's pages and the staff pages) on a 1024×768 showroom PC: each answers
200, none scrolls sideways and no report hides its last columns in its frame, on the demo catalogue with its stock;
the forms its buttons open and the first record each list leads to as well.

Set POS_SCREENSHOTS to a folder to keep a screenshot of each page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pos.db import session_scope
from pos.demo import seed
from tests.conftest import browser_login

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("POS_SCREENSHOTS", "")) if os.environ.get("POS_SCREENSHOTS") else None
CUT_OFF_JS = (
    "() => Math.max(0, ...[...document.querySelectorAll('.table-wrap')].map(e => e.scrollWidth - e.clientWidth))"
)
SKIP = re.compile(r"(logout|\.pdf|\.csv|\.xlsx|\.json|\.xml|\.png|\.zip|/export|/download|/pdf$)", re.I)


def same_origin_paths(page: Any, selector: str) -> list[str]:
    """Same-origin GET links under ``selector``: no downloads, no page 2 of a list."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    paths = []
    for href in page.eval_on_selector_all(selector, "els => els.map(e => e.href)"):
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path) or "page=" in parts.query:
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(paths))


def test_every_admin_page_fits_1024_pixels(page: Any, engine: Any, make_user: Any) -> None:
    make_user("admin", "admin", "Lê Quản Trị")
    with session_scope(engine) as session:
        assert seed(session)
    page.set_viewport_size({"width": 1024, "height": 768})
    browser_login(page, "admin", "admin-pass")
    todo = same_origin_paths(page, "nav a[href], main a[href]")
    kinds = {re.sub(r"/[^/]*\d[^/]*", "/N", p.split("?")[0]) for p in todo}
    seen, problems = [], []
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        response = page.goto(path)
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        cut = page.evaluate(CUT_OFF_JS)  # a report's last columns scrolled out of its frame
        if response.status != 200 or overflow > 0 or cut > 0:
            problems.append(f"{path}: HTTP {response.status}, {overflow}px sideways, {cut}px of a table cut off")
        if SHOTS is not None:
            page.screenshot(path=str(SHOTS / f"{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_') or 'home'}-1024.png"))
        todo += [p for p in same_origin_paths(page, "nav a[href], main a.button[href]") if p not in seen]
        for link in same_origin_paths(page, "main table tbody a[href]"):  # one record of each kind
            kind = re.sub(r"/[^/]*\d[^/]*", "/N", link.split("?")[0])
            if kind not in kinds and "?" not in link:
                kinds.add(kind)
                todo.append(link)
    assert len(seen) > 45, seen  # the menu was walked, not just the home page
    assert not problems, problems
