"""The dashboards and the report in a real browser (Debian's headless Chromium driven by Playwright).

Superset (bi/.venv, installed by `make bi-install` here if missing) is set up and started on the
session's sample warehouse, on 127.0.0.1 and a free port. The test logs in, opens each dashboard,
compares a prefecture's headline ratio on the page with the mart, checks Chinese text renders with a
real font, saves screenshots; then publishes a second night (one more landed file, a later as-of
date) with Superset still running and checks the dashboard and the report show the new figures.
No request may leave the machine: every request to another host is recorded and fails the test.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import EXTRA_REGION, EXTRA_ROWS, NEXT_AS_OF

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DASHBOARDS = ("high-skill-ratio", "policy-scorecard", "data-quality")
SCREENSHOTS = Path(os.environ.get("TALENT_SCREENSHOTS", tempfile.gettempdir())) / "talent-browser-test"
# Does a CJK string render with a real glyph? A character no font has (U+10FFFD) draws the fallback
# box; if 高技能人才 draws the same pixels as boxes, the page shows tofu.
TOFU_CHECK = """() => {
  const draw = (text) => { const c = document.createElement('canvas'); c.width = 200; c.height = 40;
    const x = c.getContext('2d'); x.font = '24px ' + getComputedStyle(document.body).fontFamily;
    x.fillText(text, 0, 30); return c.toDataURL(); };
  return draw('高技能人才') !== draw('\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}\\u{10FFFD}');
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ratio(warehouse: Path, region: str) -> tuple[str, float]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select as_of_date::varchar, high_skill_ratio from marts.mart_high_skill_ratio where region_code = ? "
            "and as_of_date = (select max(as_of_date) from marts.mart_high_skill_ratio)", [region]).fetchone()
    finally:
        con.close()


@pytest.fixture(scope="module")
def superset(sample, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: apt-get install -y chromium fonts-noto-cjk (see .ci/run)")
    if not (ROOT / "bi" / ".venv" / "bin" / "superset").exists():
        # as from a shell: this process put .venv/bin first on PATH (for dbt), whose python has no uv
        venv_bin = str(ROOT / ".venv" / "bin")
        path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
        subprocess.run(["make", "bi-install"], cwd=ROOT, check=True, env={**os.environ, "PATH": path})
    port, password = _free_port(), secrets.token_urlsafe(12)
    env = {**os.environ, "TALENT_BI_HOME": str(tmp_path_factory.mktemp("bi")), "TALENT_BI_PASSWORD": password}
    log = (tmp_path_factory.mktemp("bi-log") / "superset.log").open("w")
    proc = subprocess.Popen(
        [str(ROOT / "bi" / ".venv" / "bin" / "python"), str(ROOT / "bi" / "setup.py"),
         "--warehouse", str(sample.warehouse), "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while True:
        if proc.poll() is not None:
            pytest.fail(f"Superset setup exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"Superset did not answer within 10 minutes; see {log.name}")
        time.sleep(2)
    yield base, password
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-"), executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1600, "height": 1400}, locale="zh-CN",
        )

        def guard(route):
            url = route.request.url
            if re.match(r"(https?://(127\.0\.0\.1|localhost)(:\d+)?/|file://|data:|blob:)", url):
                route.continue_()
            else:  # would leave the machine: recorded (the test fails) and never sent
                outside.append(url)
                route.abort()

        ctx.route("**/*", guard)
        yield ctx, outside
        ctx.close()


def _login(page, base: str, password: str, attempts: int = 3) -> None:
    """Sign in as an analyst would, trying again (as one would) when the form comes back: on a
    loaded machine the browser once stayed on the login page for two minutes after sending the form
    (Superset's log showed three sign-ins and then nothing)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        page.goto(base + "/login/")
        page.wait_for_selector("#username", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        page.fill("#username", "admin")
        page.fill("#password", password)
        page.keyboard.press("Enter")
        try:
            page.wait_for_url(lambda u: "/login" not in u, timeout=60_000)
            return
        except PlaywrightTimeout:
            if attempt == attempts:
                raise


def _open_dashboard(page, base: str, slug: str, attempts: int = 2) -> None:
    """Open a dashboard and wait for its charts. A page that shows no chart in two minutes is kept
    as a screenshot (`SCREENSHOTS`/stalled-<slug>-<n>.png) and opened again, as an analyst would
    reload it: on a loaded machine a page once stalled after its first requests (Superset's log
    showed nothing more), and the run failed there."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        page.goto(f"{base}/superset/dashboard/{slug}/")
        try:
            page.wait_for_selector(".dashboard-component-chart-holder", timeout=120_000)
            break
        except PlaywrightTimeout:
            page.screenshot(path=str(SCREENSHOTS / f"stalled-{slug}-{attempt}.png"), full_page=True)
            if attempt == attempts:
                raise
    # every chart has rendered (no loading spinner left) and none shows an error
    page.wait_for_function(
        "() => document.querySelectorAll('.dashboard-component-chart-holder').length > 0 && "
        "document.querySelectorAll('.dashboard-component-chart-holder .loading').length === 0",
        timeout=180_000,
    )
    page.wait_for_timeout(1500)
    body = page.inner_text("body")
    assert "Data error" not in body and "数据错误" not in body and "Unexpected error" not in body, body[:2000]


def _ratio_on_dashboard(page, region_name: str) -> tuple[str, str]:
    """(as-of date, ratio text) of the unit's row in the table chart 各地州市高技能人才占比明细."""
    chart = page.locator(".dashboard-component-chart-holder", has_text="各地州市高技能人才占比明细")
    row = chart.locator("tr", has=page.locator("td", has_text=re.compile(f"^{region_name}$")))
    cells = row.first.locator("td").all_inner_texts()
    return cells[0].strip(), cells[-1].strip()


def test_dashboards_and_report_follow_a_nightly_publish(sample, superset, browser):
    base, password = superset
    ctx, outside = browser
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(sample.warehouse), read_only=True)
    region_name = con.execute(
        "select region_name from marts.mart_high_skill_ratio where region_code = ? limit 1", [EXTRA_REGION]
    ).fetchone()[0]
    scorecard = con.execute(
        "select actual_value from marts.mart_policy_scorecard where indicator_id = 'HS-RATIO-2027' "
        "and unit_type = 'region' and year = (select max(year) from marts.mart_policy_scorecard)").fetchone()[0]
    quarantined = con.execute("select count(*) from audit.quarantine").fetchone()[0]
    con.close()
    as_of, ratio = _ratio(sample.warehouse, EXTRA_REGION)

    page = ctx.new_page()
    _login(page, base, password)
    _open_dashboard(page, base, "high-skill-ratio")
    assert page.evaluate(TOFU_CHECK), "Chinese text renders as boxes: install fonts-noto-cjk"
    assert _ratio_on_dashboard(page, region_name) == (as_of, f"{100 * ratio:.2f}%")
    page.screenshot(path=str(SCREENSHOTS / "high-skill-ratio.png"), full_page=True)

    _open_dashboard(page, base, "policy-scorecard")
    table = page.locator(".dashboard-component-chart-holder", has_text="政策指标记分卡").last
    first = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert first[0] == "HS-RATIO-2027" and first[4] == "新疆维吾尔自治区"
    assert float(first[5].replace(",", "")) == pytest.approx(scorecard, abs=5e-5)
    page.screenshot(path=str(SCREENSHOTS / "policy-scorecard.png"), full_page=True)

    _open_dashboard(page, base, "data-quality")
    nights = page.locator(".dashboard-component-chart-holder", has_text="隔离原因")
    counts = [int(t.replace(",", "")) for t in nights.locator("tbody tr td:last-child").all_inner_texts()]
    assert sum(counts) == quarantined
    page.screenshot(path=str(SCREENSHOTS / "data-quality.png"), full_page=True)

    report = sample.warehouse.parent / "report" / "index.html"
    page.goto(report.as_uri())
    page.wait_for_selector("#fig-ratio_bar .main-svg", timeout=60_000)
    assert page.inner_text("#as-of-date") == as_of
    assert page.inner_text(f'tr[data-region="{EXTRA_REGION}"] td[data-field="high_skill_ratio"]') == f"{100 * ratio:.2f}%"
    assert page.evaluate(TOFU_CHECK)
    page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)

    # the next night: one more landed file, a later as-of date; Superset keeps running
    sample.land_next_night()
    sample.refresh(NEXT_AS_OF)
    new_as_of, new_ratio = _ratio(sample.warehouse, EXTRA_REGION)
    assert new_as_of == NEXT_AS_OF and new_ratio > ratio

    _open_dashboard(page, base, "high-skill-ratio")
    assert _ratio_on_dashboard(page, region_name) == (new_as_of, f"{100 * new_ratio:.2f}%")
    page.screenshot(path=str(SCREENSHOTS / "high-skill-ratio-next-night.png"), full_page=True)

    page.goto(report.as_uri())
    page.wait_for_selector("#fig-ratio_bar .main-svg", timeout=60_000)
    assert page.inner_text("#as-of-date") == new_as_of
    assert page.inner_text(f'tr[data-region="{EXTRA_REGION}"] td[data-field="high_skill_ratio"]') == f"{100 * new_ratio:.2f}%"
    assert page.inner_text('b[data-field="certificate_rows_loaded"]') == str(EXTRA_ROWS)
    page.close()
    assert outside == [], f"requests that would have left the machine: {outside}"
    print(f"screenshots in {SCREENSHOTS}", file=sys.stderr)
