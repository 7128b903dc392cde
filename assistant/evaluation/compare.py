"""Compare a run with a baseline run: which headline metric regressed, and by how much."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import InputError
from assistant.evaluation.metrics import HEADLINE
from assistant.evaluation.results import Comparison, Regression, RunReport

DEFAULT_TOLERANCE = 0.02


def compare(
    current: Mapping[str, float | None],
    baseline: Mapping[str, float | None],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    headline: Mapping[str, bool] = HEADLINE,
    name: str = "baseline",
) -> Comparison:
    """Regressions beyond `tolerance` (absolute) on the headline metrics (pure).

    A metric the baseline has but this run lacks is a regression too; one only this run has
    is noted. Lower is better for false_refusal_rate.

    >>> compare({"accuracy": 0.80}, {"accuracy": 0.85}).regressions[0].metric
    'accuracy'
    """
    result = Comparison(baseline=name, tolerance=tolerance)
    for metric, higher_is_better in headline.items():
        old, new = baseline.get(metric), current.get(metric)
        if old is None and new is None:
            continue
        if old is None:
            result.notes.append(f"{metric} is new: {new:.3f}")
            continue
        if new is None:
            result.deltas[metric] = None
            result.regressions.append(
                Regression(
                    metric=metric,
                    baseline=old,
                    current=None,
                    delta=None,
                    higher_is_better=higher_is_better,
                    reason=f"{metric} was {old:.3f} and is missing from this run",
                )
            )
            continue
        delta = round(new - old, 4)
        result.deltas[metric] = delta
        worse = -delta if higher_is_better else delta
        if worse > tolerance + 1e-9:
            direction = "fell" if higher_is_better else "rose"
            result.regressions.append(
                Regression(
                    metric=metric,
                    baseline=old,
                    current=new,
                    delta=delta,
                    higher_is_better=higher_is_better,
                    reason=f"{metric} {direction} from {old:.3f} to {new:.3f} "
                    f"({delta:+.3f}, tolerance {tolerance})",
                )
            )
    return result


def load_report(path: str | Path) -> RunReport:
    """An earlier run's report.json; an InputError when it is missing or not one."""
    path = Path(path)
    try:
        return RunReport.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"baseline {path} cannot be read: {error.strerror}") from error
    except ValidationError as error:
        raise InputError(
            f"baseline {path} is not an eval report (report.json of `assistant eval`): "
            f"{error.errors()[0]['msg']}"
        ) from error


def compare_reports(
    current: RunReport, baseline: RunReport, *, tolerance: float, name: str
) -> Comparison:
    """`compare` on two reports, noting settings that differ (engine, k, dataset, size)."""
    result = compare(current.metrics, baseline.metrics, tolerance=tolerance, name=name)
    for label, old, new in (
        ("dataset", baseline.dataset, current.dataset),
        ("engine", baseline.engine, current.engine),
        ("k", baseline.k, current.k),
        ("cases", baseline.counts.get("cases"), current.counts.get("cases")),
    ):
        if old != new:
            result.notes.append(f"{label} differs: baseline {old}, this run {new}")
    before = {c.id: c.correct for c in baseline.cases}
    for case in current.cases:
        if case.id in before and before[case.id] != case.correct:
            (result.flipped_right if case.correct else result.flipped_wrong).append(case.id)
    return result
