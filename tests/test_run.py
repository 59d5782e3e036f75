"""`sayso run`: a mixed corpus into the store, bad records into `errors`, and
a run killed with SIGKILL then resumed, losing and repeating nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sayso.cli import main
from sayso.corpus.run import run_corpus
from sayso.corpus.store import iter_articles, open_store
from sayso.settings import Settings
from tests.test_read import page, write_warc


def story(n: int) -> str:
    return (f"The council of town {n} voted to close the bridge on Monday, officials said. "
            f"\"We had no choice,\" mayor Jane Doe told reporters. Critics claimed the decision was rushed.")


@pytest.fixture()
def mixed_corpus(tmp_path: Path) -> tuple[Path, set[str], dict[tuple[str, str], str]]:
    """Files of every kind, with a bad record of each kind; returns (folder,
    ids of the good documents, {(input file name, record): words of the reason})."""
    root = tmp_path / "corpus"
    (root / "texts").mkdir(parents=True)
    (root / "texts" / "one.txt").write_text(story(1), encoding="utf-8")
    (root / "texts" / "two.md").write_text(story(2), encoding="utf-8")
    (root / "texts" / "empty.txt").write_text("  \n", encoding="utf-8")
    (root / "texts" / "latin1.txt").write_bytes(story(3).encode("utf-8") + b" caf\xe9")
    (root / "texts" / "huge.txt").write_text(story(4) * 30, encoding="utf-8")
    (root / "page.html").write_text(page(5), encoding="utf-8")
    (root / "broken.html").write_text("<html><body><div class='nav'>Home", encoding="utf-8")
    lines = [json.dumps({"id": "j1", "text": story(6), "outlet": "Wire"}), '{"id": "j2", "text": "cut',
             json.dumps({"id": "j3", "text": story(7), "published": "2024-02-03"})]
    (root / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_warc(root / "crawl.warc", [(f"https://news.example/{n}", page(n)) for n in (8, 9, 10)], truncate_last=200)
    good = {"texts/one", "texts/two", "page", "j1", "j3"}
    bad = {("empty.txt", "texts/empty.txt"): "empty file", ("latin1.txt", "texts/latin1.txt"): "not valid UTF-8",
           ("huge.txt", "texts/huge.txt"): "too long", ("broken.html", "broken.html"): "no article text",
           ("feed.jsonl", "line 2"): "malformed JSON"}
    return root, good, bad


def stored(db: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    con = open_store(db, read_only=True)
    try:
        ids = [r[0] for r in con.execute("SELECT id FROM documents ORDER BY seq").fetchall()]
        errors = con.execute("SELECT input, record, reason FROM errors ORDER BY input, record").fetchall()
        return ids, errors
    finally:
        con.close()


def test_mixed_corpus_every_good_document_once_every_bad_one_in_errors(tmp_path, mixed_corpus, capsys):
    root, good, bad = mixed_corpus
    db = tmp_path / "corpus.duckdb"
    assert main(["run", str(root), "--db", str(db), "-j", "1", "--max-chars", "2000", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "7 analysed, 0 skipped, 6 failed" in out
    ids, errors = stored(db)
    warc_ids = [i for i in ids if i.startswith("urn:uuid:")]
    assert len(warc_ids) == 2 and set(ids) - set(warc_ids) == good and len(ids) == len(set(ids))
    by_record = {(Path(i).name, r): reason for i, r, reason in errors}
    assert len(by_record) == len(errors) == len(bad) + 1
    for key, words in bad.items():
        assert words in by_record[key], (key, by_record.get(key))
    warc_errors = [reason for (name, _), reason in by_record.items() if name == "crawl.warc"]
    assert len(warc_errors) == 1 and "truncated" in warc_errors[0]
    con = open_store(db, read_only=True)
    j1 = next(a for a in iter_articles(con) if a.id == "j1")
    con.close()
    assert j1.meta["outlet"] == "Wire" and j1.attributions and not j1.check()
    # Running again stores nothing twice and repeats no error row.
    assert main(["run", str(root), "--db", str(db), "-j", "1", "--max-chars", "2000", "--quiet"]) == 0
    assert "0 analysed, 7 skipped, 6 failed" in capsys.readouterr().out
    assert stored(db) == (ids, errors)


def test_run_refuses_what_it_cannot_use(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nowhere"), "--db", str(tmp_path / "c.duckdb")]) == 2
    assert "nowhere: no such file or folder" in capsys.readouterr().err
    (tmp_path / "a.txt").write_text(story(1), encoding="utf-8")
    assert main(["run", str(tmp_path / "a.txt"), "--db", str(tmp_path), "-j", "1"]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "a.txt"), "--db", str(tmp_path / "c.duckdb"), "--meta-field", "x"]) == 2
    assert "META=FIELD" in capsys.readouterr().err


def test_a_fifo_named_as_input_is_refused_before_the_run(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "a.txt").write_text(story(1), encoding="utf-8")
    db = tmp_path / "c.duckdb"
    assert main(["run", str(tmp_path / "a.txt"), str(tmp_path / "pipe.txt"), "--db", str(db), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'pipe.txt'}: not a regular file (a FIFO)" in err and len(err.strip().splitlines()) == 1
    assert not db.exists()


def test_an_unreadable_folder_is_an_error_row_and_the_other_inputs_are_stored(tmp_path, monkeypatch, capsys):
    locked, news = tmp_path / "locked", tmp_path / "news"
    (news / "2024").mkdir(parents=True)
    locked.mkdir()
    (news / "a.txt").write_text(story(1), encoding="utf-8")
    (news / "2024" / "b.txt").write_text(story(2), encoding="utf-8")
    (tmp_path / "c.txt").write_text(story(3), encoding="utf-8")
    scandir = os.scandir

    def denied(path="."):
        if Path(path) in (locked, news / "2024"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    db = tmp_path / "c.duckdb"
    assert main(["run", str(locked), str(news), str(tmp_path / "c.txt"), "--db", str(db), "-j", "1", "-q"]) == 0
    assert "2 analysed, 0 skipped, 2 failed" in capsys.readouterr().out
    ids, errors = stored(db)
    assert ids == ["a", "c"]
    assert errors == [(str(locked), str(locked), "cannot read the folder (Permission denied)"),
                      (str(news / "2024"), "2024", "cannot read the folder (Permission denied)")]


@pytest.mark.parametrize("fail", ["io", "commit", "fatal"])
def test_a_full_disk_ends_the_run_with_its_cause_and_the_run_resumes(tmp_path, monkeypatch, capsys, fail):
    import sayso.corpus.run as run
    from tests.test_store import FullDisk

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": f"d{i}", "text": story(i)}) + "\n" for i in range(6)),
                    encoding="utf-8")
    db = tmp_path / "c.duckdb"
    disks: list[FullDisk] = []
    real_open_store = run.open_store

    def full_disk(path):
        disks.append(FullDisk(real_open_store(path), fail, commits=2))
        return disks[-1]

    monkeypatch.setattr(run, "open_store", full_disk)
    command = ["run", str(feed), "--db", str(db), "-j", "1", "--batch-size", "2", "-q"]
    assert main(command) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "internal error" not in err, err
    assert err.startswith(f"sayso: {db}: cannot write to the corpus store (")
    assert "No space left on device" in err and "(4 documents in this run)" in err
    assert "run the same command again to finish" in err
    disks[0].con.close()  # what the process ending would do
    monkeypatch.setattr(run, "open_store", real_open_store)
    assert stored(db) == (["d0", "d1", "d2", "d3"], [])
    assert main(command) == 0
    assert "2 analysed, 4 skipped, 0 failed" in capsys.readouterr().out
    assert stored(db) == ([f"d{i}" for i in range(6)], [])


@pytest.fixture()
def small_disk(tmp_path):
    """A 192 KiB tmpfs (root only, and where mounting is allowed); grown by calling it."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount_point)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")

    def grow() -> None:
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount_point)], check=True)

    try:
        yield mount_point, grow
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_a_run_on_a_really_full_disk_says_so_and_resumes(tmp_path, small_disk, capsys):
    mount_point, grow = small_disk
    feed = tmp_path / "feed.jsonl"
    n = 12
    feed.write_text("".join(json.dumps({"id": f"d{i:02}", "text": story(i) * 12}) + "\n" for i in range(n)),
                    encoding="utf-8")
    db = mount_point / "c.duckdb"
    command = ["run", str(feed), "--db", str(db), "-j", "1", "--batch-size", "2", "-q"]
    assert main(command) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "No space left on device" in err and "internal error" not in err, err
    grow()
    ids, _ = stored(db)  # readable
    assert main(command) == 0
    assert f"{n - len(ids)} analysed, {len(ids)} skipped, 0 failed" in capsys.readouterr().out
    assert stored(db) == ([f"d{i:02}" for i in range(n)], [])


def test_repeated_ids_and_texts_are_skipped(tmp_path):
    lines = [json.dumps({"id": "same", "text": story(1)}), json.dumps({"id": "same", "text": story(2)}),
             json.dumps({"id": "other", "text": story(1)}), json.dumps({"id": "same", "text": story(1)})]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_corpus([str(feed)], tmp_path / "a.duckdb", Settings(jobs=1))
    assert (summary.analysed, summary.skipped, summary.failed) == (2, 1, 1)
    assert stored(tmp_path / "a.duckdb") == (["same", "other"], [
        (str(feed), "line 2", f"id 'same' is already stored with a different text (from {feed}, line 1)")])
    summary = run_corpus([str(feed)], tmp_path / "b.duckdb", Settings(jobs=1, skip_same_text=True))
    assert (summary.analysed, summary.skipped, summary.failed) == (1, 2, 1)


def test_an_id_stored_with_another_text_is_an_error_and_resumes_record_none(tmp_path, monkeypatch):
    import sayso.corpus.run as run

    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"id": "x", "text": story(1)}) + "\n", encoding="utf-8")
    # x again with another text, then with its own; y with two texts; 30 others; y with its own text again
    items = [("x", story(2)), ("x", story(1)), ("y", story(3)), ("d0", story(10)), ("y", story(4))]
    items += [(f"d{i}", story(10 + i)) for i in range(1, 30)] + [("y", story(3))]
    second.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in items), encoding="utf-8")
    db = tmp_path / "c.duckdb"
    run_corpus([str(first)], db, Settings(jobs=1))
    # Small look-ups and batches: the first y is stored while the second waits, looked up before that.
    monkeypatch.setattr(run, "CHECK_CHUNK", 3)
    summary = run_corpus([str(second)], db, Settings(jobs=1, batch_size=2))
    assert (summary.analysed, summary.skipped, summary.failed) == (31, 2, 2)
    expected = [(str(second), "line 1", f"id 'x' is already stored with a different text (from {first}, line 1)"),
                (str(second), "line 5", f"id 'y' is already stored with a different text (from {second}, line 3)")]
    ids, errors = stored(db)
    assert errors == expected and len(ids) == len(set(ids)) == 32
    # Run again, as after an interruption: what this store holds is skipped, the same two errors stay.
    summary = run_corpus([str(first), str(second)], db, Settings(jobs=1, batch_size=4))
    assert (summary.analysed, summary.skipped, summary.failed) == (0, 34, 2)
    assert stored(db) == (ids, expected)


KILLED_RUN = """
import sys
from sayso.corpus.run import run_corpus
from sayso.settings import Settings

class Committed:
    # run_corpus reports its counts after each batch it has committed to the store
    def start(self, total): pass
    def update(self, summary): print("committed", summary.analysed, flush=True)
    def stop(self): pass

run_corpus([sys.argv[1]], sys.argv[2], Settings(jobs=2, batch_size=4), progress=Committed())
"""


@pytest.mark.slow
def test_a_run_killed_part_way_and_resumed_loses_and_repeats_nothing(tmp_path):
    feed = tmp_path / "feed.jsonl"
    n = 120
    feed.write_text("".join(json.dumps({"id": f"d{i:03}", "text": story(i)}) + "\n" for i in range(n)),
                    encoding="utf-8")
    reference = tmp_path / "reference.duckdb"
    run_corpus([str(feed)], reference, Settings(jobs=1, batch_size=4))

    db = tmp_path / "killed.duckdb"
    # `sayso run -j 2 --batch-size 4`, saying when each batch is committed, so that the kill
    # comes after the first commit (a write-ahead log that merely exists may hold half a commit)
    killed_run = [sys.executable, "-c", KILLED_RUN, str(feed), str(db)]
    process = subprocess.Popen(killed_run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    assert first.startswith("committed"), first + process.stderr.read()
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)  # the main process only, as the kernel's OOM killer would
    process.wait()
    # The workers notice their parent is gone (once they have started) and end.
    deadline = time.monotonic() + 30
    while (orphans := subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True).stdout
           .split()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert orphans == []

    command = [sys.executable, "-m", "sayso", "run", str(feed), "--db", str(db), "-j", "2", "--batch-size", "4"]
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    done, skipped = (int(resumed.stdout.split(" analysed")[0].split()[-1]),
                     int(resumed.stdout.split(" skipped")[0].split()[-1]))
    assert done > 0 and skipped > 0 and done + skipped == n, resumed.stdout

    def records(path: Path) -> list[str]:
        con = open_store(path, read_only=True)
        try:
            return sorted(json.dumps(a.to_dict(), ensure_ascii=False) for a in iter_articles(con))
        finally:
            con.close()

    assert records(db) == records(reference)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM documents").fetchone() == (n, n)
    assert con.execute("SELECT count(*) FROM errors").fetchone() == (0,)
    con.close()


@pytest.mark.slow
def test_worker_processes_read_the_input_only_a_few_batches_ahead():
    """What keeps a run's memory flat: `analyze_many` with workers must not
    read its whole input first (as `Pool.imap` did), and must keep the order."""
    from sayso.pipeline import analyze_many

    consumed = 0

    def items():
        nonlocal consumed
        for i in range(60):
            consumed += 1
            yield story(i), f"d{i}", None

    results = analyze_many(items(), jobs=2, batch_size=2)
    first = next(results)
    assert consumed <= 2 * 2 * 2 + 2  # two batches per worker in flight, and the one being read
    rest = list(results)
    assert [a.id for a in [first, *rest]] == [f"d{i}" for i in range(60)]
    assert consumed == 60 and all(a.ok for a in rest)
