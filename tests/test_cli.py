"""The command line: formats, exit codes and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sayso.cli import main

from .conftest import EXAMPLE


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_report(capsys):
    code, out, err = run(capsys, "analyze", str(EXAMPLE))
    assert code == 0 and err == ""
    for expected in ("Attributions", "Sources", "Sourcing profile", "David Petraeus", "According to"):
        assert expected in out


def test_json_one_record(capsys):
    code, out, _ = run(capsys, "analyze", str(EXAMPLE), "--format", "json")
    assert code == 0
    record = json.loads(out)
    assert record["schema"] == "sayso.article/1"
    assert record["id"] == "audio-recording-report"
    assert len(record["attributions"]) >= 14


def test_json_array_for_several_inputs(capsys, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("“We will win,” she said.", encoding="utf-8")
    code, out, _ = run(capsys, "analyze", str(EXAMPLE), str(other), "--format", "json")
    records = json.loads(out)
    assert code == 0 and [r["id"] for r in records] == ["audio-recording-report", "other"]


def test_jsonl_to_file(capsys, tmp_path):
    target = tmp_path / "out.jsonl"
    code, out, _ = run(capsys, "analyze", str(EXAMPLE), "--format", "jsonl", "-o", str(target))
    assert code == 0 and out == ""
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["schema"] == "sayso.article/1"


def test_min_score_filters(capsys):
    _, out, _ = run(capsys, "analyze", str(EXAMPLE), "--format", "json")
    every = json.loads(out)["attributions"]
    _, out, _ = run(capsys, "analyze", str(EXAMPLE), "--format", "json", "--min-score", "0.8")
    kept = json.loads(out)["attributions"]
    assert 0 < len(kept) < len(every)
    assert all(a["score"] >= 0.8 for a in kept)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"caf\xe9 au lait, said the waiter", "not valid UTF-8"),
    ],
)
def test_bad_files(capsys, tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, out, err = run(capsys, "analyze", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err and message in err


def test_directory_and_missing_path(capsys, tmp_path):
    code, _, err = run(capsys, "analyze", str(tmp_path))
    assert code == 2 and "is a directory" in err and err.count("\n") == 1
    code, _, err = run(capsys, "analyze", str(tmp_path / "nope.txt"))
    assert code == 2 and "no such file" in err and err.count("\n") == 1


def test_bad_input_among_good_ones_loses_nothing(capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    code, out, err = run(capsys, "analyze", str(EXAMPLE), str(bad), "--format", "jsonl")
    assert code == 2
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["audio-recording-report"]
    assert "bad.txt: empty file" in err


def test_non_english_warns_and_records_language(capsys, tmp_path):
    path = tmp_path / "fr.txt"
    path.write_text("Le ministre a déclaré que les négociations avaient échoué hier soir à Paris.",
                    encoding="utf-8")
    code, out, err = run(capsys, "analyze", str(path), "--format", "json")
    assert code == 0
    assert "warning" in err and "'fr'" in err
    assert json.loads(out)["meta"]["language"] == "fr"


def test_stdin_and_no_traceback_in_a_real_process():
    proc = subprocess.run([sys.executable, "-m", "sayso", "analyze", "-", "--format", "json"],
                          input="“It is over,” the mayor said.".encode(), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["attributions"][0]["cue"][0]["text"] == "said"
    proc = subprocess.run([sys.executable, "-m", "sayso", "analyze", "-"], input=b"\xff\xfe\x00bad",
                          capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr and proc.stderr.count(b"\n") == 1


def test_usage_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze"])
    assert exc.value.code == 2
    assert main([]) == 2


def test_eval_polnear_missing_folder(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "polnear", str(tmp_path))
    assert code == 2 and "no PolNeAR 'dev' split" in err
    code, _, err = run(capsys, "eval", "polnear", str(tmp_path), "--bootstrap", "-1")
    assert code == 2 and "--bootstrap" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "eval", "polnear", str(tmp_path), "--agreement", "--bootstrap", "10")
    assert code == 2 and "not with sources or --agreement" in err and len(err.strip().splitlines()) == 1


def test_eval_by_outlet_refusals(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "polnear", str(tmp_path), "--outlet", "nyt")
    assert code == 2 and "go with --by-outlet" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "eval", "polnear", str(tmp_path), "--by-outlet", "--split", "test")
    assert code == 2 and "--by-outlet trains its own models" in err
    code, _, err = run(capsys, "eval", "polnear", str(tmp_path), "--by-outlet")
    assert code == 2 and "no PolNeAR 'train' split" in err and len(err.strip().splitlines()) == 1


def test_eval_polnear_dev(capsys, polnear_dir, tmp_path):
    errors = tmp_path / "errors.jsonl"
    code, out, _ = run(capsys, "eval", "polnear", str(polnear_dir), "--split", "dev", "--limit", "3",
                       "--format", "json", "--errors", str(errors), "--bootstrap", "50")
    assert code == 0
    result = json.loads(out)
    assert result["articles"] == 3 and result["gold"] > 0
    for name in ("cue", "source", "content", "all"):
        extra = {"token", "lenient", "direct"} if name == "content" else set()
        assert set(result[name]) == {"exact", "overlap"} | extra
        assert 0 < result[name]["exact"]["f1"] <= 1
        low, high = result["bootstrap"]["f1"][name]["exact"]
        assert low <= result[name]["exact"]["f1"] <= high
    assert result["throughput"]["words_per_s"] > 0
    rows = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert rows and {r["error"] for r in rows} <= {"false-positive", "false-negative"}
    assert set(result["errors"]) <= {f"{t} {e}" for t in ("cue", "source", "content", "all")
                                     for e in ("false-positive", "false-negative")}


def test_model_choice(capsys, tmp_path):
    text = tmp_path / "said.txt"
    text.write_text("The minister said that the plan had failed.", encoding="utf-8")
    for model in ("rules", None):
        code, out, _ = run(capsys, "analyze", str(text), "--format", "json", *(["--model", model] if model else []))
        assert code == 0 and [a["cue"][0]["text"] for a in json.loads(out)["attributions"]] == ["said"]
    code, out, err = run(capsys, "analyze", str(text), "--model", str(tmp_path / "nowhere"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "not a model directory" in err


@pytest.mark.slow
def test_train_tiny_slice(capsys, polnear_dir, tmp_path):
    target = tmp_path / "model"
    code, out, _ = run(capsys, "train", "polnear", str(polnear_dir), "-o", str(target), "--seed", "1",
                       "--limit", "2", "--dev-limit", "1", "--iterations", "3")
    assert code == 0 and "content token-overlap F1" in out and "seed 1" in out
    text = tmp_path / "said.txt"
    text.write_text("“We will win,” the senator said.", encoding="utf-8")
    code, out, _ = run(capsys, "analyze", str(text), "--format", "json", "--model", str(target))
    assert code == 0 and json.loads(out)["schema"] == "sayso.article/1"
    code, _, err = run(capsys, "train", "polnear", str(tmp_path), "-o", str(target))
    assert code == 2 and "no PolNeAR 'train' split" in err
