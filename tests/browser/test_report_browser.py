"""The HTML report in a real browser (issue 12): Debian's headless Chromium, driven by Selenium.

The report is built from the demo run exactly as an editor would (`factcheck demo --keep DIR`,
then `factcheck --db sqlite:///DIR/factcheck.db report -o OUT`) and opened from disk. What the
pages must show is checked against what the CLI says is stored (`claim list --json`) and what
the demo's example pages hold, not against the report's own data. A second site is built from
a source that serves `<script>` inside its evidence: the browser must show it, not run it.

One browser per module (xdist may start one per worker). Chromium logs every request it makes
(the performance log), so "no request leaves for another host" is checked on what the browser
did. Screenshots go to test-artifacts/ (gitignored). Outside CI a missing chromium or
chromedriver skips with its reason; in CI (`.ci/run` installs both) it fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.servers import PageServer
from tests.support import IN_CI, REPO, make_fast_settings, run_cli

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = REPO / "test-artifacts"
PRICE_CLAIM = "llama-3.1-405b-half-price-of-gpt-4o"
# The provider records the price claim's numerator rule selects in the demo's example page.
PRICE_PAGE = REPO / "factcheck" / "demo" / "pages" / "litellm-prices.json"
PRICE_RECORDS = re.compile(r"(?i).*llama.*405b.*")
NARROW_PX = 360
WAIT_S = 10

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        (CHROMIUM is None or CHROMEDRIVER is None) and not IN_CI,
        reason="chromium and chromedriver (Debian: chromium, chromium-driver) are not installed",
    ),
]


@dataclass(frozen=True)
class Built:
    out: Path  # the built site
    claims: dict[str, dict[str, Any]]  # `claim list --json` by key: what is stored


def build_report(db_url: str, out: Path) -> dict[str, dict[str, Any]]:
    """`factcheck report -o OUT` on `db_url`, and the stored claims by key."""
    made = run_cli("report", "-o", str(out), db_url=db_url)
    assert made.code == 0, made.stderr
    assert (out / "index.html").is_file()
    listed = run_cli("claim", "list", "--json", db_url=db_url)
    assert listed.code == 0, listed.stderr
    claims = listed.json()
    assert isinstance(claims, list)
    return {claim["key"]: claim for claim in claims}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("report-demo")
    kept = folder / "demo"
    made = run_cli("demo", "--keep", str(kept), cwd=folder)
    assert made.code == 0, made.stderr
    out = folder / "site"
    claims = build_report(f"sqlite:///{kept / 'factcheck.db'}", out)
    assert PRICE_CLAIM in claims and len(claims) >= 8
    return Built(out, claims)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    assert CHROMIUM is not None and CHROMEDRIVER is not None, (
        "chromium and chromedriver are required in CI: .ci/run installs them"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # Debian's: Selenium Manager never goes to the network
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.add_argument("--disable-dev-shm-usage")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver: WebDriver, path: Path) -> None:
    driver.get(path.as_uri())
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"report-{name}.png"))


def rows(driver: WebDriver) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "table#claims tr.claim")


def visible_keys(driver: WebDriver) -> set[str]:
    return {row.get_attribute("data-key") or "" for row in rows(driver) if row.is_displayed()}


def text_of(element: WebElement) -> str:
    """The element's text as the DOM holds it (textContent), whitespace folded."""
    return " ".join(str(element.get_attribute("textContent")).split())


def label_of(claim: dict[str, Any]) -> str:
    verdict = claim.get("latest_verdict") or {}
    return str(verdict.get("label") or "none")


def requested_urls(driver: WebDriver) -> list[str]:
    """Every URL the browser asked for since the last call (the performance log empties)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


# -- the index ---------------------------------------------------------------------------------


def test_every_claim_is_listed_with_its_label(browser: WebDriver, demo: Built) -> None:
    open_page(browser, demo.out / "index.html")
    shot(browser, "index")
    listed = {row.get_attribute("data-key"): row for row in rows(browser)}
    assert set(listed) == set(demo.claims)
    for key, claim in demo.claims.items():
        row = listed[key]
        word = label_of(claim)
        assert row.get_attribute("data-label") == word
        link = row.find_element(By.CSS_SELECTOR, "a.claim-link")
        assert (
            link.get_attribute(
                "href",
            )
            == (demo.out / "claims" / key / "index.html").as_uri()
        )
        if word != "none":
            label = row.find_element(By.CSS_SELECTOR, f"span.label.label-{word}")
            # The word is written out, not left to the colour.
            assert word.replace("_", " ") in text_of(label).lower().replace("_", " ")
    counts = browser.find_element(By.ID, "counts")
    assert counts.is_displayed()


def test_label_filter_shows_only_that_label(browser: WebDriver, demo: Built) -> None:
    open_page(browser, demo.out / "index.html")
    choose = Select(browser.find_element(By.ID, "filter-label"))
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.find_element(By.ID, "filter-label").is_displayed()
    )
    by_label: dict[str, set[str]] = {}
    for key, claim in demo.claims.items():
        by_label.setdefault(label_of(claim), set()).add(key)
    assert len(by_label) >= 3  # the demo has supported, refuted, mixed and not_enough_info
    for word, keys in sorted(by_label.items()):
        choose.select_by_value(word)
        WebDriverWait(browser, WAIT_S).until(lambda d, keys=keys: visible_keys(d) == keys)
        hidden = [row for row in rows(browser) if not row.is_displayed()]
        assert all(row.get_attribute("hidden") is not None for row in hidden)
    choose.select_by_value("")
    WebDriverWait(browser, WAIT_S).until(lambda d: visible_keys(d) == set(demo.claims))


def test_search_finds_a_claim_by_key(browser: WebDriver, demo: Built) -> None:
    open_page(browser, demo.out / "index.html")
    box = browser.find_element(By.ID, "search")
    WebDriverWait(browser, WAIT_S).until(lambda d: box.is_displayed())
    box.send_keys("iphone-released-2007")
    WebDriverWait(browser, WAIT_S).until(lambda d: visible_keys(d) == {"iphone-released-2007"})
    shot(browser, "index-search")
    box.clear()
    box.send_keys(" ")  # clear() fires no input event; a blank query shows everything again
    WebDriverWait(browser, WAIT_S).until(lambda d: visible_keys(d) == set(demo.claims))


# -- the claim page of the 50% price claim -----------------------------------------------------


def follow_to_price_claim(browser: WebDriver, demo: Built) -> None:
    open_page(browser, demo.out / "index.html")
    row = browser.find_element(By.CSS_SELECTOR, f'tr.claim[data-key="{PRICE_CLAIM}"]')
    row.find_element(By.CSS_SELECTOR, "a.claim-link").click()
    WebDriverWait(browser, WAIT_S).until(
        lambda d: (
            d.current_url.endswith(f"/claims/{PRICE_CLAIM}/index.html")
            and d.execute_script("return document.readyState") == "complete"
        )
    )


def test_claim_page_shows_statement_reason_and_label(browser: WebDriver, demo: Built) -> None:
    follow_to_price_claim(browser, demo)
    shot(browser, "claim")
    claim = demo.claims[PRICE_CLAIM]
    assert text_of(browser.find_element(By.TAG_NAME, "h1")) == PRICE_CLAIM
    said = browser.find_element(By.CSS_SELECTOR, "blockquote.statement")
    assert said.get_attribute("lang") == "zh" == claim["language"]
    assert text_of(said) == " ".join(claim["statement"].split())
    assert "人们将希望直接在 405 上进行推理" in said.text  # rendered, not only in the DOM
    english = browser.find_element(By.CSS_SELECTOR, "p.statement-en")
    assert " ".join(claim["statement_en"].split()) in text_of(english)
    word = label_of(claim)
    assert word == "mixed"
    assert browser.find_element(By.CSS_SELECTOR, f"span.label.label-{word}").is_displayed()
    reason = browser.find_element(By.CSS_SELECTOR, "p.reason")
    assert " ".join(claim["latest_verdict"]["reason"].split()) in text_of(reason)
    assert reason.is_displayed()
    sources = browser.find_elements(By.CSS_SELECTOR, "section.sources article.source")
    assert sources and any(s.find_elements(By.TAG_NAME, "mark") for s in sources)
    assert browser.find_elements(By.CSS_SELECTOR, "ol.timeline > li")


def chinese_fonts() -> set[str]:
    """The installed font families that cover Chinese, every alias of each (fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return set()
    done = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False, timeout=30
    )
    return {name.strip() for line in done.stdout.splitlines() for name in line.split(",")}


def test_chinese_statement_is_drawn_with_a_chinese_font(browser: WebDriver, demo: Built) -> None:
    """Text equal to the stored one is not enough: without a font it is drawn as empty boxes."""
    installed = chinese_fonts()
    if not installed:
        if IN_CI:
            pytest.fail("a Chinese font is required in CI: .ci/run installs fonts-wqy-microhei")
        pytest.skip("no font covers Chinese (Debian: fonts-wqy-microhei)")
    follow_to_price_claim(browser, demo)
    cdp = browser.execute_cdp_cmd  # type: ignore[attr-defined]
    cdp("DOM.enable", {})
    cdp("CSS.enable", {})
    root = cdp("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp("DOM.querySelector", {"nodeId": root, "selector": "blockquote.statement"})
    used = cdp("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    chinese = [font for font in used if font["familyName"] in installed]
    assert chinese and chinese[0]["glyphCount"] >= 30, used


def test_chart_has_one_mark_per_provider_record(browser: WebDriver, demo: Built) -> None:
    follow_to_price_claim(browser, demo)
    records = [k for k in json.loads(PRICE_PAGE.read_text()) if PRICE_RECORDS.fullmatch(k)]
    assert len(records) == 4
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart.chart-records svg")
    browser.execute_script("arguments[0].scrollIntoView()", chart)
    assert chart.is_displayed() and chart.size["width"] > 100
    marks = chart.find_elements(By.CSS_SELECTOR, ".mark")
    assert len(marks) == len(records)
    titles = [
        str(browser.execute_script("return arguments[0].querySelector('title').textContent", m))
        for m in marks
    ]
    for record in records:
        assert sum(title.startswith(f"{record}: ") for title in titles) == 1, (record, titles)
    assert chart.find_elements(By.CSS_SELECTOR, ".threshold")
    assert not chart.find_elements(By.TAG_NAME, "script")


def test_claimreview_json_ld_parses(browser: WebDriver, demo: Built) -> None:
    follow_to_price_claim(browser, demo)
    (script,) = browser.find_elements(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
    review = json.loads(str(script.get_attribute("textContent")))
    claim = demo.claims[PRICE_CLAIM]
    assert review["@type"] == "ClaimReview"
    assert review["url"].endswith(f"/claims/{PRICE_CLAIM}")
    assert review["itemReviewed"]["text"] == claim["statement"]
    assert review["itemReviewed"]["inLanguage"] == "zh"
    assert review["reviewRating"]["ratingExplanation"] == claim["latest_verdict"]["reason"]


# -- the whole site ----------------------------------------------------------------------------


def test_no_request_leaves_for_another_host(browser: WebDriver, demo: Built) -> None:
    requested_urls(browser)  # empty the log of the earlier tests
    pages = [
        demo.out / "index.html",
        *(demo.out / "claims" / key / "index.html" for key in sorted(demo.claims)),
        demo.out / "runs" / "index.html",
        demo.out / "review" / "index.html",
    ]
    for page in pages:
        open_page(browser, page)
    urls = requested_urls(browser)
    assert any(url.endswith("/static/report.css") for url in urls), urls  # the log works
    assert sum(url.endswith("/index.html") for url in urls) >= len(pages)
    elsewhere = [url for url in urls if not url.startswith(("file://", "data:", "about:"))]
    assert elsewhere == []


@pytest.mark.parametrize("page", ["index.html", f"claims/{PRICE_CLAIM}/index.html"])
def test_a_360px_window_needs_no_sideways_scroll(
    browser: WebDriver, demo: Built, page: str
) -> None:
    browser.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": NARROW_PX, "height": 740, "deviceScaleFactor": 1, "mobile": True},
    )
    try:
        open_page(browser, demo.out / page)
        shot(browser, f"narrow-{page.split('/')[0].replace('.html', '')}")
        width = browser.execute_script(
            "return Math.max(document.body.scrollWidth, document.documentElement.scrollWidth)"
        )
        assert int(width) <= NARROW_PX + 2
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # type: ignore[attr-defined]


# -- hostile scraped text ----------------------------------------------------------------------

HOSTILE = "<script>window.pwned=1</script>"
HOSTILE_PAGE = (
    f"Release notes. {HOSTILE} The model has 405B parameters. <img src=x onerror=window.pwned=2>"
)
HOSTILE_TOML = """
[[source]]
key = "hostile-page"
url = "{url}"
format = "text"
title = "Release notes"
publisher = "Example"

[[claim]]
key = "hostile-excerpt"
statement = "The model has 405B parameters."
kind = "quantity"
expected = "405B"
unit = "parameters"
tags = ["hostile"]

  [[claim.evidence]]
  source = "hostile-page"
  rule_kind = "regex"
  rule = '(?P<value>\\d+B) parameters'
  options = {{ unit = "parameters" }}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from factcheck.storage.db import make_engine
    from factcheck.verification.pipeline import run_verification

    folder = tmp_path_factory.mktemp("report-hostile")
    server = PageServer()
    try:
        url = server.put("hostile", HOSTILE_PAGE, "text/plain")
        declared = folder / "hostile.toml"
        declared.write_text(HOSTILE_TOML.format(url=url), encoding="utf-8")
        db_url = f"sqlite:///{folder / 'factcheck.db'}"
        for args in (("init",), ("import", str(declared))):
            done = run_cli(*args, db_url=db_url)
            assert done.code == 0, done.stderr
        engine = make_engine(db_url)
        try:
            run_verification(engine=engine, settings=make_fast_settings(database_url=db_url))
        finally:
            engine.dispose()
    finally:
        server.close()
    out = folder / "site"
    yield Built(out, build_report(db_url, out))


def test_a_script_in_an_excerpt_is_shown_not_run(browser: WebDriver, hostile: Built) -> None:
    open_page(browser, hostile.out / "claims" / "hostile-excerpt" / "index.html")
    shot(browser, "hostile")
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    (source,) = browser.find_elements(By.CSS_SELECTOR, "section.sources article.source")
    assert HOSTILE in source.text  # visible, as text
    assert "405B" in text_of(source.find_element(By.TAG_NAME, "mark"))
    injected = browser.execute_script(
        "return document.querySelectorAll('article.source script, article.source img').length"
    )
    assert injected == 0
    open_page(browser, hostile.out / "index.html")
    assert browser.execute_script("return typeof window.pwned") == "undefined"
