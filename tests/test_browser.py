"""The query page of ``kg serve`` in a real browser: headless Chromium driven by Selenium.

Uses Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``); skipped when either, or the ``selenium``
package, is missing. The browser runs with a fresh profile and the
background services that would reach the network turned off; the page
itself must not ask for anything but its own server.
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import requests

from kg.server import SparqlServer
from test_server import build_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
                                reason="Chromium and chromedriver are not installed "
                                       "(apt-get install chromium chromium-driver)")
WAIT = 30               # seconds for the page to show something; a bound, not a measurement


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "store"
    build_store(path)
    with SparqlServer(store=path, port=0, workers=2) as srv:
        srv.start()
        yield srv


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def _open(browser, server):
    from selenium.webdriver.common.by import By

    browser.get_log("browser")                  # forget what earlier tests logged
    browser.get(server.url + "/")
    return _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#example-list button.example"))


def _rows(browser) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in browser.find_elements(By.CSS_SELECTOR, "#table tbody tr")]


def test_example_click_runs_it_and_fills_the_table(browser, server):
    from selenium.webdriver.common.by import By

    buttons = _open(browser, server)
    assert sorted(b.get_attribute("data-name") for b in buttons) == sorted(
        q["name"] for q in requests.get(server.url + "/examples").json()["queries"])
    browser.find_element(By.CSS_SELECTOR, 'button.example[data-name="drug-targets"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#table tbody tr"))
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#table thead th")]
    assert headers == ["drugLabel", "targetLabel", "documents", "drug", "target"]
    rows = _rows(browser)
    assert [(r[0], r[1], r[2]) for r in rows] == [("BX-17", "BCL-2", "1"), ("Zoratinib", "KDR", "2")]
    assert rows[1][3] == "cpdrug:zoratinib"             # IRIs shortened with the project's prefixes
    assert "2 rows" in browser.find_element(By.ID, "status").text
    assert "drug-targets.rq" in browser.find_element(By.ID, "query").get_attribute("value")


def test_download_links_give_every_format(browser, server):
    from selenium.webdriver.common.by import By

    _open(browser, server)
    browser.find_element(By.CSS_SELECTOR, 'button.example[data-name="drug-targets"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#downloads a"))
    links = {a.get_attribute("data-format"): a.get_attribute("href")
             for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a")}
    assert set(links) == {"csv", "tsv", "json", "xml"}
    rows = list(csv.reader(io.StringIO(requests.get(links["csv"]).text)))
    assert rows[0][:2] == ["drugLabel", "targetLabel"] and len(rows) == 3
    assert requests.get(links["json"]).json()["head"]["vars"][0] == "drugLabel"
    assert requests.get(links["tsv"]).text.startswith("?drugLabel\t")
    assert "<sparql" in requests.get(links["xml"]).text


def test_typed_construct_shows_triples(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, server)
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("CONSTRUCT { ?d <https://example.org/t> ?t } WHERE { ?d <https://w3id.org/cpkg/targets> ?t }")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#table tbody tr"))
    assert sorted(tuple(r) for r in _rows(browser)) == [
        ("cpdrug:bx-17", "<https://example.org/t>", "cptarget:bcl-2"),
        ("cpdrug:zoratinib", "<https://example.org/t>", "cptarget:kdr")]
    formats = {a.get_attribute("data-format") for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a")}
    assert {"turtle", "ntriples", "jsonld"} <= formats


def test_error_message_is_shown(browser, server):
    from selenium.webdriver.common.by import By

    _open(browser, server)
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELEC ?x WHERE { ?x ?p ?o }")
    browser.find_element(By.ID, "run").click()
    error = _wait(browser, lambda d: d.find_element(By.ID, "error") if d.find_element(By.ID, "error").is_displayed()
                  else None)
    assert "400" in error.text and "malformed SPARQL query" in error.text
    assert not browser.find_element(By.ID, "table").is_displayed()


def test_page_asks_nothing_of_the_network(browser, server):
    from selenium.webdriver.common.by import By

    _open(browser, server)
    browser.find_element(By.CSS_SELECTOR, 'button.example[data-name="pipeline-overview"]').click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#table tbody tr"))
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(server.url + "/") for u in urls), urls
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
