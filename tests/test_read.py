"""The readers: single files for `sayso analyze`, and corpora for `sayso run`."""

from __future__ import annotations

import gzip
import json
import os
import signal
from contextlib import contextmanager
from io import BytesIO
from itertools import islice
from pathlib import Path

import pytest

from sayso.corpus.read import (
    BadRecord,
    Document,
    InputError,
    count_records,
    decode_text,
    read_corpus,
    read_text_file,
)
from sayso.settings import Settings

ARTICLE_HTML = """<html><head><title>Minister resigns</title>
<meta name="author" content="Jane Roe"><meta property="og:site_name" content="Example News">
<meta name="date" content="2023-04-05"></head>
<body><nav>Home | World | Sport</nav><article><h1>Minister resigns</h1>
<p>The minister resigned on Tuesday, officials said. "I have no regrets," she told reporters outside the
building in the capital city after a long meeting with the prime minister.</p>
<p>Critics claimed the decision came far too late, according to a statement released by the opposition.</p>
</article><footer>Copyright 2023</footer></body></html>"""


def write_warc(path: Path, pages: list[tuple[str, str]], truncate_last: int = 0, gzip_records: bool = False) -> None:
    """A WARC file of HTML responses (url, html); the last `truncate_last` bytes cut off."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = BytesIO()
    writer = WARCWriter(buf, gzip=gzip_records)
    for url, html in pages:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(html.encode("utf-8")),
                                                      http_headers=headers))
    data = buf.getvalue()
    path.write_bytes(data[: len(data) - truncate_last])


def page(n: int) -> str:
    return ARTICLE_HTML.replace("Minister resigns", f"Minister {n} resigns")


def test_read_text_file_and_its_refusals(tmp_path):
    good = tmp_path / "story.txt"
    good.write_text("\ufeffThe mayor said the bridge would reopen.", encoding="utf-8")
    read = read_text_file(str(good))
    # the byte order mark is kept: offsets index the text as in the file
    assert (read.id, read.text) == ("story", "\ufeffThe mayor said the bridge would reopen.")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 au lait")
    with pytest.raises(InputError, match=r"bad.txt: not valid UTF-8 \(byte 3\)"):
        read_text_file(str(bad))
    with pytest.raises(InputError, match="empty file"):
        decode_text(b"  \n", "x")
    with pytest.raises(InputError, match="too long"):
        decode_text(b"abc " * 10, "x", max_chars=20)


def test_folders_and_globs_of_text_files(tmp_path):
    (tmp_path / "2024").mkdir()
    (tmp_path / "2024" / "a.txt").write_text("Officials said the road was closed.", encoding="utf-8")
    (tmp_path / "2024" / "b.md").write_text("Police confirmed the arrest.", encoding="utf-8")
    (tmp_path / "2024" / "notes.csv").write_text("not an article", encoding="utf-8")
    (tmp_path / "2024" / "empty.txt").write_text("   ", encoding="utf-8")
    records = list(read_corpus([str(tmp_path)]))
    documents = [r for r in records if isinstance(r, Document)]
    assert [d.id for d in documents] == ["2024/a", "2024/b"]
    assert documents[0].record == "2024/a.txt" and documents[0].text == "Officials said the road was closed."
    bad = [(Path(r.input).name, r.reason) for r in records if isinstance(r, BadRecord)]
    assert bad == [("empty.txt", "empty file")]
    globbed = list(read_corpus([str(tmp_path / "**" / "*.md")]))
    assert [(r.id, r.record) for r in globbed if isinstance(r, Document)] == [("2024/b", "2024/b.md")]
    missing = list(read_corpus([str(tmp_path / "nothing-*.txt")]))
    assert len(missing) == 1 and isinstance(missing[0], BadRecord)
    assert count_records([str(tmp_path)]) == 3
    not_polnear = list(read_corpus([str(tmp_path)], Settings(input_format="polnear")))
    assert len(not_polnear) == 1 and "not a PolNeAR-layout folder" in not_polnear[0].reason


def test_html_page_main_text_and_metadata(tmp_path):
    (tmp_path / "story.html").write_text(ARTICLE_HTML, encoding="utf-8")
    (tmp_path / "broken.html").write_text("<html><body><div><nav>Home</nav>", encoding="utf-8")
    records = list(read_corpus([str(tmp_path)]))
    story = next(r for r in records if isinstance(r, Document))
    assert story.id == "story"
    assert '"I have no regrets," she told reporters' in story.text
    assert "Home | World" not in story.text and "Copyright" not in story.text
    assert (story.meta["title"], story.meta["author"], story.meta["outlet"], story.meta["published"]) == (
        "Minister resigns", "Jane Roe", "Example News", "2023-04-05")
    broken = next(r for r in records if isinstance(r, BadRecord))
    assert broken.record == "broken.html" and "no article text" in broken.reason


def test_html_date_not_from_a_copyright_footer(tmp_path):
    page = ("<html><head><title>Minister resigns</title></head><body><article><h1>Minister resigns</h1>"
            "<p>The minister said on Monday that she would resign, according to a statement released by her "
            "office late in the evening.</p><p>Officials said the decision had been expected for weeks and that a "
            "successor would be named soon.</p></article><footer><p>Copyright 2024 Example News. All rights "
            "reserved.</p></footer></body></html>")
    (tmp_path / "story.html").write_text(page, encoding="utf-8")
    story = next(r for r in read_corpus([str(tmp_path)]) if isinstance(r, Document))
    assert story.meta["published"] is None


def test_json_lines_fields_meta_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"doc": "n1", "body": "The mayor said the bridge would reopen.", "title": "Bridge",
                    "date": "2024-01-02", "site": "Daily"}),
        "",
        '{"doc": "n2", "body": "broken',
        json.dumps({"doc": "n3", "body": ""}),
        json.dumps({"doc": "n4", "text": "no body field"}),
        json.dumps(["a", "list"]),
        json.dumps({"body": "Police confirmed the arrest.", "meta": {"outlet": "Wire", "section": "crime"}}),
    ]
    path = tmp_path / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    options = Settings(id_field="doc", text_field="body", meta_fields={"outlet": "site"})
    records = list(read_corpus([str(path)], options))
    assert len(records) == 6  # the blank line is not a record
    first, last = records[0], records[-1]
    assert isinstance(first, Document) and first.id == "n1" and first.record == "line 1"
    assert (first.meta["title"], first.meta["published"], first.meta["outlet"]) == ("Bridge", "2024-01-02", "Daily")
    assert isinstance(last, Document) and last.id.startswith("sha1:")
    assert last.meta["outlet"] == "Wire" and last.meta["section"] == "crime"
    bad = {r.record: r.reason for r in records if isinstance(r, BadRecord)}
    assert set(bad) == {"line 3", "line 4", "line 5", "line 6"}
    assert bad["line 3"].startswith("malformed JSON") and bad["line 4"] == "empty text"
    assert "'body' is missing" in bad["line 5"] and "not an object" in bad["line 6"]
    truncated = tmp_path / "cut.jsonl.gz"
    truncated.write_bytes(path.read_bytes()[:-12])
    cut = list(read_corpus([str(truncated)], options))
    assert isinstance(cut[-1], BadRecord) and "cannot read further" in cut[-1].reason
    assert count_records([str(path)]) is None


@pytest.mark.parametrize("gzip_records", [False, True])
def test_warc_pages_through_the_html_reader_and_a_truncated_record(tmp_path, gzip_records):
    path = tmp_path / ("crawl.warc.gz" if gzip_records else "crawl.warc")
    pages = [(f"https://news.example/{n}", page(n)) for n in range(3)]
    write_warc(path, pages, truncate_last=200, gzip_records=gzip_records)
    records = list(read_corpus([str(path)]))
    documents = [r for r in records if isinstance(r, Document)]
    assert [d.meta["url"] for d in documents] == ["https://news.example/0", "https://news.example/1"]
    assert documents[0].meta["title"] == "Minister 0 resigns" and documents[0].id.startswith("urn:uuid:")
    assert len({d.id for d in documents}) == 2
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert len(bad) == 1 and "truncated" in bad[0].reason


def test_polnear_folder_texts_with_outlet_and_date(polnear_dir):
    records = list(islice(read_corpus([str(polnear_dir / "data" / "dev")]), 3))
    assert all(isinstance(r, Document) for r in records)
    first = records[0]
    assert isinstance(first, Document)
    assert first.id == Path(first.input).stem and first.meta["outlet"] == first.id.split("_")[0]
    assert first.meta["published"] == first.id.split("_")[1]
    assert (polnear_dir / "data" / "dev" / "text" / f"{first.id}.txt").read_text(encoding="utf-8") == first.text
    assert count_records([str(polnear_dir)]) == sum(
        len(list((polnear_dir / "data" / s / "text").glob("*.txt"))) for s in ("train", "dev", "test"))


def test_an_html_file_is_read_as_a_page(tmp_path):
    from sayso.corpus.read import read_text_file

    page = tmp_path / "report.html"
    page.write_text("<!doctype html><html><head><title>The plan</title></head><body><nav>Home World</nav>"
                    "<article><p>" + "The minister said the plan had failed, officials confirmed. " * 4
                    + "</p></article></body></html>", encoding="utf-8")
    read = read_text_file(str(page))
    assert "<" not in read.text and read.text.startswith("The minister said")
    assert read.meta is not None and read.meta["title"] == "The plan"


def test_html_on_standard_input_is_recognised(monkeypatch):
    import io

    from sayso.corpus.read import looks_like_html, read_text_file

    data = ("\ufeff  <!DOCTYPE html><html><body><p>" + "The minister said the plan had failed. " * 4
            + "</p></body></html>").encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert "<p>" not in read_text_file("-").text
    assert not looks_like_html(b"The <b>minister</b> said <html> is a tag.")


def test_json_meta_fields_are_text(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "The minister said the plan had failed.", "published": 20240115}\n'
                    '{"id": "b", "text": "The minister said the plan had failed.", "title": {"x": 1}}\n')
    good, bad = read_corpus([str(feed)])
    assert isinstance(good, Document) and good.meta["published"] == "20240115"
    assert isinstance(bad, BadRecord) and "'title' is a JSON dict" in bad.reason


@contextmanager
def time_limit(seconds: int):
    """Fail (not hang) when the block takes longer than `seconds`."""
    def stop(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def ids_and_errors(inputs: list[str], settings: Settings = Settings()) -> tuple[list[str], list[tuple[str, str]]]:
    records = list(read_corpus(inputs, settings))
    return ([r.id for r in records if isinstance(r, Document)],
            [(r.record, r.reason) for r in records if isinstance(r, BadRecord)])


def test_folder_links_are_not_followed_and_a_linked_file_is_read_once(tmp_path):
    (tmp_path / "elsewhere.txt").write_text("Officials said the bridge would reopen.", encoding="utf-8")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("Officials said the road was closed.", encoding="utf-8")
    (d / "sub" / "b.txt").write_text("Police confirmed the arrest.", encoding="utf-8")
    (d / "loop").symlink_to(".")  # back into the tree: 41 copies of a.txt through glob.glob
    (d / "sub" / "up").symlink_to("..")  # a second loop: glob.glob spun for minutes
    (d / "out").symlink_to(tmp_path)  # out of the tree
    (d / "again.txt").symlink_to("a.txt")  # a file read anyway
    (d / "linked.txt").symlink_to(tmp_path / "elsewhere.txt")  # a file from outside, read once
    (d / "linked-too.txt").symlink_to(tmp_path / "elsewhere.txt")
    (d / "broken.txt").symlink_to(tmp_path / "gone.txt")  # skipped, as before
    expected = ["a", "linked-too", "sub/b"]
    with time_limit(20):
        for spec in (str(d), str(d / "**" / "*.txt"), str(d / "**")):
            assert ids_and_errors([spec]) == (expected, []), spec
            assert count_records([spec]) == 3
        assert ids_and_errors([str(d / "*" / "*.txt")]) == (["sub/b"], [])
        assert ids_and_errors([str(d / "*.txt")]) == (["a", "linked-too"], [])
        # A folder named by the user may itself be a link.
        (tmp_path / "via").symlink_to(d)
        assert ids_and_errors([str(tmp_path / "via")])[0] == expected


def test_not_a_warc_archive_is_an_error_and_warcio_prints_nothing(tmp_path, capfd):
    import re

    (tmp_path / "p.warc").write_bytes(b"hello\nx\n")
    (tmp_path / "arc.warc").write_bytes(b"http://a 1.2.3.4 20200101000000 text/html 5\nhello world\nmore\n")
    (tmp_path / "z.warc.gz").write_bytes(gzip.compress(b"hello\nx\n"))
    (tmp_path / "empty.warc").write_bytes(b"")
    bad_length = tmp_path / "length.warc"  # the first record's Content-Length 7 bytes short
    write_warc(bad_length, [(f"https://news.example/{n}", page(n)) for n in range(2)])
    data = bad_length.read_bytes()
    at = data.index(b"WARC-Type: response")
    length = re.compile(rb"Content-Length: (\d+)").search(data, at)
    assert length is not None
    bad_length.write_bytes(data[:length.start(1)] + str(int(length.group(1)) - 7).encode() + data[length.end(1):])
    capfd.readouterr()
    for name in ("p.warc", "arc.warc", "z.warc.gz", "empty.warc"):
        records = list(read_corpus([str(tmp_path / name)]))
        assert len(records) == 1 and isinstance(records[0], BadRecord), name
        assert records[0].reason.startswith("not a WARC archive"), records[0].reason
    assert "(it starts with 'hello')" in next(iter(read_corpus([str(tmp_path / "p.warc")]))).reason
    documents = list(read_corpus([str(bad_length)]))
    assert len(documents) == 2 and all(isinstance(d, Document) for d in documents)
    assert capfd.readouterr().err == ""


def test_a_folder_that_cannot_be_read_is_an_error_and_the_rest_is_read(tmp_path, monkeypatch):
    locked, inner = tmp_path / "locked", tmp_path / "news" / "2024"
    locked.mkdir()
    inner.mkdir(parents=True)
    (locked / "x.txt").write_text("Officials said the road was closed.", encoding="utf-8")
    (inner / "x.txt").write_text("Officials said the road was closed.", encoding="utf-8")
    (tmp_path / "news" / "a.txt").write_text("Police confirmed the arrest.", encoding="utf-8")
    scandir = os.scandir

    def denied(path="."):
        if Path(path) in (locked, inner):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    inputs = [str(locked), str(tmp_path / "news"), str(tmp_path / "news" / "**" / "*.txt")]
    ids, errors = ids_and_errors(inputs)
    assert ids == ["a", "a"]
    assert errors == [(str(locked), "cannot read the folder (Permission denied)"),
                      ("2024", "cannot read the folder (Permission denied)"),
                      ("2024", "cannot read the folder (Permission denied)")]
    assert count_records(inputs) == 5


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_a_folder_without_permissions_is_an_error(tmp_path):
    locked = tmp_path / "news" / "locked"
    locked.mkdir(parents=True)
    (tmp_path / "news" / "a.txt").write_text("Police confirmed the arrest.", encoding="utf-8")
    locked.chmod(0)
    try:
        assert ids_and_errors([str(locked), str(tmp_path / "news")]) == (
            ["a"], [(str(locked), "cannot read the folder (Permission denied)"),
                    ("locked", "cannot read the folder (Permission denied)")])
    finally:
        locked.chmod(0o755)


def test_a_fifo_is_refused_and_never_read(tmp_path):
    from sayso.corpus.read import check_inputs

    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.txt").write_text("Police confirmed the arrest.", encoding="utf-8")
    os.mkfifo(tmp_path / "news" / "pipe.txt")
    os.mkfifo(tmp_path / "news" / "pipe")  # no reader for its name: not an input at all
    os.mkfifo(tmp_path / "feed.jsonl")
    with pytest.raises(InputError, match=r"feed.jsonl: not a regular file \(a FIFO\)"):
        check_inputs([str(tmp_path / "news"), str(tmp_path / "feed.jsonl")])
    check_inputs([str(tmp_path / "news"), str(tmp_path / "*.txt"), str(tmp_path / "missing.txt")])
    with time_limit(20):  # opening a FIFO to read it would wait for a writer
        for spec in (str(tmp_path / "news"), str(tmp_path / "news" / "*.txt")):
            assert ids_and_errors([spec]) == (["a"], [("pipe.txt", "not a regular file (a FIFO)")])
        assert ids_and_errors([str(tmp_path / "feed.jsonl")]) == ([], [("feed.jsonl", "not a regular file (a FIFO)")])
        for fmt in ("txt", "jsonl", "warc"):
            assert ids_and_errors([str(tmp_path / "news" / "pipe.txt")], Settings(input_format=fmt))[1][0][1] == (
                "not a regular file (a FIFO)")
        assert count_records([str(tmp_path / "news"), str(tmp_path / "feed.jsonl")]) == 3


COOKIE_BANNER = ("We use cookies to improve your experience. By continuing to browse the site you agree to our "
                 "use of cookies. Accept")


@pytest.mark.parametrize(("body", "reason"), [
    (f"<p>{COOKIE_BANNER}</p>", "no article text: only a cookie banner"),
    ("<div class='consent'><p>We value your privacy. This site uses cookies and similar technologies to "
     "personalise content.</p><button>Manage preferences</button><button>Accept all</button></div>",
     "no article text: only a cookie banner"),
    ("<p>You have reached your free article limit. Subscribe today to keep reading. Already a subscriber? "
     "Sign in.</p>", "no article text: only a subscription box"),
    ("<p>The mayor resigned on Tuesday, officials said, citing health reasons.</p>"
     f"<div id='cookies'><p>{COOKIE_BANNER}</p></div>", None),
    ("<p>The regulator said websites must let users reject cookies as easily as they accept them.</p>", None),
    ("<p>By continuing, the company agreed to pay a fine of four million euros, a court said.</p>", None),
])
def test_a_page_of_consent_furniture_is_not_an_article(tmp_path, body, reason):
    (tmp_path / "page.html").write_text(f"<html><head><title>News</title></head><body>{body}</body></html>",
                                        encoding="utf-8")
    records = list(read_corpus([str(tmp_path / "page.html")]))
    assert len(records) == 1
    if reason is None:
        assert isinstance(records[0], Document), records[0]
    else:
        assert isinstance(records[0], BadRecord) and records[0].reason == reason
