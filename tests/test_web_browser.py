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
from .test_web_api import build_store

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


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory) -> Iterator[str]:
    """The app over a small store (tests/test_web_api.CORPUS)."""
    db = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    build_store(db)
    with Server(create_app(str(db))) as url:
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


def test_search_a_store_and_open_a_source_page(browser, corpus_url, artifacts):
    browser.set_window_size(1280, 1000)
    browser.get(corpus_url + "/search")
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


# --- the reader's view: stance colours, the phone layout, the source cards ------------------

STANCE_SIGNS = {"neutral": "", "assertive": "✓", "doubting": "?", "speculative": "~", "emotive": "!"}


def contrast(fg: list[float], bg: list[float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours given as 0-255 channels."""
    def luminance(rgb: list[float]) -> float:
        c = [v / 255 for v in rgb[:3]]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


CUE_STYLES = """
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const out = {};
    for (const m of document.querySelectorAll(arguments[0])) {
      if (out[m.dataset.stance]) continue;
      const s = getComputedStyle(m), after = getComputedStyle(m, '::after');
      out[m.dataset.stance] = {background: s.backgroundColor, decoration: s.textDecorationColor,
                               color: rgb(s.color), bg: rgb(s.backgroundColor), line: s.textDecorationStyle,
                               sign: after.content, text: m.textContent, id: m.dataset.a};
    }
    return out;"""


def test_cues_are_coloured_by_stance_in_chromium(browser, analyse_url, example_article, artifacts):
    submit_file(browser, analyse_url, EXAMPLE)
    cues = browser.execute_script(CUE_STYLES, "#article-text mark.m-cue:not(.cont)")
    assert set(cues) == {a.stance for a in example_article.attributions} == set(STANCE_SIGNS)
    # a doubting cue ("claimed", "allegations") looks unlike a neutral one ("said", "described")
    doubting, neutral = cues["doubting"], cues["neutral"]
    assert doubting["background"] != neutral["background"] and doubting["decoration"] != neutral["decoration"]
    assert len({c["background"] for c in cues.values()}) == len({c["decoration"] for c in cues.values()}) == 5
    assert {c["line"] for c in cues.values()} == {"double"}  # still the cue's own shape
    for stance, c in cues.items():
        assert contrast(c["color"], c["bg"]) >= 4.5, (stance, c)  # WCAG AA for the cue's words
        # not by colour alone: the sign after the cue, read out as the stance's name
        sign = STANCE_SIGNS[stance]
        assert (sign in c["sign"] and stance in c["sign"]) if sign else c["sign"] == "none", (stance, c["sign"])
    # the tooltip names the stance in words
    tip = browser.find_element(By.ID, "tip")
    browser.execute_script(f"document.querySelector('#article-text mark.m-cue[data-a=\"{doubting['id']}\"]').focus()")
    WebDriverWait(browser, 5).until(lambda d: tip.is_displayed() and "stance doubting" in tip.text)
    # the legend shows each stance with its colour and sign, beside the roles
    samples = browser.execute_script(CUE_STYLES, ".legend mark.m-cue.sample[data-stance]")
    in_order = browser.execute_script(
        "return [...document.querySelectorAll('.legend mark.m-cue.sample[data-stance]')].map(m => m.dataset.stance)")
    assert in_order == list(STANCE_SIGNS) and set(samples) == set(STANCE_SIGNS)
    assert all(samples[s]["background"] == cues[s]["background"] for s in STANCE_SIGNS)
    assert all(samples[s]["text"] == s for s in STANCE_SIGNS)
    for mark in browser.find_elements(By.CSS_SELECTOR, ".legend mark.m-cue.sample"):
        assert mark.is_displayed()
    browser.save_screenshot(str(artifacts / "analyse-stances.png"))


def test_the_phone_layout_in_chromium(browser, analyse_url, example_article, artifacts):
    submit_file(browser, analyse_url, EXAMPLE)
    browser.set_window_size(390, 844)
    layout = browser.execute_script("""
        const root = document.documentElement, width = root.clientWidth;
        const box = (el) => el.getBoundingClientRect();
        const inside = (el) => { const r = box(el); return r.width > 0 && r.left >= 0 && r.right <= width; };
        const rows = [...document.querySelectorAll('#attributions-table tbody tr')];
        return {
          overflow: root.scrollWidth - width,
          head_shown: box(document.querySelector('#attributions-table thead')).height > 1,
          cards: rows.map(tr => ({
            id: tr.dataset.a, display: getComputedStyle(tr).display,
            fields: [...tr.querySelectorAll('td[data-label]')].map(td =>
              ({name: td.dataset.label, text: td.innerText, label: getComputedStyle(td, '::before').content,
                inside: inside(td)}))})),
          text_bottom: box(document.getElementById('article-text')).bottom,
          panel_top: box(document.getElementById('sources-panel')).top,
          first_card_top: box(rows[0]).top,
          sources: [...document.querySelectorAll('#sources li.source')].map(li => ({
            inside: inside(li), name: li.querySelector('.src-name').innerText,
            type: li.querySelector('.badge').innerText, counts: li.querySelector('.src-counts').innerText})),
        };""")
    assert layout["overflow"] <= 0 and not layout["head_shown"]
    by_id = {a.id: a for a in example_article.attributions}
    assert [c["id"] for c in layout["cards"]] == list(by_id)
    for card in layout["cards"]:  # one card each, every field on screen and labelled
        a = by_id[card["id"]]
        assert card["display"] == "block"
        fields = {f["name"]: f for f in card["fields"]}
        assert [f["name"] for f in card["fields"]] == ["source", "cue", "content", "kind", "stance"]
        assert all(f["inside"] and f["label"] == f'"{f["name"]}"' for f in card["fields"]), card
        assert fields["kind"]["text"].split()[-1] == a.kind
        assert fields["stance"]["text"].split()[-1] == a.stance
        assert fields["cue"]["text"].endswith(" … ".join(s.text for s in a.cue))
    # the source cards come after the text and before the attribution cards, each whole on screen
    assert layout["text_bottom"] <= layout["panel_top"] < layout["first_card_top"]
    assert sorted(s["name"] for s in layout["sources"]) == sorted(s.name for s in example_article.sources)
    assert all(s["inside"] and s["type"] and "attribution" in s["counts"] for s in layout["sources"])
    # and one tap away from anywhere: the bar of links stays at the top and leads to them
    browser.execute_script("window.scrollTo(0, document.getElementById('article-text').offsetTop + 600)")
    bar = browser.find_element(By.CSS_SELECTOR, "nav.jump")
    assert bar.is_displayed() and bar.rect["y"] <= browser.execute_script("return window.scrollY") + 1
    bar.find_element(By.CSS_SELECTOR, 'a[href="#sources-panel"]').click()
    WebDriverWait(browser, 5).until(lambda d: 0 <= d.execute_script(
        "return document.getElementById('sources-panel').getBoundingClientRect().top") < 120)
    browser.save_screenshot(str(artifacts / "analyse-phone-sources.png"))
    browser.find_element(By.CSS_SELECTOR, 'nav.jump a[href="#attributions"]').click()
    WebDriverWait(browser, 5).until(lambda d: 0 <= d.execute_script(
        "return document.getElementById('attributions').getBoundingClientRect().top") < 120)
    browser.save_screenshot(str(artifacts / "analyse-phone-cards.png"))
    # on a wide screen the bar is not needed: the panel is beside the text
    browser.set_window_size(1280, 1000)
    assert not browser.find_element(By.CSS_SELECTOR, "nav.jump").is_displayed()


def test_source_cards_link_to_the_corpus_only_when_it_holds_them(browser, corpus_url, artifacts):
    from .test_web_view import TWO_SOURCES

    browser.set_window_size(390, 844)
    browser.get(corpus_url + "/")
    browser.find_element(By.ID, "text").send_keys(TWO_SOURCES)
    browser.find_element(By.ID, "analyse-button").click()
    wait_for(browser, "#article-text")
    links = {li.find_element(By.CSS_SELECTOR, ".src-name").text:
             [a.get_attribute("href") for a in li.find_elements(By.CSS_SELECTOR, "a.src-link")]
             for li in browser.find_elements(By.CSS_SELECTOR, "#sources li.source")}
    assert links == {"Jane Doe": [f"{corpus_url}/sources/Jane%20Doe"], "Bob Smith": []}
    browser.save_screenshot(str(artifacts / "source-cards-phone.png"))
    browser.find_element(By.CSS_SELECTOR, "a.src-link").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "source-name"))
    assert browser.find_element(By.ID, "source-name").text.startswith("Jane Doe")


# Markup and script in every place an article's words reach: the text, a source's words (the tooltips,
# the source cards, the attribution cards) and the title.
HOSTILE_TEXT = ('“<img src=x onerror="window.pwned = 11">,” said <b onmouseover="window.pwned = 12">the minister</b>. '
                '<svg onload="window.pwned = 13"></svg> <a href="javascript:window.pwned = 14">Officials</a> '
                'claimed the <iframe srcdoc="<script>parent.pwned = 15</script>"></iframe> plan had failed. '
                '"><script>window.pwned = 16</script> John "<x onfocus=window.pwned=17 autofocus>" Smith said.')


@pytest.mark.parametrize("width", [1280, 390])
def test_no_script_runs_from_article_text_in_chromium(browser, analyse_url, width):
    browser.set_window_size(width, 900)
    browser.get(analyse_url + "/")
    browser.find_element(By.ID, "text").send_keys(HOSTILE_TEXT)
    browser.find_element(By.ID, "analyse-button").click()
    wait_for(browser, "#article-text")
    marks = browser.find_elements(By.CSS_SELECTOR, "#article-text mark.m[data-tip]")
    assert marks
    for mark in marks:  # every tooltip shown, each written from the article's words
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", mark)
        ActionChains(browser).move_to_element(mark).perform()
        browser.execute_script("arguments[0].focus()", mark)
    for link in browser.find_elements(By.CSS_SELECTOR, "nav.jump a"):
        if link.is_displayed():
            link.click()
    time.sleep(0.5)  # any onload, onerror or autofocus handler would have run by now
    assert browser.execute_script("return window.pwned === undefined")
    injected = "#result img, #result svg, #result iframe, #result script, #result b, #result x, #result a[href^=java]"
    assert browser.find_elements(By.CSS_SELECTOR, injected) == []
    shown = browser.find_element(By.ID, "article-text").text
    assert '<img src=x onerror="window.pwned = 11">' in shown and "<script>window.pwned = 16</script>" in shown
    assert browser.find_element(By.ID, "tip").get_attribute("innerHTML").count("<") == 0
