"""eval/bench_all.py runs the benchmark scripts and gathers their numbers (a small SQuAD file)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Storms",
            "paragraphs": [
                {
                    "context": "Storm Bella brought winds of 120 km/h to the coast on Monday.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "How strong were the winds of Storm Bella?",
                            "answers": [{"text": "120 km/h", "answer_start": 29}],
                            "is_impossible": False,
                        }
                    ],
                },
                {
                    "context": "The ferry company cancelled all crossings until Wednesday.",
                    "qas": [
                        {
                            "id": "q2",
                            "question": "Until when were crossings cancelled?",
                            "answers": [{"text": "Wednesday", "answer_start": 48}],
                            "is_impossible": False,
                        },
                        {
                            "id": "q3",
                            "question": "Who owns the ferry company?",
                            "answers": [],
                            "is_impossible": True,
                        },
                    ],
                },
            ],
        }
    ],
}


@pytest.mark.slow
def test_bench_all_runs_what_it_can_and_reports_it(tmp_path: Path) -> None:
    squad = tmp_path / "tiny-squad.json"
    squad.write_text(json.dumps(SQUAD))
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, str(ROOT / "eval" / "bench_all.py"), "--squad", str(squad)]
        + ["--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "bench_all.json").read_text())
    steps = report["steps"]
    assert steps["ingest"] == {"status": "skipped", "reason": "no --bbc"}
    retrieval = steps["retrieval"]
    assert retrieval["status"] == "ok", (out / "retrieval" / "log.txt").read_text()
    assert retrieval["result"]["questions"] == 2 and retrieval["result"]["paragraphs"] == 2
    assert 0.0 <= retrieval["result"]["hybrid"]["recall@5"] <= 1.0
    markdown = (out / "bench_all.md").read_text()
    assert "| retrieval | ok |" in markdown and "hybrid recall@5" in markdown
    assert "| ingest | skipped: no --bbc |" in markdown
    assert "## Retrieval on tiny-squad.json" in markdown
    assert "benchmarks: 4 of 4" in done.stdout


def test_bench_all_refuses_a_missing_input(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "eval" / "bench_all.py"), "--squad", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "does not exist" in done.stderr
