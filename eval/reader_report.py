"""Reader metrics from `assistant eval` reports: accuracy, gold in answer, refusals, short-answer
EM/F1, and calibration (ECE with its reliability bins).

    assistant eval squad-heldout.json --engine extractive --out out/squad-heldout
    assistant eval squad-heldout.json --engine extractive --min-confidence 0 --out out/squad-all
    python eval/reader_report.py out/squad-heldout/report.json \\
        --calibration out/squad-all/report.json

Short answers are scored with SQuAD's exact match and token F1 against every alternative of the
first gold fact, over the answerable questions (an abstention or a missing span scores 0).
Calibration needs the engine's confidence for every question and whether that answer would be
right, so it is read from a run that answers everything (`--min-confidence 0`): a case counts as
right when it is answerable and every gold fact is in the answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.evaluation.compare import load_report
from assistant.evaluation.metrics import exact_match, reliability, token_f1
from assistant.evaluation.results import CaseResult, RunReport


def gold(case: CaseResult) -> list[str]:
    """The alternatives of the case's first gold fact."""
    return case.facts[0].alternatives


def summary(report: RunReport) -> dict[str, float | int | None]:
    """The headline numbers of one run, with short-answer EM/F1."""
    qa = [c for c in report.cases if c.kind == "qa"]
    answerable = [c for c in qa if c.answerable]
    em = [
        0.0 if c.abstained or not c.short_answer else exact_match(c.short_answer, gold(c))
        for c in answerable
        if c.facts
    ]
    f1 = [
        0.0 if c.abstained or not c.short_answer else token_f1(c.short_answer, gold(c))
        for c in answerable
        if c.facts
    ]
    m = report.metrics
    return {
        "questions": len(qa),
        "accuracy": m.get("accuracy"),
        "gold_in_answer": m.get("all_facts"),
        "false_refusal_rate": m.get("false_refusal_rate"),
        "refusal_rate": m.get("refusal_rate"),
        "short_em": round(sum(em) / len(em), 4) if em else None,
        "short_f1": round(sum(f1) / len(f1), 4) if f1 else None,
        "latency_p50_s": m.get("latency_p50_s"),
        "latency_p95_s": m.get("latency_p95_s"),
    }


def calibration(report: RunReport) -> dict[str, object]:
    """ECE and bins of a run that answered everything (confidence -> right or not)."""
    cases = [c for c in report.cases if c.kind == "qa" and c.confidence is not None]
    right = [c.answerable and not c.abstained and c.correct for c in cases]
    bins, ece = reliability([float(c.confidence or 0.0) for c in cases], right)
    return {
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
    args = parser.parse_args(argv)
    out: dict[str, object] = {}
    for path in args.reports:
        report = load_report(path)
        out[f"{report.dataset} ({report.engine})"] = summary(report)
    for path in args.calibration:
        report = load_report(path)
        out[f"calibration: {report.dataset} ({report.engine})"] = calibration(report)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
