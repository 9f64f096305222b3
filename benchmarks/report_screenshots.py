"""Write the README's screenshots of the HTML report, taken from the demo data.

    python benchmarks/report_screenshots.py [--out docs]

Runs `factcheck demo --keep` and `factcheck report` in a temporary folder, opens the built site
from disk in Debian's headless Chromium (the same driver as tests/browser) and writes
`report-index.png` (the index) and `report-claim.png` (the claim page of the 50% price claim,
down to its charts) into --out. Not part of the test suite: run it by hand when the pages
change, and look at the pictures before committing them.
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

REPO = Path(__file__).resolve().parents[1]
PRICE_CLAIM = "llama-3.1-405b-half-price-of-gpt-4o"
WIDTH = 1200
INDEX_HEIGHT = 900
CLAIM_MAX_HEIGHT = 2600  # the statement, verdict, sources and the price chart


def build_site(folder: Path) -> Path:
    factcheck = str(Path(sys.executable).parent / "factcheck")
    kept = folder / "demo"
    out = folder / "site"
    subprocess.run([factcheck, "demo", "--keep", str(kept)], check=True, capture_output=True)
    db_url = f"sqlite:///{kept / 'factcheck.db'}"
    subprocess.run(
        [factcheck, "--db", db_url, "report", "-o", str(out)], check=True, capture_output=True
    )
    return out


def start_browser() -> WebDriver:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        raise SystemExit("needs Debian's chromium and chromium-driver (apt-get install ...)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--hide-scrollbars"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def capture(driver: WebDriver, page: Path, target: Path, max_height: int) -> None:
    """The page at WIDTH css px, from the top down to `max_height` (or its end)."""
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": INDEX_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(page.as_uri())
    height = min(int(driver.execute_script("return document.body.scrollHeight")), max_height)
    shot = driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        },
    )
    target.write_bytes(base64.b64decode(shot["data"]))
    print(f"{target} ({WIDTH}x{height})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = build_site(Path(tmp))
        driver = start_browser()
        try:
            capture(driver, site / "index.html", args.out / "report-index.png", INDEX_HEIGHT)
            claim = site / "claims" / PRICE_CLAIM / "index.html"
            capture(driver, claim, args.out / "report-claim.png", CLAIM_MAX_HEIGHT)
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
