"""sayso.errors: one error type, with the exit and HTTP status, and what is really missing."""

import pytest

from sayso.cli import main
from sayso.errors import InputError, MissingModule, ModelError, SaysoError, StoreError, UsageError, need


def test_every_error_is_a_sayso_error_with_a_status():
    for cls in (InputError, ModelError, StoreError, UsageError, MissingModule):
        assert issubclass(cls, SaysoError)
        assert 1 <= cls.exit_status <= 2 and 400 <= cls.http_status < 600
    assert issubclass(InputError, ValueError)  # sayso.analyze raised ValueError before


def test_a_message_is_one_line():
    assert str(InputError("first\nsecond")) == "first second"




def test_need_names_the_module_really_missing(monkeypatch):
    # trafilatura imports justext, which needs lxml_html_clean: the message names that one
    import importlib
    import sys

    for name in [m for m in sys.modules if m == "trafilatura" or m.startswith("trafilatura.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(importlib, "import_module", lambda name: (_ for _ in ()).throw(
        ModuleNotFoundError("No module named 'lxml_html_clean'", name="lxml_html_clean")))
    with pytest.raises(MissingModule, match="lxml_html_clean"):
        need("trafilatura", "HTML input")


def test_a_missing_module_is_one_line_from_the_cli(monkeypatch, tmp_path, capsys):
    import sayso.corpus.read as read

    page = tmp_path / "page.html"
    page.write_text("<html><body><p>" + "The minister said the plan had failed. " * 5 + "</p></body></html>")

    def missing(module: str, purpose: str):
        raise MissingModule(f"{purpose} needs the Python module 'lxml_html_clean', which cannot be imported")

    monkeypatch.setattr(read, "need", missing)
    assert main(["analyze", str(page)]) == MissingModule.exit_status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lxml_html_clean" in err and "Traceback" not in err


def test_any_import_failure_names_the_module(monkeypatch, capsys):
    import sayso.cli as cli

    def broken(args):
        raise ModuleNotFoundError("No module named 'lxml_html_clean'", name="lxml_html_clean")

    parser = cli.build_parser()
    args = parser.parse_args(["analyze", "x.txt"])
    args.run = broken
    monkeypatch.setattr(cli, "build_parser", lambda: type("P", (), {"parse_args": lambda self, argv: args})())
    assert main(["analyze", "x.txt"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'lxml_html_clean'" in err and "internal error" not in err
