"""`sayso query`: each question's answer checked against counts computed
independently from the exported `sayso.article/1` records."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from sayso.cli import main
from sayso.corpus.export import export_jsonl
from sayso.corpus.query import (
    QueryError,
    attributions_by_source,
    matching_sources,
    most_cited_sources,
    outlet_profile,
    run_sql,
    search_content,
)
from sayso.corpus.run import run_corpus
from sayso.corpus.store import counts, open_store
from sayso.nlp.profile import UNNAMED_TYPES
from sayso.settings import Settings

NAMED = ("person", "organization")


def story(n: int, speaker: str) -> str:
    return (f"The council of town {n} voted to close the bridge, officials said. "
            f"\"We had no choice,\" {speaker} told reporters. The opposition claimed the vote was rushed. "
            "The bridge was built in 1904.")


@pytest.fixture(scope="module")
def store(tmp_path_factory, example_text) -> tuple[Path, list[dict[str, Any]]]:
    """A small store of two outlets over two months, and its exported records."""
    folder = tmp_path_factory.mktemp("query")
    items = [
        {"id": "petraeus", "text": example_text, "outlet": "Daily", "published": "2024-01-15"},
        {"id": "s1", "text": story(1, "Mayor Jane Doe"), "outlet": "Daily", "published": "2024-01-20"},
        {"id": "s2", "text": story(2, "Mayor Jane Doe"), "outlet": "Wire", "published": "2024-02-02T10:00:00Z"},
        {"id": "s3", "text": story(3, "Senator John Smith"), "outlet": "Wire", "published": "2024-02-09"},
        {"id": "s4", "text": story(4, "a council spokesman"), "published": None},
    ]
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    db = folder / "corpus.duckdb"
    summary = run_corpus([str(feed)], db, Settings(jobs=1))
    assert summary.analysed == len(items)
    con = open_store(db, read_only=True)
    out = io.StringIO()
    export_jsonl(con, out)
    con.close()
    return db, [json.loads(line) for line in out.getvalue().splitlines()]


def citations(records: list[dict[str, Any]], key=lambda r: None, types=NAMED) -> dict[Any, dict[str, tuple[int, int]]]:
    """(group, source name) -> (attributions, documents), from the records alone."""
    n_attributions: Counter[tuple[Any, str]] = Counter()
    documents: defaultdict[tuple[Any, str], set[str]] = defaultdict(set)
    for r in records:
        sources = {s["id"]: s for s in r["sources"]}
        for a in r["attributions"]:
            source = sources.get(a["speaker"])
            if source and (types is None or source["type"] in types):
                n_attributions[(key(r), source["name"])] += 1
                documents[(key(r), source["name"])].add(r["id"])
    grouped: dict[Any, dict[str, tuple[int, int]]] = defaultdict(dict)
    for (group, name), n in n_attributions.items():
        grouped[group][name] = (n, len(documents[(group, name)]))
    return grouped


def test_most_cited_sources_overall_per_outlet_per_month(store):
    db, records = store
    con = open_store(db, read_only=True)
    overall = most_cited_sources(con, limit=100)
    assert overall.columns == ["source", "type", "attributions", "documents"]
    assert {r[0]: (r[2], r[3]) for r in overall.rows} == citations(records)[None]
    assert [r[2] for r in overall.rows] == sorted((r[2] for r in overall.rows), reverse=True)
    every_type = most_cited_sources(con, limit=100, types=None)
    assert {r[0]: (r[2], r[3]) for r in every_type.rows} == citations(records, types=None)[None]
    top1 = most_cited_sources(con, limit=1)
    assert top1.rows[0][0] == "David Petraeus"

    per_outlet = most_cited_sources(con, by="outlet", limit=100, types=None)
    expected = citations(records, key=lambda r: r["meta"]["outlet"] or "(unknown)", types=None)
    got: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for outlet, name, _, n, docs in per_outlet.rows:
        got[outlet][name] = (n, docs)
    assert got == expected and set(got) == {"Daily", "Wire", "(unknown)"}
    per_month = most_cited_sources(con, by="month", limit=100, types=None)
    expected = citations(records, key=lambda r: (r["meta"]["published"] or "(unknown)")[:7]
                         if r["meta"]["published"] else "(unknown)", types=None)
    got = defaultdict(dict)
    for month, name, _, n, docs in per_month.rows:
        got[month][name] = (n, docs)
    assert got == expected and set(got) == {"2024-01", "2024-02", "(unknown)"}
    assert len(most_cited_sources(con, by="outlet", limit=1, types=None).rows) == 3
    only_wire = most_cited_sources(con, outlet="Wire", limit=100, types=None)
    assert {r[0]: (r[2], r[3]) for r in only_wire.rows} == got_wire(records)
    with pytest.raises(QueryError):
        most_cited_sources(con, by="year")
    con.close()


def got_wire(records):
    return citations([r for r in records if r["meta"]["outlet"] == "Wire"], types=None)[None]


def test_every_attribution_by_a_source_with_loose_names(store):
    db, records = store
    con = open_store(db, read_only=True)
    expected = {(r["id"], a["id"]) for r in records for a in r["attributions"]
                for s in r["sources"] if s["id"] == a["speaker"] and "petraeus" in s["name"].lower()}
    assert len(expected) >= 3
    for name in ("Petraeus", "David Petraeus", "petreaus"):
        result = attributions_by_source(con, name, min_match=85)
        assert {(row[0], row[3]) for row in result.rows} == expected, name
    assert [m for m, _ in matching_sources(con, "Petraeus")] == ["David Petraeus"]
    assert attributions_by_source(con, "Boris Johnson").rows == []
    with pytest.raises(QueryError):
        attributions_by_source(con, "  ")
    con.close()


def test_attributions_whose_content_contains_a_phrase(store):
    db, records = store
    con = open_store(db, read_only=True)
    for phrase in ("no choice", "NOT SURPRISING", "rushed"):
        expected = {(r["id"], a["id"]) for r in records for a in r["attributions"]
                    if any(phrase.lower() in span["text"].lower() for span in a["content"])}
        assert expected
        assert {(row[0], row[3]) for row in search_content(con, phrase).rows} == expected
    con.close()


def test_the_sourcing_profile_of_an_outlet(store):
    db, records = store
    con = open_store(db, read_only=True)
    result = outlet_profile(con)
    rows = {r["outlet"]: r for r in result.to_dicts()}
    assert set(rows) == {"Daily", "Wire", "(unknown)"}
    for outlet, row in rows.items():
        mine = [r for r in records if (r["meta"]["outlet"] or "(unknown)") == outlet]
        sources = [s for r in mine for s in r["sources"]]
        attributions = [a for r in mine for a in r["attributions"]]
        sentences = sum(r["profile"]["sentences"] for r in mine)
        unattributed = sum(round(r["profile"]["unattributed_sentence_share"] * r["profile"]["sentences"])
                           for r in mine)
        assert row["documents"] == len(mine) and row["attributions"] == len(attributions)
        assert row["unnamed_source_share"] == pytest.approx(
            sum(s["type"] in UNNAMED_TYPES for s in sources) / len(sources), abs=1e-4)
        assert row["doubting_cue_share"] == pytest.approx(
            sum(a["stance"] == "doubting" for a in attributions) / len(attributions), abs=1e-4)
        assert row["unattributed_sentence_share"] == pytest.approx(unattributed / sentences, abs=1e-4)
    assert outlet_profile(con, "Wire").rows == [tuple(rows["Wire"].values())]
    with pytest.raises(QueryError, match="no documents from the outlet 'Nope'"):
        outlet_profile(con, "Nope")
    con.close()


def test_sql_is_read_only(store, tmp_path):
    db, records = store
    con = open_store(db, read_only=True)
    assert run_sql(con, "SELECT count(*) AS n FROM documents").rows == [(len(records),)]
    before = counts(con)
    for statement in ("DELETE FROM documents", "INSERT INTO errors VALUES ('a', 'b', 'c', now())",
                      "DROP TABLE sources", "UPDATE documents SET text = ''",
                      "SELECT 1; DELETE FROM documents", f"COPY documents TO '{tmp_path / 'x.csv'}'"):
        with pytest.raises(QueryError):
            run_sql(con, statement)
    with pytest.raises(QueryError, match="SQL error"):
        run_sql(con, "SELECT nonsense FROM nowhere")
    assert counts(con) == before and not (tmp_path / "x.csv").exists()
    con.close()


def test_query_command_formats_and_errors(store, capsys):
    db, records = store
    assert main(["query", "--db", str(db), "--sql", "SELECT id FROM documents ORDER BY seq", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["id"], *[[r["id"]] for r in records]]
    assert main(["query", "--db", str(db), "content", "no choice", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer and all("no choice" in row["content"].lower() for row in answer)
    assert main(["query", "--db", str(db), "sources", "--by", "outlet"]) == 0
    assert "David Petraeus" in capsys.readouterr().out
    assert main(["query", "--db", str(db), "--sql", "DELETE FROM documents"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "read-only: DELETE statements are refused" in err
    assert main(["query", "--db", str(db)]) == 2
    assert main(["query", "--db", str(db), "sources", "--types", "people"]) == 2
    assert main(["query", "--db", str(db.parent / "missing.duckdb"), "profile"]) == 2
    assert "no such corpus store" in capsys.readouterr().err


CROSS_JOIN = "SELECT count(*) FROM range(1000000000) a, range(1000000) b"  # hours of work, unless stopped


def test_sql_past_its_time_limit_is_stopped(store, capsys):
    import time

    db, records = store
    con = open_store(db, read_only=True)
    started = time.monotonic()
    with pytest.raises(QueryError, match=r"^the query ran past its 0.5 s limit and was stopped"):
        run_sql(con, CROSS_JOIN, timeout=0.5)
    assert time.monotonic() - started < 10
    assert run_sql(con, "SELECT count(*) FROM documents", timeout=5).rows == [(len(records),)]  # the connection is fine
    con.close()
    started = time.monotonic()
    assert main(["query", "--db", str(db), "--sql", CROSS_JOIN, "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert err == "sayso: the query ran past its 1 s limit and was stopped (--timeout SECONDS allows more)\n"
    assert time.monotonic() - started < 15
    assert main(["query", "--db", str(db), "--sql", "SELECT 1", "--timeout", "-1"]) == 2
    assert "--timeout" in capsys.readouterr().err


def test_sql_past_its_memory_limit_is_stopped(store, capsys):
    db, _ = store
    assert main(["query", "--db", str(db), "--sql", "SELECT list(range) FROM range(300000000)",
                 "--memory-limit", "100MB"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sayso: the query needed more memory than its limit and was stopped (Out of Memory Error")
    assert err.count("\n") == 1 and "--memory-limit allows more" in err
    assert main(["query", "--db", str(db), "--sql", "SELECT current_setting('memory_limit') AS m",
                 "--format", "csv", "--memory-limit", "256MB"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("244")  # DuckDB shows 256MB as 244.1 MiB
    assert main(["query", "--db", str(db), "--sql", "SELECT 1", "--memory-limit", "lots"]) == 2
    assert "--memory-limit 'lots': give a size" in capsys.readouterr().err


def test_ctrl_c_stops_a_query(store):
    """Ctrl-C is SIGINT for the main thread, which DuckDB does not hear while it computes."""
    import os
    import signal
    import threading
    import time

    db, _ = store
    con = open_store(db, read_only=True)
    # a process started in the background by a non-interactive shell inherits SIGINT ignored, and Python
    # then installs no handler: give it the usual one for this test
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sql(con, CROSS_JOIN)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 10
    assert run_sql(con, "SELECT 1 AS one").rows == [(1,)]
    con.close()


def test_ctrl_c_stops_the_query_command(store):
    import signal
    import subprocess
    import sys
    import time

    db, _ = store
    process = subprocess.Popen([sys.executable, "-m", "sayso", "query", "--db", str(db), "--sql", CROSS_JOIN,
                                "--timeout", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Once DuckDB's threads run the query (more than a few threads), Ctrl-C.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with open(f"/proc/{process.pid}/status") as status:
                threads = int(next(line for line in status if line.startswith("Threads:")).split()[1])
            if threads > 2:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130 and err == "sayso: interrupted\n", err
