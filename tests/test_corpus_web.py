"""The entity and trail pages and their API routes: in-process requests, and Chromium (browser tests)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sayso.web.app import create_app

from .test_corpus_links import QUOTE, _article, _store


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    articles = [_article("a", QUOTE, "Donald Trump", "2016-01-02"),
                _article("b", QUOTE.replace("great", "big"), "Trump", "2016-01-01", "other"),
                _article("c", QUOTE, "officials <script>window.pwned = 1</script>", "2016-02-03", type_="group")]
    return _store(tmp_path_factory.mktemp("linked"), articles)


def _ids(db):
    from sayso.corpus.store import open_store

    con = open_store(db, read_only=True)
    entity = con.execute("SELECT id FROM entities WHERE name = 'Donald Trump'").fetchone()[0]
    trail = con.execute("SELECT id FROM trails").fetchone()[0]
    con.close()
    return entity, trail


def test_entity_and_trail_api(linked):
    entity, trail = _ids(linked)
    with TestClient(create_app(str(linked))) as client:
        e = client.get(f"/api/entities/{entity}").json()
        assert e["name"] == "Donald Trump" and set(e["aliases"]) == {"Donald Trump", "Trump"}
        assert e["by_month"] == [{"month": "2016-01", "attributions": 2}]
        t = client.get(f"/api/trails/{trail}").json()
        assert [a["article"]["id"] for a in t["appearances"]] == ["b", "a", "c"]  # first by date
        assert t["altered"] and t["drift"]  # "big" -> "great"; Donald Trump and "officials"
        assert {"op": "replace", "from": "big", "to": "great"} in t["appearances"][1]["diff"]
        missing = client.get("/api/trails/999")
        assert missing.status_code == 404 and "no trail 999" in missing.json()["detail"]
        assert client.get("/api/entities/x").status_code in (404, 422)
        page = client.get(f"/trails/{trail}")
        assert page.status_code == 200 and "<ins>great</ins>" in page.text and "<script>window" not in page.text
        assert "Donald Trump" in client.get(f"/entities/{entity}").text


def test_an_unlinked_store_says_so(tmp_path):
    from sayso.corpus.store import open_store, write_articles

    db = tmp_path / "old.duckdb"
    con = open_store(db)
    write_articles(con, [_article("a", QUOTE, "Donald Trump", "2016-01-02")])
    con.execute("DROP TABLE entities")
    con.execute("DROP TABLE trails")
    con.close()
    with TestClient(create_app(str(db))) as client:
        answer = client.get("/api/trails/1")
        assert answer.status_code == 404 and "sayso link" in answer.json()["detail"]


@pytest.mark.browser
def test_entity_and_trail_pages_in_chromium(linked, tmp_path):
    from .test_web_browser import CHROMEDRIVER, CHROMIUM, Server, wait_for

    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no chromium and chromedriver installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from .test_web_browser import FLAGS

    _, trail = _ids(linked)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        with Server(create_app(str(linked))) as url:
            driver.get(f"{url}/trails/{trail}")
            wait_for(driver, "#appearances")
            items = driver.find_elements(By.CSS_SELECTOR, "#appearances li")
            assert len(items) == 3 and driver.find_elements(By.ID, "flag-altered")
            assert [i.text for i in items[1].find_elements(By.TAG_NAME, "ins")] == ["great"]
            assert driver.execute_script("return window.pwned === undefined")
            items[0].find_element(By.CSS_SELECTOR, "a[href^='/entities/']").click()
            wait_for(driver, "#entity-name")
            assert driver.find_element(By.ID, "entity-name").text.startswith("Donald Trump")
            assert driver.find_elements(By.CSS_SELECTOR, "svg.timeline rect")
            assert {li.text.split(" (")[0] for li in driver.find_elements(By.CSS_SELECTOR, "#aliases li")} == {
                "Donald Trump", "Trump"}
            driver.find_element(By.CSS_SELECTOR, "#results a[href^='/articles/']").click()
            WebDriverWait(driver, 30).until(lambda d: "/articles/" in d.current_url)
            assert "Mexico will pay" in driver.find_element(By.TAG_NAME, "main").text
    finally:
        driver.quit()
