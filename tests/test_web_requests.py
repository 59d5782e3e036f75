"""Bad requests to the web app: every one a 4xx with a one-line error, never a 500; the headers
every answer carries; HEAD where GET is; Hosts the server does not answer to."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sayso.web.app import create_app
from sayso.web.headers import host_names

from .test_web_api import build_store

TEXT = "The minister said the plan had failed."


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    build_store(path)
    with TestClient(create_app(str(path), page_size=2), raise_server_exceptions=False) as c:
        yield c


def one_line_json_error(response) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and detail, detail
    return detail


BAD_JSON = [
    ('{"text": "The minister said \\ud800 it."}', "lone surrogate"),
    ('{"text": "' + TEXT + '", "id": "a\\udfff"}', "lone surrogate"),
    ('{"text": "' + TEXT + '", "meta": {"title": "x\\ud800"}}', "lone surrogate"),
    ('{"text": "' + TEXT + '", "meta": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}", "nested too deeply"),
    ('{"text": "' + TEXT + '", "meta": {"title": {"x": 1}}}', "meta.title"),
    ('{"text": "' + TEXT + '", "meta": {"published": 12}}', "meta.published"),
    ('{"text": "' + TEXT + '", "meta": {"url": ["a"]}}', "meta.url"),
    ('{"text": "' + TEXT + '", "id": Infinity}', '"id"'),
    ('{"text": "' + TEXT + '", "id": {"a": 1}}', '"id"'),
    ('{"text": "' + TEXT + '", "id": true}', '"id"'),
    ('{"text": 12}', '"text" string'),
    ("[1, 2]", '"text" string'),
    ('{"text": "' + TEXT + '", "meta": [1]}', "must be an object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_JSON, ids=[m for _, m in BAD_JSON])
def test_bad_json_is_a_400_with_a_one_line_error(client, body, message):
    response = client.post("/api/analyze", content=body.encode("utf-8", "surrogatepass"),
                           headers={"content-type": "application/json"})
    assert response.status_code == 400 and message in one_line_json_error(response)


def test_bad_json_on_the_form_page_is_a_page_not_a_500(client):
    response = client.post("/analyze", content=BAD_JSON[0][0].encode(), headers={"content-type": "application/json"})
    assert response.status_code == 400 and "lone surrogate" in response.text


def test_good_meta_is_kept(client):
    record = client.post("/api/analyze", json={"text": TEXT, "id": 7, "meta": {"title": "T", "published": None}})
    assert record.status_code == 200 and record.json()["id"] == "7" and record.json()["meta"]["title"] == "T"


HUGE = ["9223372036854775807", "9223372036854775808", "9999999999999999999", "9999999999999999999999999", "-1"]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("path", ["/api/sources?offset={}", "/api/search?q=trump&offset={}",
                                  "/api/articles?offset={}", "/api/sources?limit={}"])
def test_out_of_range_numbers_in_the_api_are_4xx(client, path, value):
    one_line_json_error(client.get(path.format(value)))


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("path", ["/search?q=Trump&page={}", "/articles?page={}", "/sources/Jane%20Doe?page={}"])
def test_out_of_range_pages_are_4xx_pages(client, path, value):
    response = client.get(path.format(value))
    assert 400 <= response.status_code < 500 and "<html" in response.text.lower()


def test_a_page_past_the_last_shows_the_last(client):
    response = client.get("/articles?page=99999")
    assert response.status_code == 200 and "99999" not in response.text


def test_method_not_allowed_is_405_json(client):
    assert one_line_json_error(client.put("/api/sources")) and client.put("/api/sources").status_code == 405


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                                   lambda inner: st.lists(inner, max_size=4)
                                   | st.dictionaries(st.sampled_from(["text", "id", "meta", "title", "x"]), inner,
                                                     max_size=4), max_leaves=12)
                      .map(lambda v: json.dumps(v).encode())),
       ctype=st.sampled_from(["application/json", "text/plain", "text/html", "application/x-www-form-urlencoded",
                              "multipart/form-data; boundary=x", "image/png", ""]))
def test_no_malformed_body_gets_a_5xx(client, body, ctype):
    response = client.post("/api/analyze", content=body, headers={"content-type": ctype} if ctype else {})
    assert response.status_code < 500, (response.status_code, body[:80], ctype, response.text[:200])


def test_every_answer_carries_the_security_headers(client):
    for path in ("/", "/api/sources", "/nothing-here", "/static/sayso.css"):
        headers = client.get(path).headers
        assert "script-src 'self';" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert "'unsafe-inline'" in client.get("/api/docs").headers["content-security-policy"]  # Swagger UI only


def test_head_is_answered_wherever_get_is(client):
    for path in ("/", "/articles", "/api/sources", "/api/openapi.json"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]


def test_a_server_refuses_hosts_it_does_not_answer_to():
    app = create_app(hosts=host_names("127.0.0.1", ["news.example"]))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "localhost:8000"}).status_code == 200
        assert c.get("/", headers={"host": "[::1]:8000"}).status_code == 200
        assert c.get("/", headers={"host": "news.example"}).status_code == 200
        refused = c.get("/api/sources", headers={"host": "evil.example:8000"})
        assert refused.status_code == 400 and "evil.example" in one_line_json_error(refused)
