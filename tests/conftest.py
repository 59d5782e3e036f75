"""Shared fixtures: the bundled example article and the PolNeAR corpus beside the repo.

And one check on every test: each record `Article.to_dict()` returns in this
process is validated against the JSON Schema (sayso/record.schema.json); a
test during which an invalid record was made fails, with the schema's
complaints. A test that makes invalid records on purpose says so with
`@pytest.mark.invalid_records`. Records made in worker processes are out of
its reach.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "audio-recording-report.txt"
POLNEAR = (REPO.parent / "shared" / "corpora" / "polnear").resolve()


@pytest.fixture(scope="session")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example_article(example_text):
    import sayso

    return sayso.analyze(example_text, id="audio-recording-report")


@pytest.fixture(scope="session")
def polnear_dir() -> Path:
    if not (POLNEAR / "data" / "dev" / "text").is_dir():
        pytest.skip(f"PolNeAR corpus not found at {POLNEAR}")
    return POLNEAR


# --- every record validates ---------------------------------------------------------------

_INVALID: list[str] = []  # problems of the records made since the current test phase began
_MAX_REPORTED = 20


def pytest_configure(config):
    config.addinivalue_line("markers", "invalid_records: the test makes records that do not validate, on purpose")


@pytest.fixture(scope="session", autouse=True)
def validate_every_record():
    """Wrap `Article.to_dict` for the whole session so that every dict it
    returns is validated; the `pytest_runtest_*` hooks below fail the test."""
    try:
        from sayso.schema import validate

        validate({})  # jsonschema importable, the schema loads and is itself valid
    except ModuleNotFoundError as exc:
        warnings.warn(f"records are not validated: {exc}", stacklevel=1)
        yield
        return
    from sayso.record import Article

    original = Article.to_dict

    valid: set[bytes] = set()  # digests of the records found valid: the same one is often asked for again

    @functools.wraps(original)
    def to_dict(self: Article) -> dict[str, Any]:
        record = original(self)
        try:
            key = hashlib.sha256(json.dumps(record).encode()).digest()
        except (TypeError, ValueError):  # not plain JSON: the schema will say what is not
            key = None
        if key is not None and key in valid:
            return record
        problems = validate(record)
        if not problems and key is not None:
            valid.add(key)
        if problems:
            _INVALID.append(f"record {record.get('id')!r}: " + "; ".join(problems[:5])
                            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else ""))
        return record

    Article.to_dict = to_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        Article.to_dict = original  # type: ignore[method-assign]


def _check_records(item: pytest.Item, phase: str, failed: bool) -> None:
    problems = _INVALID[:]
    _INVALID.clear()
    if not problems or item.get_closest_marker("invalid_records") is not None:
        return
    listed = "\n  ".join(problems[:_MAX_REPORTED])
    more = f"\n  … and {len(problems) - _MAX_REPORTED} more" if len(problems) > _MAX_REPORTED else ""
    message = (f"{len(problems)} record(s) made during {phase} do not validate against "
               f"sayso/record.schema.json:\n  {listed}{more}")
    if failed:  # the test's own failure stays the one reported; the records are told beside it
        item.add_report_section(phase, "invalid records", message)
    else:
        pytest.fail(message, pytrace=False)


def _checked(item: pytest.Item, phase: str):
    try:
        result = yield
    except BaseException:
        _check_records(item, phase, failed=True)
        raise
    _check_records(item, phase, failed=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _checked(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _checked(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _checked(item, "teardown"))


@pytest.fixture(scope="module")
def spark():
    """A local Spark session for a test module (skips without Java 17+)."""
    from sayso.corpus.spark import SparkError, find_java_home, spark_session

    try:
        find_java_home()
    except SparkError as exc:
        pytest.skip(str(exc))
    session = spark_session("local[2]")
    yield session
    session.stop()
