"""The web app in a real headless Chromium (Debian's, driven by Selenium and its chromedriver).

Skipped when no chromium or chromedriver is installed. Screenshots go to
$SAYSO_ARTIFACTS (else a pytest temporary directory); with
SAYSO_DOCS_SCREENSHOT=docs/analyse-page.png the analyse page is also saved there
for the README.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sayso.web.app import create_app

from .conftest import EXAMPLE
from .test_web_api import XSS_TEXT, build_store

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="no chromium and chromedriver installed")]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")
PETRAEUS_REFERENCES = ["Retired US army general David Petraeus", "He", "The former general", "Mr Petraeus",
                       "Mr Petraeus"]


class Server:
    """uvicorn serving an app on a free loopback port, in a thread of this process."""

    def __init__(self, app):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    where = os.environ.get("SAYSO_ARTIFACTS")
    path = Path(where) if where else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def analyse_url() -> Iterator[str]:
    with Server(create_app()) as url:
        yield url


def wait_for(driver, css: str, timeout: float = 60):
    return WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.CSS_SELECTOR, css))


def submit_file(driver, url: str, path: Path) -> None:
    driver.set_window_size(1280, 1000)
    driver.get(url + "/")
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.ID, "analyse-button").click()
    wait_for(driver, "#article-text")


def selected(driver) -> dict:
    """What the page shows as selected: sources of the highlighted marks, and the reference marks' texts."""
    return driver.execute_script("""
        const sel = [...document.querySelectorAll('#article-text mark.m.sel')];
        return {
          speakers: [...new Set(sel.map(m => m.dataset.s))],
          references: sel.filter(m => (m.classList.contains('m-source') || m.classList.contains('m-mention'))
                                      && !m.classList.contains('cont')).map(m => m.textContent),
          attributions: [...new Set(sel.filter(m => m.dataset.a).map(m => m.dataset.a))],
          unselected_dimmed: document.getElementById('article-text').classList.contains('has-sel'),
        };""")


def source_button(driver, name: str):
    for button in driver.find_elements(By.CSS_SELECTOR, "button.src"):
        if button.find_element(By.CSS_SELECTOR, ".src-name").text == name:
            return button
    raise AssertionError(f"no source {name!r} in the panel")


def test_analyse_page_in_chromium(browser, analyse_url, example_article, artifacts):
    submit_file(browser, analyse_url, EXAMPLE)

    # every cue, source and content span of the record is highlighted, with its attribution id
    marked = browser.execute_script("""
        const out = {};
        for (const m of document.querySelectorAll('#article-text mark.m[data-a]')) {
          const key = m.dataset.a + ' ' + m.dataset.role;
          out[key] = (out[key] || []).concat([m.textContent]);
        }
        return out;""")
    for a in example_article.attributions:
        for role in ("cue", "source", "content"):
            spans = getattr(a, role)
            if not spans:
                continue
            shown = marked.get(f"{a.id} {role}", [])
            for span in spans:  # a mark cut by another's edge continues in a `cont` piece
                assert span.text in shown or span.text.startswith(shown[0]), (a.id, role, span.text, shown)
    hedges = browser.execute_script(
        "return [...document.querySelectorAll('#article-text mark.m-hedge:not(.cont)')].map(m => m.textContent)")
    assert hedges == [h.text for h in example_article.hedges]
    furniture = browser.find_element(By.CSS_SELECTOR, "#article-text mark.m-boilerplate")
    assert furniture.text.startswith("Read more")

    # distinct colours, and a second cue that is not colour: each role has its own decoration
    styles = browser.execute_script("""
        const style = (sel) => { const s = getComputedStyle(document.querySelector('#article-text ' + sel));
          return [s.backgroundColor, s.textDecorationLine + ' ' + s.textDecorationStyle, s.boxShadow,
                  s.outlineStyle, s.fontWeight]; };
        return {source: style('mark.m-source'), cue: style('mark.m-cue'), content: style('mark.m-content'),
                hedge: style('mark.m-hedge'), furniture: style('mark.m-boilerplate')};""")
    assert len({s[0] for s in styles.values()}) == len(styles)  # backgrounds
    assert len({tuple(s[1:]) for s in styles.values()}) == len(styles)  # everything but colour
    assert "wavy" in styles["hedge"][1] and "line-through" in styles["furniture"][1]

    # hovering and focusing a highlight show its attribution, source as resolved
    tip = browser.find_element(By.ID, "tip")
    by_he = next(a for a in example_article.attributions if [s.text for s in a.source] == ["He"])
    he = browser.find_element(By.XPATH, "//div[@id='article-text']//mark[contains(@class,'m-source') and .='He']")
    ActionChains(browser).move_to_element(he).perform()
    WebDriverWait(browser, 5).until(lambda d: tip.is_displayed())
    assert tip.text == f"{by_he.id} · source: David Petraeus (person) · stance {by_he.stance} · {by_he.kind} quote"
    minister = next(s for s in example_article.sources if s.name == "the deputy prime minister")
    by_minister = next(a for a in example_article.attributions if a.speaker == minister.id)
    browser.execute_script(f"document.querySelector('#article-text mark.m-cue[data-a=\"{by_minister.id}\"]').focus()")
    WebDriverWait(browser, 5).until(lambda d: tip.text.startswith(f"{by_minister.id} · cue"))
    assert f"the deputy prime minister (role) · stance {by_minister.stance}" in tip.text

    # the panel: David Petraeus with his references
    his_id = source_button(browser, "David Petraeus").get_attribute("data-s")
    item = browser.find_element(By.CSS_SELECTOR, f'li.source[data-s="{his_id}"]')
    assert "Retired US army general" in item.text and "5 mentions" in item.text
    refs = [li.text.strip("“”") for li in item.find_elements(By.CSS_SELECTOR, ".src-refs li")]
    assert refs == ["Retired US army general David Petraeus", "He", "The former general", "Mr Petraeus ×2"]
    assert "most cited" in browser.find_element(By.ID, "profile").text

    # clicking him highlights all his mentions and attributions; clicking another follows
    petraeus = source_button(browser, "David Petraeus")
    petraeus.click()
    shown = selected(browser)
    assert shown["speakers"] == [his_id] and shown["unselected_dimmed"]
    assert shown["references"] == PETRAEUS_REFERENCES
    assert sorted(shown["attributions"]) == sorted(a.id for a in example_article.attributions
                                                   if a.speaker == his_id)
    assert petraeus.get_attribute("aria-pressed") == "true"
    assert "5 references and 5 attributions" in browser.find_element(By.ID, "selection-status").text
    browser.save_screenshot(str(artifacts / "analyse-petraeus.png"))
    source_button(browser, "the deputy prime minister").click()
    shown = selected(browser)
    assert shown["references"] == ["the deputy prime minister"] and shown["attributions"] == [by_minister.id]
    assert petraeus.get_attribute("aria-pressed") == "false"
    source_button(browser, "the deputy prime minister").click()  # again: off
    assert selected(browser)["speakers"] == []

    # a phone-width screen: no sideways scrolling, the panel below the text
    browser.set_window_size(390, 844)
    layout = browser.execute_script("""
        const text = document.getElementById('article-text').getBoundingClientRect();
        const panel = document.querySelector('aside.panel').getBoundingClientRect();
        return {overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                stacked: panel.top >= text.bottom, width: text.width};""")
    assert layout["overflow"] <= 0 and layout["stacked"] and layout["width"] > 300
    browser.save_screenshot(str(artifacts / "analyse-phone.png"))
    docs_shot = os.environ.get("SAYSO_DOCS_SCREENSHOT")
    if docs_shot:
        save_docs_screenshot(browser, Path(docs_shot))


def save_docs_screenshot(browser, target: Path) -> None:
    """The README's picture: the marked text beside the panel, David Petraeus chosen, a tooltip open."""
    browser.set_window_size(1280, 1380)
    source_button(browser, "David Petraeus").click()
    browser.execute_script("document.getElementById('result').scrollIntoView(); window.scrollBy(0, -12)")
    mark = browser.find_element(By.CSS_SELECTOR, '#article-text mark.m-source[data-a="a13"]')
    ActionChains(browser).move_to_element(mark).perform()
    time.sleep(0.3)
    target.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(target))


def test_article_text_runs_nothing_in_chromium(browser, analyse_url):
    browser.get(analyse_url + "/")
    browser.find_element(By.ID, "text").send_keys(XSS_TEXT)
    browser.find_element(By.ID, "analyse-button").click()
    text = wait_for(browser, "#article-text")
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "#article-text img, #article-text script") == []
    assert "<script>window.pwned = 1</script>" in text.text and '"><img src=x onerror=' in text.text


def test_search_a_store_and_open_a_source_page(browser, tmp_path, artifacts):
    db = tmp_path / "corpus.duckdb"
    build_store(db)
    with Server(create_app(str(db))) as url:
        browser.set_window_size(1280, 1000)
        browser.get(url + "/search")
        box = browser.find_element(By.ID, "q")
        box.send_keys("jane")
        box.submit()
        wait_for(browser, "#results")
        assert "3 attributions matching" in browser.find_element(By.ID, "result-count").text
        assert browser.execute_script("return window.pwned === undefined")
        browser.find_element(By.CSS_SELECTOR, "#results a.source-link").click()
        try:
            WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "source-name"))
        except TimeoutException:
            pytest.fail(f"the source page did not open: {browser.current_url}")
        assert browser.find_element(By.ID, "source-name").text.startswith("Jane Doe")
        titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#results li.found a[href^='/articles/']")]
        assert titles == ["Bridge fixed", "Budget <script>window.pwned = 4</script>", "Bridge to reopen"]
        browser.save_screenshot(str(artifacts / "source-page.png"))
