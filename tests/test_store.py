"""The corpus store: rows of an article, exact round trip, idempotent writes, read-only opening."""

from __future__ import annotations

import json

import duckdb
import pytest

from sayso.corpus.store import (
    COLUMNS,
    ErrorRow,
    Provenance,
    StoreError,
    article_from_rows,
    article_rows,
    counts,
    iter_articles,
    open_store,
    read_article,
    stored_hashes,
    stored_ids,
    write_articles,
)
from sayso.record import Article


def test_article_rows_hold_the_record_fields(example_article):
    rows = article_rows(example_article, Provenance("in.txt", "in.txt"))
    assert set(rows) == {"documents", "attributions", "sources"}
    for table, table_rows in rows.items():
        assert all(list(r) == list(COLUMNS[table]) for r in table_rows)
    doc = rows["documents"][0]
    assert doc["id"] == example_article.id and doc["text"] == example_article.text
    assert doc["n_attributions"] == len(example_article.attributions) == len(rows["attributions"])
    assert json.loads(doc["profile"]) == example_article.profile
    by_id = {a["id"]: a for a in rows["attributions"]}
    for a in example_article.attributions:
        row = by_id[a.id]
        assert json.loads(row["content"]) == [s.to_dict() for s in a.content]
        assert row["content_start"] == a.content[0].start and row["content_end"] == a.content[-1].end
        speaker = example_article.source_by_id(a.speaker)
        assert row["source_name"] == (speaker.name if speaker else None)
    per_source = {s["id"]: s["n_attributions"] for s in rows["sources"]}
    for s in example_article.sources:
        assert per_source[s.id] == sum(1 for a in example_article.attributions if a.speaker == s.id)
    rebuilt = article_from_rows(doc, rows["attributions"], rows["sources"])
    assert json.dumps(rebuilt.to_dict(), ensure_ascii=False) == json.dumps(example_article.to_dict(),
                                                                          ensure_ascii=False)


def test_error_records_have_no_rows():
    with pytest.raises(ValueError, match="empty text"):
        article_rows(Article(id="x", text="", error="empty text"))


def test_write_read_and_skip_what_is_stored(tmp_path, example_article):
    db = tmp_path / "c.duckdb"
    con = open_store(db)
    other = Article.from_dict({**example_article.to_dict(), "id": "copy", "meta": {"outlet": "Elsewhere", "x": 1}})
    written = write_articles(con, [(example_article, Provenance("a.txt", "a.txt")), other],
                             [ErrorRow("bad.txt", "bad.txt", "empty file")])
    assert written == [example_article.id, "copy"]
    # Stored ids are left alone; an error row for the same record is replaced, not repeated.
    assert write_articles(con, [other], [ErrorRow("bad.txt", "bad.txt", "not valid UTF-8")]) == []
    assert counts(con) == {"documents": 2, "attributions": 2 * len(example_article.attributions),
                           "sources": 2 * len(example_article.sources), "errors": 1,
                           "entities": 0, "trails": 0}
    assert con.execute("SELECT reason FROM errors").fetchall() == [("not valid UTF-8",)]
    assert stored_ids(con, ["copy", "nope"]) == {"copy"}
    assert len(stored_hashes(con, [con.execute("SELECT content_hash FROM documents LIMIT 1").fetchone()[0]])) == 1
    con.close()
    con = open_store(db, read_only=True)
    assert read_article(con, example_article.id).to_dict() == example_article.to_dict()
    again = read_article(con, "copy")
    assert again.meta == other.meta and list(again.meta)[-1] == "x"
    assert [a.id for a in iter_articles(con, chunk=1)] == [example_article.id, "copy"]
    with pytest.raises(KeyError):
        read_article(con, "missing")
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("DELETE FROM documents")
    with pytest.raises(duckdb.Error):
        con.execute(f"COPY documents TO '{tmp_path / 'out.csv'}'")
    assert not (tmp_path / "out.csv").exists()
    con.close()


def test_a_failing_batch_stores_nothing(tmp_path, example_article):
    con = open_store(tmp_path / "c.duckdb")
    broken = Article.from_dict(example_article.to_dict())
    broken.id = "broken"
    broken.error = "analysis failed"  # an error record cannot be written: the whole batch rolls back
    with pytest.raises(ValueError):
        write_articles(con, [example_article, broken])
    assert counts(con)["documents"] == 0 and counts(con)["attributions"] == 0


def test_opening_what_is_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="no such corpus store"):
        open_store(tmp_path / "missing.duckdb", read_only=True)
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not a sayso corpus store"):
        open_store(other)
    with pytest.raises(StoreError, match="not a sayso corpus store"):
        open_store(other, read_only=True)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        open_store(junk)


NO_SPACE = 'Could not write file "c.duckdb.wal": No space left on device'


class FullDisk:
    """A store connection on a disk that fills up after `commits` commits:
    then the INSERT of attributions fails as DuckDB's does (`fail`: "io"), or
    the commit fails after DuckDB has already ended the transaction ("commit":
    the rollback that follows has none to roll back), or the database is
    invalidated and every later call fails ("fatal")."""

    def __init__(self, con: duckdb.DuckDBPyConnection, fail: str, commits: int = 0):
        self.con, self.fail, self.commits, self.invalidated = con, fail, commits, False

    def __getattr__(self, name):
        if self.invalidated:
            raise duckdb.FatalException("FATAL Error: Failed: database has been invalidated because of a previous "
                                        "fatal error. The database must be restarted prior to being used again.\n"
                                        f'Original error: "{NO_SPACE}"')
        return getattr(self.con, name)

    def execute(self, sql, *args):
        if self.commits <= 0 and self.fail in ("io", "fatal") and sql.startswith("INSERT INTO attributions"):
            if self.fail == "fatal":
                self.invalidated = True
                raise duckdb.FatalException(f"FATAL Error: Failed to commit: IO Error: {NO_SPACE}")
            raise duckdb.IOException(f"IO Error: {NO_SPACE}")
        return self.__getattr__("execute")(sql, *args)

    def commit(self):
        if self.commits <= 0 and self.fail == "commit":
            self.con.rollback()  # DuckDB ends the transaction when its commit fails
            raise duckdb.TransactionException(f"TransactionContext Error: Failed to commit: IO Error: {NO_SPACE}")
        self.commits -= 1
        return self.__getattr__("commit")()


@pytest.mark.parametrize("fail", ["io", "commit", "fatal"])
def test_a_full_disk_is_a_store_error_with_its_cause_and_the_store_stays_whole(tmp_path, example_article, fail):
    db = tmp_path / "c.duckdb"
    con = open_store(db)
    other = Article.from_dict({**example_article.to_dict(), "id": "other"})
    disk = FullDisk(con, fail, commits=1)
    assert write_articles(disk, [example_article]) == [example_article.id]  # type: ignore[arg-type]
    with pytest.raises(StoreError) as raised:
        write_articles(disk, [other], [ErrorRow("bad.txt", "bad.txt", "empty file")])  # type: ignore[arg-type]
    message = str(raised.value)
    assert message == f"cannot write to the corpus store ({NO_SPACE})" and raised.value.exit_status == 2
    if fail != "fatal":  # the connection goes on: nothing of the failed batch is there
        assert counts(con) == {"documents": 1, "attributions": len(example_article.attributions),
                               "sources": len(example_article.sources), "errors": 0,
                               "entities": 0, "trails": 0}
        assert write_articles(con, [other]) == ["other"]
    con.close()
    con = open_store(db, read_only=True)
    assert stored_ids(con, [example_article.id, "other"]) == (
        {example_article.id} if fail == "fatal" else {example_article.id, "other"})
    assert read_article(con, example_article.id).to_dict() == example_article.to_dict()
    assert counts(con)["errors"] == 0
    con.close()


def test_a_store_that_cannot_be_set_up_is_a_store_error(tmp_path, monkeypatch):
    import sayso.corpus.store as store

    def no_space(*args, **kwargs):
        raise duckdb.IOException(f"IO Error: {NO_SPACE}")

    real_connect = duckdb.connect
    monkeypatch.setattr(store.duckdb, "connect", lambda *a, **k: FullDisk(real_connect(*a, **k), "io"))
    monkeypatch.setattr(FullDisk, "execute", lambda self, sql, *args: no_space() if sql.startswith("CREATE")
                        else self.con.execute(sql, *args))
    with pytest.raises(StoreError, match=r"c.duckdb: cannot set up the corpus store \(.*No space left on device\)"):
        open_store(tmp_path / "c.duckdb")
