"""Reports: JSON that loads back as a baseline, Markdown, offline HTML, the summary line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.evaluation.compare import compare_reports, load_report
from assistant.evaluation.report import (
    bar_chart,
    summary_line,
    to_html,
    to_markdown,
    write_reports,
)
from assistant.evaluation.results import CaseResult, FactCheck, ReliabilityBin, RunReport


def make_report(accuracy: float = 0.5, k: int = 6) -> RunReport:
    cases = [
        CaseResult(
            id="ok",
            kind="qa",
            prompt="How many missiles?",
            answer="Russia fired 71 missiles [1].",
            correct=True,
            facts=[FactCheck(alternatives=["71"], found=True, matched="71")],
            fact_recall=1.0,
            reasons=["all 1 fact(s) found"],
        ),
        CaseResult(
            id="miss",
            kind="qa",
            prompt="Drones <b>?</b>",
            answer="No <script>alert(1)</script>",
            facts=[FactCheck(alternatives=["450"], found=False)],
            fact_recall=0.0,
            reasons=["fact 1/1 missing: any of ['450'] | pipe"],
            tags=["numbers"],
        ),
    ]
    return RunReport(
        dataset="tiny",
        dataset_path="tiny.yaml",
        dataset_format="yaml",
        engine="extractive",
        judges=["lexical"],
        k=k,
        library="eval-tiny",
        started_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        seconds=1.5,
        metrics={"accuracy": accuracy, "fact_recall": 0.5, "latency_p50_s": 0.1},
        counts={"cases": 2, "errors": 0},
        by_tag={"numbers": {"cases": 1.0, "accuracy": 0.0, "fact_recall": 0.0}},
        cases=cases,
    )


def test_written_reports_load_back_and_compare(tmp_path: Path) -> None:
    old = make_report(accuracy=0.9)
    paths = write_reports(old, tmp_path / "old")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    baseline = load_report(paths[0])
    assert baseline == old
    new = make_report(accuracy=0.5, k=8)
    comparison = compare_reports(new, baseline, tolerance=0.02, name="old")
    assert [r.metric for r in comparison.regressions] == ["accuracy"]
    assert "k differs: baseline 6, this run 8" in comparison.notes
    new.comparison = comparison
    markdown = write_reports(new, tmp_path / "new")[1].read_text()
    assert "**REGRESSION** accuracy fell from 0.900 to 0.500" in markdown
    assert "| accuracy | 0.500 | 0.900 | -0.400 |" in markdown
    assert "retrieval recall@8" not in markdown  # only metrics the run has
    assert "\\| pipe" in markdown  # table cells stay intact
    assert markdown.index("| miss | qa") < markdown.index("| ok | qa")  # failures first


def test_html_is_offline_and_escaped() -> None:
    page = to_html(make_report())
    assert "<script" not in page.replace("&lt;script", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<svg" in page and "http://" not in page.replace('xmlns="http://www.w3.org', "")
    assert "src=" not in page and "<link" not in page


def test_bar_chart_clamps_and_marks_the_baseline() -> None:
    svg = bar_chart("t", [("a", 1.7, 0.5), ("b", -1.0, None)], width=400)
    assert svg.count("<rect") == 4 and svg.count("<line") == 1
    assert 'width="110.0"' in svg  # (400 - 230 - 60) * 1.0: clamped to 1


def test_summary_line() -> None:
    report = make_report()
    line = summary_line(report, Path("out/tiny"))
    assert line.startswith("tiny: accuracy 0.500, fact recall 0.500")
    assert "recall@6 —" in line and line.endswith("-> out/tiny")
    report.comparison = compare_reports(report, make_report(0.9), tolerance=0.02, name="b.json")
    assert summary_line(report).endswith("| REGRESSION vs b.json: accuracy")


def test_load_report_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        load_report(tmp_path / "none.json")
    (tmp_path / "x.json").write_text('{"accuracy": 1}')
    with pytest.raises(InputError, match="not an eval report"):
        load_report(tmp_path / "x.json")


def test_the_gate_lists_the_cases_that_flipped() -> None:
    baseline = make_report(accuracy=0.5)
    current = make_report(accuracy=0.5)
    current.cases[0].correct, current.cases[1].correct = False, True
    comparison = compare_reports(current, baseline, tolerance=0.02, name="old.json")
    assert comparison.flipped_wrong == ["ok"] and comparison.flipped_right == ["miss"]
    current.comparison = comparison
    text = to_markdown(current)
    assert "right before, wrong now: ok" in text and "wrong before, right now: miss" in text


@pytest.mark.parametrize(
    ("split", "tuned", "engine_tuned", "expected"),
    [
        pytest.param("heldout", False, ["x-tune"], "split: heldout; not tuned on", id="held"),
        pytest.param("tune", True, ["tiny"], "TUNED ON by the engine", id="tuned"),
        pytest.param(None, None, [], "does not say what it was tuned on", id="unknown"),
    ],
)
def test_every_report_names_its_split_and_whether_it_was_tuned_on(
    split: str | None, tuned: bool | None, engine_tuned: list[str], expected: str
) -> None:
    report = make_report().model_copy(
        update={"split": split, "tuned_on": tuned, "engine_tuned_on": engine_tuned}
    )
    assert expected in summary_line(report)
    assert expected in to_markdown(report) and expected in to_html(report)


def test_baselines_and_reliability_are_shown_beside_the_metrics() -> None:
    report = make_report().model_copy(
        update={
            "baselines": {"refuse everything": {"accuracy": 0.53}},
            "reliability": [
                ReliabilityBin(low=0.8, high=0.9, count=4, confidence=0.85, accuracy=0.75)
            ],
        }
    )
    text = to_markdown(report)
    assert "| metric | value | refuse everything |" in text and "| 0.530 |" in text
    assert "| 0.8–0.9 | 4 | 0.850 | 0.750 |" in text
    assert "Reliability" in to_html(report)
