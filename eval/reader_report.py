"""Reader metrics from `assistant eval` reports: accuracy, gold in answer, refusals, short-answer
EM/F1, and calibration (ECE with its reliability bins).

    assistant eval squad-heldout.json --engine extractive --out out/squad-heldout
    assistant eval squad-heldout.json --engine extractive --min-confidence 0 --out out/squad-all
    python eval/reader_report.py out/squad-heldout/report.json \\
        --calibration out/squad-all/report.json

Short answers are scored with SQuAD's exact match and token F1 against every alternative of the
first gold fact, over the answerable questions (an abstention scores 0; an engine without a short
answer is scored on its whole answer, as `assistant eval` does).
Calibration needs the engine's confidence for every question and whether that answer would be
right, so it is read from a run that answers everything (`--min-confidence 0`): a case counts as
right when it is answerable and every gold fact is in the answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.answer.citations import strip_markers
from assistant.evaluation.compare import load_report
from assistant.evaluation.metrics import exact_match, reliability, token_f1
from assistant.evaluation.results import CaseResult, RunReport


def gold(case: CaseResult) -> list[str]:
    """The alternatives of the case's first gold fact."""
    return case.facts[0].alternatives


def guess(case: CaseResult) -> str:
    """The short answer, else the whole answer without its markers ('' for an abstention)."""
    if case.abstained:
        return ""
    return case.short_answer or strip_markers(case.answer)


def summary(report: RunReport) -> dict[str, Any]:
    """The headline numbers of one run, with short-answer EM/F1."""
    qa = [c for c in report.cases if c.kind == "qa"]
    answerable = [c for c in qa if c.answerable and c.facts]
    em = [exact_match(guess(c), gold(c)) if guess(c) else 0.0 for c in answerable]
    f1 = [token_f1(guess(c), gold(c)) if guess(c) else 0.0 for c in answerable]
    m = report.metrics
    return {
        "dataset": report.dataset,
        "split": report.split,
        "engine": report.engine,
        "tuned_on": report.tuned_on,
        "questions": len(qa),
        "accuracy": m.get("accuracy"),
        "gold_in_answer": m.get("all_facts"),
        "false_refusal_rate": m.get("false_refusal_rate"),
        "refusal_rate": m.get("refusal_rate"),
        "short_em": round(sum(em) / len(em), 4) if em else None,
        "short_f1": round(sum(f1) / len(f1), 4) if f1 else None,
        "ece_answered": m.get("calibration_error"),
        "latency_p50_s": m.get("latency_p50_s"),
        "latency_p95_s": m.get("latency_p95_s"),
    }


def calibration(report: RunReport) -> dict[str, Any]:
    """ECE and bins of a run that answered everything (confidence -> right or not)."""
    cases = [c for c in report.cases if c.kind == "qa" and c.confidence is not None]
    right = [c.answerable and not c.abstained and c.correct for c in cases]
    bins, ece = reliability([float(c.confidence or 0.0) for c in cases], right)
    return {
        "dataset": report.dataset,
        "split": report.split,
        "engine": report.engine,
        "questions": len(cases),
        "answered": sum(not c.abstained for c in cases),
        "ece": ece,
        "bins": [
            {
                "bin": f"{b.low:.1f}-{b.high:.1f}",
                "n": b.count,
                "confidence": round(b.confidence or 0.0, 4),
                "right": round(b.accuracy or 0.0, 4),
            }
            for b in bins
            if b.count
        ],
    }


COLUMNS = (
    ("accuracy", "accuracy"),
    ("gold_in_answer", "gold in answer"),
    ("false_refusal_rate", "false refusals"),
    ("refusal_rate", "refusals (unanswerable)"),
    ("short_em", "span EM"),
    ("short_f1", "span F1"),
    ("ece_answered", "ECE (answered)"),
    ("latency_p50_s", "ask p50 s"),
    ("latency_p95_s", "ask p95 s"),
)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown(runs: list[dict[str, Any]], calibrations: list[dict[str, Any]]) -> str:
    """The runs as one table (a row per split and engine), then each calibration's bins."""
    head = ["split", "engine", "questions"] + [label for _, label in COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        tuned = " (tuned on)" if run["tuned_on"] else ""
        split = f"{run['dataset']} [{run['split'] or 'no split'}]{tuned}"
        cells = [split, str(run["engine"]), str(run["questions"])]
        lines.append("| " + " | ".join(cells + [_cell(run[k]) for k, _ in COLUMNS]) + " |")
    for cal in calibrations:
        lines += [
            "",
            f"Calibration, {cal['dataset']} [{cal['split']}], {cal['engine']} answering every "
            f"question ({cal['questions']}): ECE {_cell(cal['ece'])}",
            "",
            "| confidence bin | questions | mean confidence | share right |",
            "|---|---|---|---|",
        ]
        for b in cal["bins"]:
            lines.append(f"| {b['bin']} | {b['n']} | {b['confidence']:.3f} | {b['right']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, nargs="+", help="report.json of `assistant eval`")
    parser.add_argument(
        "--calibration",
        type=Path,
        action="append",
        default=[],
        help="report.json of a --min-confidence 0 run, for ECE (repeatable)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables here")
    args = parser.parse_args(argv)
    runs = [summary(load_report(path)) for path in args.reports]
    calibrations = [calibration(load_report(path)) for path in args.calibration]
    json.dump({"runs": runs, "calibration": calibrations}, sys.stdout, indent=1)
    print()
    if args.markdown:
        args.markdown.write_text(markdown(runs, calibrations), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
