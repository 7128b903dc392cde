"""`assistant eval` end to end: real embedder, chromadb on disk, reports, baseline gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation.command import REGRESSION_EXIT

ARTICLE = """Storm Bella hits the coast

Storm Bella brought winds of 120 km/h to the coast on Monday, the weather service said.
Around twelve thousand homes lost power, the grid operator said.
Ferries between the islands were cancelled until Wednesday.
"""

CASES = """
name: storm
ingest: [storm.txt]
cases:
  - id: power
    question: How many homes lost power?
    facts: [["12,000", "12000"]]
    articles: [storm]
  - id: ferries
    question: Until when were the ferries cancelled?
    facts: [[Wednesday]]
  - id: mayor
    question: Who is the mayor of the capital?
    answerable: false
"""


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    (tmp_path / "storm.txt").write_text(ARTICLE)
    path = tmp_path / "storm.yaml"
    path.write_text(CASES)
    return path


def test_eval_writes_reports_and_gates_on_a_baseline(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    argv = ["eval", str(dataset), "--engine", "extractive", "--baseline", str(baseline)]
    code = main([*argv, "--out", str(tmp_path / "first"), "--update-baseline"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "library 'eval-storm': 1 added" in err and f"baseline written to {baseline}" in err
    assert out.startswith("storm: accuracy ") and "(3 cases, extractive" in out
    for name in ("report.json", "report.md", "report.html"):
        assert (tmp_path / "first" / name).is_file()
    written = json.loads(baseline.read_text())
    assert written["counts"]["cases"] == 3 and written["library"] == "eval-storm"
    power = next(c for c in written["cases"] if c["id"] == "power")
    assert power["retrieved"] is True and power["reasons"]

    # The same run against its own baseline passes; re-ingest is a no-op.
    code = main([*argv, "--out", str(tmp_path / "second")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1 unchanged" in err and out.rstrip().endswith(f"no regression vs {baseline}")

    # A baseline with a metric this run cannot reach fails the gate, naming the metric.
    written["metrics"]["summary_fact_recall"] = 0.9
    written["metrics"]["fact_recall"] = (written["metrics"]["fact_recall"] or 0) + 0.5
    baseline.write_text(json.dumps(written))
    code = main([*argv, "--out", str(tmp_path / "third"), "--tolerance", "0.05"])
    out, err = capsys.readouterr()
    assert code == REGRESSION_EXIT
    assert "regression: fact_recall fell from" in err and "tolerance 0.05" in err
    assert "regression: summary_fact_recall was 0.900 and is missing from this run" in err
    assert "REGRESSION vs" in out
    assert "**REGRESSION**" in (tmp_path / "third" / "report.md").read_text()


def test_eval_limit_library_and_default_out(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ingest", str(tmp_path / "storm.txt"), "--library", "news", "-q"]) == 0
    listed = tmp_path / "cases.jsonl"
    listed.write_text(
        json.dumps({"id": "a", "question": "How strong were the winds?", "facts": ["120 km/h"]})
        + "\n"
        + json.dumps({"id": "b", "question": "When?", "facts": ["Monday"]})
    )
    code = main(["eval", str(listed), "--library", "news", "--limit", "1", "--k", "3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "(1 cases, " in out
    folders = list((tmp_path / "eval" / "out").glob("cases-*"))  # the test runs in tmp_path
    assert len(folders) == 1 and (folders[0] / "report.html").is_file()
    report = json.loads((folders[0] / "report.json").read_text())
    assert report["k"] == 3 and report["library"] == "news"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["missing.yaml"], "dataset missing.yaml not found", id="no-file"),
        pytest.param(
            ["a.yaml", "b.yaml", "--baseline", "x.json"], "exactly one DATASET", id="two-baseline"
        ),
        pytest.param(["a.yaml", "--update-baseline"], "needs --baseline", id="update-no-path"),
        pytest.param(["a.yaml", "--library", "nope"], "library 'nope' does not exist", id="lib"),
    ],
)
def test_eval_user_mistakes_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "a.yaml").write_text("- {id: q, question: Why, facts: [x]}\n")
    (tmp_path / "b.yaml").write_text("- {id: q, question: Why, facts: [x]}\n")
    code = main(["eval", *args])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
