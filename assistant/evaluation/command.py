"""`assistant eval`: load datasets, run them, write reports, compare with a baseline."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from assistant.errors import InputError
from assistant.evaluation.compare import DEFAULT_TOLERANCE, compare_reports, load_report
from assistant.evaluation.datasets import load_dataset, slug
from assistant.evaluation.report import summary_line, write_reports
from assistant.evaluation.results import CaseResult, RunReport
from assistant.evaluation.runner import (
    JudgeMode,
    Progress,
    build_judges,
    prepare_library,
    run_dataset,
)
from assistant.query import Query

if TYPE_CHECKING:
    from assistant.api import Assistant

REGRESSION_EXIT = 3
DEFAULT_OUT = Path("eval/out")


@dataclass
class EvalOptions:
    """What `assistant eval` was asked to do."""

    datasets: list[Path]
    query: Query = field(default_factory=Query)
    """How every question is asked: engine, model, retriever, post-processors, k."""
    library: str | None = None
    ingest: list[str] = field(default_factory=list)
    limit: int = 0
    out: Path | None = None
    baseline: Path | None = None
    update_baseline: bool = False
    tolerance: float = DEFAULT_TOLERANCE
    judge: JudgeMode = "auto"
    progress: bool = True


def out_dir(options: EvalOptions, name: str, now: dt.datetime) -> Path:
    """--out (one dataset), --out/<dataset> (several), or eval/out/<dataset>-<timestamp>."""
    if options.out is not None:
        return options.out if len(options.datasets) == 1 else options.out / slug(name)
    return DEFAULT_OUT / f"{slug(name)}-{now:%Y%m%d-%H%M%S}"


def evaluate(
    assistant: Assistant, path: Path, options: EvalOptions, log: TextIO | None = None
) -> RunReport:
    """One dataset: ingest what it needs, run every case, score, compare with the baseline."""
    log = log or sys.stderr
    dataset = load_dataset(path).limited(options.limit)
    started = dt.datetime.now(dt.UTC)
    library, ingested = prepare_library(
        assistant, dataset, library=options.library, ingest=options.ingest
    )
    if ingested is not None:
        print(f"library {library!r}: {ingested.summary()}", file=log)
    judges = build_judges(assistant, options.judge)
    progress = _progress(log) if options.progress and log.isatty() else None
    report = run_dataset(
        assistant,
        dataset,
        library=library,
        query=options.query,
        judges=judges,
        progress=progress,
    )
    if progress:
        print(file=log)
    report.ingest_seconds = round(ingested.seconds, 2) if ingested else 0.0
    report.started_at = started
    if options.baseline is not None and not options.update_baseline:
        baseline = load_report(options.baseline)
        report.comparison = compare_reports(
            report, baseline, tolerance=options.tolerance, name=str(options.baseline)
        )
    return report


def _progress(log: TextIO) -> Progress:
    def show(done: int, total: int, result: CaseResult) -> None:
        mark = "ok" if result.correct else "MISS"
        print(f"\r  {done}/{total} {mark:4} {result.id[:40]:40}", end="", file=log, flush=True)

    return show


def run(
    assistant: Assistant,
    options: EvalOptions,
    out: TextIO | None = None,
    log: TextIO | None = None,
) -> int:
    """Run every dataset; 0 when all went well, REGRESSION_EXIT when a metric regressed."""
    out, log = out or sys.stdout, log or sys.stderr
    if options.baseline is not None and len(options.datasets) != 1:
        raise InputError("--baseline compares one dataset's run: give exactly one DATASET")
    if options.update_baseline and options.baseline is None:
        raise InputError("--update-baseline needs --baseline PATH (the file to write)")
    if options.tolerance < 0:
        raise InputError("--tolerance must be 0 or more (an absolute difference, e.g. 0.02)")
    code = 0
    for path in options.datasets:
        now = dt.datetime.now()
        report = evaluate(assistant, path, options, log)
        folder = out_dir(options, report.dataset, now)
        write_reports(report, folder)
        if options.update_baseline and options.baseline is not None:
            options.baseline.parent.mkdir(parents=True, exist_ok=True)
            options.baseline.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
            print(f"baseline written to {options.baseline}", file=log)
        comparison = report.comparison
        if comparison is not None:
            for note in comparison.notes:
                print(f"note: {note}", file=log)
            for regression in comparison.regressions:
                print(f"regression: {regression.reason}", file=log)
            if comparison.flipped_wrong:
                print(f"right before, wrong now: {', '.join(comparison.flipped_wrong)}", file=log)
            if comparison.flipped_right:
                print(f"wrong before, right now: {', '.join(comparison.flipped_right)}", file=log)
            if not comparison.ok:
                code = REGRESSION_EXIT
        print(summary_line(report, folder), file=out)
    return code
