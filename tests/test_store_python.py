"""A store from Python: `sayso.Store` gives its tables as pandas and Arrow, SQL
as DuckDB relations and its articles as records, read-only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

import sayso  # noqa: E402
from sayso.corpus.run import run_corpus  # noqa: E402
from sayso.corpus.store import TABLES, Store, counts, open_store  # noqa: E402
from sayso.errors import QueryError, StoreError  # noqa: E402
from sayso.schema import validate  # noqa: E402

ITEMS = [
    {"id": "b-1", "text": "The council voted to close the bridge, officials said. \"We had no choice,\" "
                          "Mayor Jane Doe told reporters.", "outlet": "Daily", "published": "2024-01-15"},
    {"id": "a-2", "text": "The opposition claimed the vote was rushed. The bridge was built in 1904.",
     "outlet": "Wire"},
    {"id": "c-3", "text": "\"It is over,\" the mayor said, reportedly in tears."},
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store_python")
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(i) + "\n" for i in ITEMS) + "not json\n", encoding="utf-8")
    path = folder / "corpus.duckdb"
    summary = run_corpus([str(feed)], path, sayso.Settings(jobs=1))
    assert summary.analysed == len(ITEMS)
    return path


def test_exported_from_the_package():
    assert sayso.Store is Store
    assert "Store" in sayso.__all__ and "Settings" in sayso.__all__
    assert sayso.Settings(jobs=1).jobs == 1
    assert sayso.__version__


def test_tables_as_pandas_and_arrow(db):
    con = open_store(db, read_only=True)
    rows = counts(con)
    con.close()
    with Store(db) as store:
        assert store.tables == TABLES == ("documents", "attributions", "sources", "errors", "entities", "trails")
        for table in store.tables:
            frame = store.df(table)
            arrow = store.arrow(table)
            assert isinstance(frame, pd.DataFrame) and isinstance(arrow, pa.Table)
            assert len(frame) == arrow.num_rows == rows[table]
            assert list(frame.columns) == arrow.column_names
        documents = store.df("documents")
        assert list(documents["id"]) == [i["id"] for i in ITEMS]  # in storage order
        assert list(documents["outlet"]) == ["Daily", "Wire", None]
        attributions = store.df("attributions")
        assert set(attributions["stance"]) <= {"neutral", "assertive", "doubting", "speculative", "emotive"}
        first = attributions[attributions["doc_id"] == "b-1"]
        assert list(first["position"]) == sorted(first["position"])
        assert json.loads(first.iloc[0]["cue"])[0]["text"]  # JSON columns as JSON text
        (error,) = store.df("errors").itertuples()
        assert "malformed JSON" in error.reason


def test_sql_is_a_read_only_relation(db):
    with Store(db) as store:
        relation = store.sql("SELECT doc_id, count(*) AS n FROM attributions GROUP BY doc_id ORDER BY doc_id")
        frame = relation.df()
        assert list(frame.columns) == ["doc_id", "n"] and frame["n"].sum() == len(store.df("attributions"))
        assert store.sql("SELECT count(*) FROM documents").fetchall() == [(len(ITEMS),)]
        with pytest.raises(QueryError):
            store.sql("DELETE FROM documents")
        with pytest.raises(QueryError):
            store.sql("CREATE TABLE mine (x INTEGER)")
        with pytest.raises(QueryError):
            store.sql("SELECT * FROM nowhere")
        with pytest.raises(QueryError):
            store.sql(f"COPY documents TO '{db.parent / 'out.csv'}'")
        assert not (db.parent / "out.csv").exists()
    con = open_store(db, read_only=True)
    assert counts(con)["documents"] == len(ITEMS)
    con.close()


def test_articles_are_the_records(db):
    with Store(db) as store:
        articles = list(store.articles())
    assert [a.id for a in articles] == [i["id"] for i in ITEMS]
    for article, item in zip(articles, ITEMS, strict=True):
        assert isinstance(article, sayso.Article) and article.text == item["text"]
        assert article.check() == []
        assert validate(article.to_dict()) == []
    assert articles[0].meta["outlet"] == "Daily" and articles[0].attributions


def test_unknown_tables_are_refused(db):
    with Store(db) as store:
        for name in ("info", "documents; DROP TABLE documents", "Documents", ""):
            with pytest.raises(StoreError, match="no such table"):
                store.df(name)
            with pytest.raises(StoreError, match="no such table"):
                store.arrow(name)


def test_close_and_reopen(db):
    store = Store(db)
    assert "corpus.duckdb" in repr(store)
    store.close()
    store.close()  # again is fine
    assert "closed" in repr(store)
    with pytest.raises(StoreError, match="closed"):
        store.df("documents")
    with pytest.raises(StoreError, match="closed"):
        list(store.articles())
    with Store(str(db)) as again, Store(db) as other:  # readers share the file
        assert len(again.df("documents")) == len(other.df("documents")) == len(ITEMS)


def test_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="no such corpus store"):
        Store(tmp_path / "missing.duckdb")
    with pytest.raises(StoreError):
        Store(tmp_path)
    assert not (tmp_path / "missing.duckdb").exists()  # opening never creates one
