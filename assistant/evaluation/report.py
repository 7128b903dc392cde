"""Write a run's report as JSON, Markdown and a self-contained HTML page; one summary line."""

from __future__ import annotations

import html
from pathlib import Path

from assistant.evaluation.results import CaseResult, RunReport

LABELS = {
    "accuracy": "accuracy",
    "fact_recall": "fact recall",
    "all_facts": "all facts (answerable)",
    "refusal_rate": "refusal rate (unanswerable)",
    "false_refusal_rate": "false refusals (answerable)",
    "citation_recall": "citation recall",
    "citation_precision": "citation precision",
    "citation_recall_llm": "citation recall (LLM judge)",
    "citation_precision_llm": "citation precision (LLM judge)",
    "retrieval_recall": "retrieval recall@k",
    "facts_retrieved": "facts in retrieved chunks",
    "summary_fact_recall": "summary fact recall",
    "summary_clean": "summaries without banned text",
    "contradicted_answers": "answers with a contradicted claim",
    "short_em": "short answer exact match (SQuAD)",
    "short_f1": "short answer F1 (SQuAD)",
    "calibration_error": "expected calibration error (answered)",
    "latency_p50_s": "latency p50 (s)",
    "latency_p95_s": "latency p95 (s)",
    "tokens_per_case": "tokens per case",
}
RATES = [m for m in LABELS if not m.startswith(("latency", "tokens", "calibration"))]


def provenance(report: RunReport) -> str:
    """Which split this is and whether the engine was tuned on it, in words."""
    split = f"split: {report.split}" if report.split else "split: not named"
    if report.tuned_on is None:
        return f"{split}; the engine does not say what it was tuned on"
    if report.tuned_on:
        return f"{split}; TUNED ON by the engine: a tuning result, not a measurement"
    tuned = ", ".join(report.engine_tuned_on) or "nothing"
    return f"{split}; not tuned on (the engine was tuned on {tuned})"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def label(metric: str, k: int | None = None) -> str:
    """A metric's display name."""
    text = LABELS.get(metric, metric)
    return text.replace("@k", f"@{k}") if k else text


def summary_line(report: RunReport, out: Path | None = None) -> str:
    """One line: the headline numbers, the size and time, where the report went, the verdict."""
    m = report.metrics
    parts = [
        f"{report.dataset}: accuracy {_fmt(m.get('accuracy'))}",
        f"fact recall {_fmt(m.get('fact_recall'))}",
        f"refusals {_fmt(m.get('refusal_rate'))}",
        f"false refusals {_fmt(m.get('false_refusal_rate'))}",
        f"citation R/P {_fmt(m.get('citation_recall'), 2)}/{_fmt(m.get('citation_precision'), 2)}",
        f"recall@{report.k} {_fmt(m.get('retrieval_recall'))}",
    ]
    if report.counts.get("summary"):
        parts.append(f"summary facts {_fmt(m.get('summary_fact_recall'))}")
    parts.append(f"p50 {_fmt(m.get('latency_p50_s'), 2)}s")
    line = ", ".join(parts)
    if m.get("short_f1") is not None:
        line += f", short EM/F1 {_fmt(m.get('short_em'), 2)}/{_fmt(m.get('short_f1'), 2)}"
    refuse = report.baselines.get("refuse everything", {}).get("accuracy")
    if refuse is not None:
        line += f" [refuse-all accuracy {_fmt(refuse)}]"
    line += f" ({report.counts.get('cases', 0)} cases, {report.engine}, {report.seconds:.1f}s"
    if report.counts.get("errors"):
        line += f", {report.counts['errors']} errors"
    line += ")"
    line += f"; {provenance(report)}"
    if out is not None:
        line += f" -> {out}"
    if report.comparison is not None:
        if report.comparison.ok:
            line += f" | no regression vs {report.comparison.baseline}"
        else:
            names = ", ".join(r.metric for r in report.comparison.regressions)
            line += f" | REGRESSION vs {report.comparison.baseline}: {names}"
    return line


def _failed_first(cases: list[CaseResult]) -> list[CaseResult]:
    return sorted(cases, key=lambda c: (c.correct and not c.error, c.kind, c.id))


def to_markdown(report: RunReport) -> str:
    """The report as Markdown: settings, headline table, comparison, tags, every case."""
    comparison = report.comparison
    names = list(report.baselines)
    lines = [
        f"# Eval: {report.dataset}",
        "",
        f"- dataset: `{report.dataset_path}` ({report.dataset_format})",
        f"- engine: {report.engine}"
        + (f" ({report.model})" if report.model else "")
        + f", retriever {report.retriever}"
        + (f", post-processors {', '.join(report.postprocess)}" if report.postprocess else ""),
        f"- {provenance(report)}",
        f"- library: `{report.library}`, k = {report.k}, judges: {', '.join(report.judges)}",
        f"- started {report.started_at:%Y-%m-%d %H:%M:%S} UTC, took {report.seconds:.1f} s"
        + (f" (+ {report.ingest_seconds:.1f} s ingest)" if report.ingest_seconds else ""),
        "- cases: " + ", ".join(f"{v} {k}" for k, v in report.counts.items()),
        "",
        "## Metrics",
        "",
        "| metric | value |"
        + "".join(f" {n} |" for n in names)
        + (" baseline | Δ |" if comparison else ""),
        "|---|---|" + "---|" * len(names) + ("---|---|" if comparison else ""),
    ]
    for metric, value in report.metrics.items():
        row = f"| {label(metric, report.k)} | {_fmt(value)} |"
        row += "".join(f" {_fmt(report.baselines[n].get(metric))} |" for n in names)
        if comparison:
            delta = comparison.deltas.get(metric)
            old = value - delta if value is not None and delta is not None else None
            row += f" {_fmt(old)} | {'' if delta is None else f'{delta:+.3f}'} |"
        lines.append(row)
    if comparison:
        lines += ["", f"## Against {comparison.baseline} (tolerance {comparison.tolerance})", ""]
        lines += [f"- **REGRESSION** {r.reason}" for r in comparison.regressions]
        lines += [f"- note: {n}" for n in comparison.notes]
        if comparison.flipped_wrong:
            lines.append(f"- right before, wrong now: {', '.join(comparison.flipped_wrong)}")
        if comparison.flipped_right:
            lines.append(f"- wrong before, right now: {', '.join(comparison.flipped_right)}")
        if comparison.ok:
            lines.append("- no headline metric regressed")
    if report.reliability:
        lines += [
            "",
            "## Reliability of the confidence (answered cases)",
            "",
            "| confidence | answers | mean confidence | right |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {b.low:.1f}–{b.high:.1f} | {b.count} | {_fmt(b.confidence)} | {_fmt(b.accuracy)} |"
            for b in report.reliability
            if b.count
        ]
    if report.by_tag:
        lines += [
            "",
            "## By tag",
            "",
            "| tag | cases | accuracy | fact recall |",
            "|---|---|---|---|",
        ]
        for tag, values in report.by_tag.items():
            lines.append(
                f"| {tag} | {int(values.get('cases') or 0)} | {_fmt(values.get('accuracy'))} | "
                f"{_fmt(values.get('fact_recall'))} |"
            )
    lines += [
        "",
        "## Cases (failures first)",
        "",
        "| id | kind | ok | facts | retrieved | citations R/P | latency | reasons |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in _failed_first(report.cases):
        check = case.citation("lexical")
        cites = f"{_fmt(check.recall, 2)}/{_fmt(check.precision, 2)}" if check else ""
        retrieved = "" if case.retrieved is None else ("yes" if case.retrieved else "no")
        reasons = "; ".join(case.reasons).replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {case.id} | {case.kind} | {'✔' if case.correct else '✘'} | "
            f"{_fmt(case.fact_recall, 2)} | {retrieved} | {cites} | "
            f"{_fmt(case.latency_s, 2)} | {reasons} |"
        )
    return "\n".join(lines) + "\n"


# HTML


def bar_chart(title: str, bars: list[tuple[str, float, float | None]], width: int = 640) -> str:
    """An inline SVG of horizontal 0..1 bars, each with an optional baseline tick."""
    row, left, right = 26, 230, 60
    span = width - left - right
    height = row * len(bars) + 36
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">',
        f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, (name, value, baseline) in enumerate(bars):
        y = 28 + i * row
        w = max(0.0, min(1.0, value)) * span
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{html.escape(name)}</text>'
        )
        parts.append(f'<rect x="{left}" y="{y}" width="{span}" height="18" fill="#eee"/>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="18" fill="#3b7dd8"/>')
        if baseline is not None:
            x = left + max(0.0, min(1.0, baseline)) * span
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" y2="{y + 21}" '
                'stroke="#d33" stroke-width="2"><title>baseline</title></line>'
            )
        parts.append(f'<text x="{left + span + 6}" y="{y + 14}">{value:.3f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _e(text: object) -> str:
    return html.escape(str(text))


def to_html(report: RunReport) -> str:
    """A self-contained page (no scripts, works offline): charts, tables, every case."""
    comparison = report.comparison
    baseline_of: dict[str, float | None] = {}
    if comparison:
        for metric, delta in comparison.deltas.items():
            value = report.metrics.get(metric)
            baseline_of[metric] = value - delta if value is not None and delta is not None else None
    bars = [
        (label(m, report.k), v, baseline_of.get(m))
        for m in RATES
        if (v := report.metrics.get(m)) is not None
    ]
    title = "Headline metrics" + (" (red tick: baseline)" if comparison else "")
    charts = [bar_chart(title, bars)]
    tags = [
        (t, v["accuracy"], None) for t, v in report.by_tag.items() if v.get("accuracy") is not None
    ]
    if tags:
        charts.append(bar_chart("Accuracy by tag", [(t, float(a or 0), b) for t, a, b in tags]))
    rated = [b for b in report.reliability if b.count and b.accuracy is not None]
    if rated:
        charts.append(
            bar_chart(
                "Reliability: share right per confidence bin (red tick: mean confidence)",
                [
                    (f"{b.low:.1f}–{b.high:.1f} ({b.count})", float(b.accuracy or 0), b.confidence)
                    for b in rated
                ],
            )
        )
    names = list(report.baselines)
    rows = []
    for metric, value in report.metrics.items():
        delta = comparison.deltas.get(metric) if comparison else None
        others = "".join(f"<td>{_fmt(report.baselines[n].get(metric))}</td>" for n in names)
        rows.append(
            f"<tr><td>{_e(label(metric, report.k))}</td><td>{_fmt(value)}</td>{others}"
            f"<td>{'' if delta is None else f'{delta:+.3f}'}</td></tr>"
        )
    heads = "".join(f"<th>{_e(n)}</th>" for n in names)
    verdict = ""
    if comparison:
        items = [f'<li class="bad">REGRESSION: {_e(r.reason)}</li>' for r in comparison.regressions]
        items += [f"<li>note: {_e(n)}</li>" for n in comparison.notes]
        worse, better = ", ".join(comparison.flipped_wrong), ", ".join(comparison.flipped_right)
        if worse:
            items.append(f'<li class="bad">right before, wrong now: {_e(worse)}</li>')
        if better:
            items.append(f"<li>wrong before, right now: {_e(better)}</li>")
        if comparison.ok:
            items.append('<li class="good">no headline metric regressed</li>')
        verdict = (
            f"<h2>Against {_e(comparison.baseline)} (tolerance {comparison.tolerance})</h2>"
            f"<ul>{''.join(items)}</ul>"
        )
    cases = []
    for case in _failed_first(report.cases):
        check = case.citation("lexical")
        cites = f"{_fmt(check.recall, 2)}/{_fmt(check.precision, 2)}" if check else ""
        reasons = "".join(f"<li>{_e(r)}</li>" for r in case.reasons)
        cases.append(
            f'<tr class="{"good" if case.correct else "bad"}"><td>{_e(case.id)}</td>'
            f"<td>{_e(case.kind)}</td><td>{'✔' if case.correct else '✘'}</td>"
            f"<td>{_fmt(case.fact_recall, 2)}</td>"
            f"<td>{'' if case.retrieved is None else ('yes' if case.retrieved else 'no')}</td>"
            f"<td>{cites}</td><td>{_fmt(case.latency_s, 2)}</td>"
            f"<td><details><summary>{_e(case.prompt)}</summary>"
            f"<p class='answer'>{_e(case.answer or '(no answer)')}</p><ul>{reasons}</ul>"
            "</details></td></tr>"
        )
    meta = (
        f"{_e(report.dataset_path)} · engine {_e(report.engine)}"
        + (f" ({_e(report.model)})" if report.model else "")
        + f" · library {_e(report.library)} · k={report.k} · judges {_e(', '.join(report.judges))}"
        + f" · {report.started_at:%Y-%m-%d %H:%M} UTC · {report.seconds:.1f} s"
        + f" · {provenance(report)}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Eval: {_e(report.dataset)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }}
tr.bad td:nth-child(3), li.bad {{ color: #c22; }}
tr.good td:nth-child(3), li.good {{ color: #282; }}
.answer {{ background: #f6f6f6; padding: 6px; white-space: pre-wrap; }}
svg text {{ font: 12px system-ui, sans-serif; }} .meta {{ color: #666; }}
</style></head><body>
<h1>Eval: {_e(report.dataset)}</h1>
<p class="meta">{meta}</p>
<p>{_e(summary_line(report))}</p>
{verdict}
{"".join(f"<figure>{c}</figure>" for c in charts)}
<h2>Metrics</h2>
<table><tr><th>metric</th><th>value</th>{heads}<th>Δ vs baseline</th></tr>{"".join(rows)}
</table>
<h2>Cases (failures first)</h2>
<table><tr><th>id</th><th>kind</th><th>ok</th><th>facts</th><th>retrieved</th>
<th>citations R/P</th><th>latency s</th><th>question / answer / reasons</th></tr>
{"".join(cases)}</table>
</body></html>
"""


def write_reports(report: RunReport, out: Path) -> list[Path]:
    """report.json, report.md and report.html in `out` (created)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "report.html"]
    paths[0].write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(to_markdown(report), encoding="utf-8")
    paths[2].write_text(to_html(report), encoding="utf-8")
    return paths
