"""claims.html in a real browser: headless Chromium (the system's ``chromium`` and
``chromedriver``, driven by selenium) opens a synthetic run's report from disk, and we check
that it renders without JS errors, that its overview counts match claims.json, that a filter
hides rows and that a claim's detail opens. Screenshots land beside the report
(``screenshots/``) for a person to look at."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.claims.synthetic import write_synthetic_report

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium; it is in the dev extra)")
from selenium.webdriver.support.select import Select  # noqa: E402  (after the skip above)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="no chromium / chromedriver on PATH (apt-get install chromium chromium-driver)"
)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--window-size=1400,1000")


@pytest.fixture
def browser(tmp_path, monkeypatch):
    monkeypatch.setenv("SE_AVOID_STATS", "true")  # selenium manager: no usage statistics over the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def open_report(browser, html: Path) -> None:
    browser.get(html.resolve().as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def screenshot(browser, element_id: str, path: Path) -> None:
    browser.execute_script("document.getElementById(arguments[0]).scrollIntoView()", element_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(path))


def choose(browser, select_id: str, value: str) -> None:
    Select(browser.find_element("id", select_id)).select_by_value(value)


def shown_rows(browser) -> int:
    return browser.execute_script("return document.querySelectorAll('tr.row:not(.hidden)').length")


def test_the_report_renders_filters_and_opens_a_claim_in_chromium(tmp_path, browser):
    json_path, _, html = write_synthetic_report(tmp_path)
    record = json.loads(json_path.read_text())
    open_report(browser, html)
    shots = tmp_path / "screenshots"
    screenshot(browser, "overview", shots / "overview.png")

    counts = {el.get_attribute("data-verdict"): int(el.get_attribute("data-count"))
              for el in browser.find_elements("css selector", "#overview [data-verdict]")}
    expected: dict[str, int] = {}
    for claim in record["claims"]:
        expected[claim["verdict"]] = expected.get(claim["verdict"], 0) + 1
    assert counts == expected
    assert browser.find_element("id", "partial").is_displayed()  # the run was interrupted

    screenshot(browser, "across", shots / "across-models.png")
    rows = shown_rows(browser)
    assert rows == len({(c["file"], c["claim"]) for c in record["claims"]})
    choose(browser, "f-pattern", "splits-by-seed")
    assert shown_rows(browser) == 2 < rows  # test_by_seed, and test_machine (holds here on seed 0, fails on 1)
    choose(browser, "f-pattern", "")
    browser.find_element("id", "f-text").send_keys("test_nan")
    assert shown_rows(browser) == 1
    browser.find_element("id", "f-text").clear()
    browser.execute_script("document.getElementById('f-text').dispatchEvent(new Event('input'))")
    assert shown_rows(browser) == rows

    browser.find_element("css selector", '.pmap a[data-problem="1.9"]').click()
    assert shown_rows(browser) == 1
    screenshot(browser, "problem-map", shots / "problem-map.png")
    choose(browser, "f-problem", "")

    anchor = browser.find_element("css selector", "tr.row[data-text*='test_everywhere']").get_attribute("data-anchor")
    detail = browser.find_element("id", anchor)
    assert detail.get_attribute("open") is None
    link = browser.find_element("css selector", f"tr.row[data-anchor='{anchor}'] a.open")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    assert detail.get_attribute("open") is not None and detail.find_element("css selector", "svg circle").is_displayed()
    assert browser.execute_script("return arguments[0].querySelector('img.attached').naturalWidth", detail) == 1  # the plot loads from disk
    screenshot(browser, anchor, shots / "claim.png")
    cell = browser.find_element("css selector", "tr.row[data-text*='test_by_seed'] td.cell")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    assert "seed 1: fail; score = 0.3" in cell.get_attribute("title")  # the hover text: each seed's values
    cell.click()
    by_seed = browser.find_element("id", cell.find_element("xpath", "..").get_attribute("data-anchor"))
    assert by_seed.get_attribute("open") is not None
    page = by_seed.find_element("css selector", "details.neuron-page")
    page.find_element("css selector", "summary").click()
    assert page.find_element("css selector", "table.neuroscope mark").is_displayed()  # the neuron page opens
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
