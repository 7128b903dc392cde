"""Time-aware questions benchmark: does the question's time window fit, and does it help?

    python eval/bench_when.py --out eval/out/when
    python eval/bench_when.py --data ../shared/data/realtimeqa_2026_jan_apr \\
        --home /tmp/rtqa-home --library rtqa --out eval/out/when

1. Parsing (eval/data/when_questions.jsonl, 50 questions written by hand for this benchmark
   and not used to write the parser: 32 with dates or periods, 4 "latest", 5 events, 9 with no
   time at all): the share whose window (first and last day, event, relation) is exactly the
   one written down, and the share of "latest" read as newest first. Before = no reading at all.
2. RealTimeQA (with --data and a library of its pages, e.g. built by
       python eval/realtimeqa.py DATA --out /tmp/rtqa
       ASSISTANT_HOME=/tmp/rtqa-home assistant ingest /tmp/rtqa/pages-*.jsonl -l rtqa):
   each quiz question with a time expression ("this week", "on Thursday", "this month") is
   asked with "now" = its question date, once with `when="off"` (before) and once with the
   `when` step (after). The gold week is the seven days up to the question date. Reported per
   split (tune = the first 8 weeks, heldout = the last 8; see eval/realtimeqa.py):
   - window holds gold: the parsed window contains the publication date of one of the
     question's own pages that state the gold answer (questions with such a page);
   - sources in week: the share of retrieved sources published in the gold week;
   - cites week: the answer cites an article of the gold week (answered questions);
   - right: the gold choice's text is in the answer (normalised).
Writes bench_when.json and bench_when.md to --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.api import Assistant
from assistant.config import Settings
from assistant.evaluation.normalize import normalize
from assistant.models import Answer, TimeWindow
from assistant.retrieve.when import read_when

HERE = Path(__file__).parent
CASES = HERE / "data" / "when_questions.jsonl"
TUNE_WEEKS = 8
WEEK = dt.timedelta(days=7)


def day(value: object) -> dt.date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10].replace("/", "-"))
    except ValueError:
        return None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


# --- 1. parsing ----------------------------------------------------------------------------------


def parse_case(case: dict[str, Any]) -> dict[str, Any]:
    now = day(case["now"])
    assert now is not None
    window = read_when(case["question"], now)
    want = (day(case.get("date_from")), day(case.get("date_to")), case.get("event"))
    got = (window.date_from, window.date_to, window.event) if window else (None, None, None)
    if case.get("none"):
        ok = window is None
    elif case.get("event"):
        ok = window is not None and got == want and window.relation == case.get("relation")
    elif case.get("newest_first") and want == (None, None, None):
        ok = window is not None and window.newest_first and not window.restricts()
    else:
        ok = window is not None and got == want
    return {
        "question": case["question"],
        "kind": "none"
        if case.get("none")
        else "event"
        if case.get("event")
        else "latest"
        if want == (None, None, None)
        else "dates",
        "ok": ok,
        "before_ok": bool(case.get("none")),
        "got": window.describe() if window else None,
        "want": [str(v) if v else None for v in want],
    }


def bench_parse(cases: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [parse_case(c) for c in cases]
    kinds: dict[str, dict[str, int]] = {}
    for r in rows:
        k = kinds.setdefault(r["kind"], {"n": 0, "ok": 0, "before_ok": 0})
        k["n"] += 1
        k["ok"] += int(r["ok"])
        k["before_ok"] += int(r["before_ok"])
    return {
        "n": len(rows),
        "ok": sum(r["ok"] for r in rows),
        "before_ok": sum(r["before_ok"] for r in rows),
        "kinds": kinds,
        "misses": [r for r in rows if not r["ok"]],
    }


# --- 2. RealTimeQA -------------------------------------------------------------------------------


def rtqa_cases(data: Path) -> list[dict[str, Any]]:
    """Questions with a time expression, their date, gold text, gold dates and split."""
    weeks = sorted(p.name.split("_")[0] for p in data.glob("*_qa.jsonl"))
    out = []
    for index, week in enumerate(weeks):
        pages = {
            r["question_id"]: r.get("search_result") or []
            for r in read_jsonl(data / f"{week}_gcs.jsonl")
        }
        for q in read_jsonl(data / f"{week}_qa.jsonl"):
            asked = day(q["question_date"])
            if asked is None:
                continue
            window = read_when(q["question_sentence"], asked)
            gold = q["choices"][int(q["answer"][0])]
            wanted = normalize(gold)
            gold_dates = sorted(
                {
                    d
                    for p in pages.get(q["question_id"], [])
                    if (d := day(p.get("publish_date"))) is not None
                    and asked - 2 * WEEK <= d <= asked
                    and wanted
                    and wanted in normalize(f"{p.get('title', '')} {p.get('text', '')}")
                }
            )
            out.append(
                {
                    "id": q["question_id"],
                    "split": "tune" if index < TUNE_WEEKS else "heldout",
                    "question": q["question_sentence"],
                    "asked": asked,
                    "gold": gold,
                    "gold_dates": gold_dates,
                    "window": window,
                }
            )
    return out


def in_week(date: dt.date | None, asked: dt.date) -> bool:
    return date is not None and asked - WEEK < date <= asked


def holds(window: TimeWindow | None, dates: list[dt.date]) -> bool:
    if window is None:
        return False
    return any(
        (window.date_from is None or window.date_from <= d)
        and (window.date_to is None or d <= window.date_to)
        for d in dates
    )


def measure(answer: Answer, case: dict[str, Any]) -> dict[str, float]:
    asked = case["asked"]
    sources = answer.sources
    cited_dates = {c.date for c in answer.citations}
    return {
        "sources_in_week": (
            sum(in_week(s.date, asked) for s in sources) / len(sources) if sources else 0.0
        ),
        "answered": float(not answer.abstained),
        "cites_week": float(not answer.abstained and any(in_week(d, asked) for d in cited_dates)),
        "right": float(not answer.abstained and normalize(case["gold"]) in normalize(answer.text)),
    }


def bench_rtqa(assistant: Assistant, cases: list[dict[str, Any]], k: int) -> dict[str, Any]:
    timed = [c for c in cases if c["window"] is not None]
    rows = []
    for n, case in enumerate(timed, 1):
        row: dict[str, Any] = {"id": case["id"], "split": case["split"]}
        for label, when in (("before", "off"), ("after", "auto")):
            answer = assistant.ask(
                case["question"], engine="extractive", k=k, when=when, now=case["asked"]
            )
            row[label] = measure(answer, case)
        row["window"] = case["window"].describe()
        row["has_gold_dates"] = bool(case["gold_dates"])
        row["window_holds_gold"] = holds(case["window"], case["gold_dates"])
        rows.append(row)
        print(f"{n}/{len(timed)} {case['id']}", file=sys.stderr, flush=True)
    summary: dict[str, Any] = {}
    for split in ("tune", "heldout", "all"):
        chosen = [r for r in rows if split == "all" or r["split"] == split]
        total = sum(1 for c in cases if split == "all" or c["split"] == split)
        dated = [r for r in chosen if r["has_gold_dates"]]
        entry: dict[str, Any] = {
            "questions": total,
            "with_time": len(chosen),
            "with_gold_dates": len(dated),
            "window_holds_gold": sum(r["window_holds_gold"] for r in dated),
        }
        for label in ("before", "after"):
            for metric in ("sources_in_week", "answered", "cites_week", "right"):
                values = [r[label][metric] for r in chosen]
                entry[f"{label}_{metric}"] = round(sum(values) / len(values), 4) if values else 0
        summary[split] = entry
    return {"summary": summary, "rows": rows}


# --- report --------------------------------------------------------------------------------------


def markdown(parse: dict[str, Any], rtqa: dict[str, Any] | None, command: str) -> str:
    lines = ["# Time-aware questions", "", f"`{command}`", "", "## Parsing (hand-written set)", ""]
    lines += ["| kind | n | before (no reading) | after |", "|---|---|---|---|"]
    for kind, k in parse["kinds"].items():
        lines.append(f"| {kind} | {k['n']} | {k['before_ok']}/{k['n']} | {k['ok']}/{k['n']} |")
    lines.append(
        f"| **all** | {parse['n']} | {parse['before_ok']}/{parse['n']} | "
        f"{parse['ok']}/{parse['n']} |"
    )
    if parse["misses"]:
        lines += ["", "Misses:", ""]
        for m in parse["misses"]:
            lines.append(f"- {m['question']!r}: got {m['got']}, want {m['want']}")
    if rtqa is not None:
        lines += ["", "## RealTimeQA (questions with a time expression, now = question date)", ""]
        lines += [
            "| split | questions | with time | window holds gold | sources in week "
            "before → after | cites week before → after | right before → after |",
            "|---|---|---|---|---|---|---|",
        ]
        for split, s in rtqa["summary"].items():
            lines.append(
                f"| {split} | {s['questions']} | {s['with_time']} | "
                f"{s['window_holds_gold']}/{s['with_gold_dates']} | "
                f"{s['before_sources_in_week']:.1%} → {s['after_sources_in_week']:.1%} | "
                f"{s['before_cites_week']:.1%} → {s['after_cites_week']:.1%} | "
                f"{s['before_right']:.1%} → {s['after_right']:.1%} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--data", type=Path, help="the RealTimeQA folder")
    parser.add_argument("--home", type=Path, help="ASSISTANT_HOME holding the pages' library")
    parser.add_argument("--library", default="rtqa")
    parser.add_argument("-k", type=int, default=6)
    parser.add_argument("--limit", type=int, default=0, help="ask at most this many questions")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "when")
    args = parser.parse_args(argv)
    parse = bench_parse(list(read_jsonl(args.cases)))
    rtqa = None
    if args.data is not None:
        if args.home is None:
            parser.error("--data needs --home (an ASSISTANT_HOME with the pages' library)")
        settings = Settings(home=args.home, library=args.library)
        cases = rtqa_cases(args.data)
        if args.limit:
            timed = [c for c in cases if c["window"] is not None][: args.limit]
            cases = [c for c in cases if c["window"] is None] + timed
        rtqa = bench_rtqa(Assistant(settings), cases, args.k)
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python eval/bench_when.py " + " ".join(sys.argv[1:] if argv is None else argv)
    report = markdown(parse, rtqa, command)
    (args.out / "bench_when.md").write_text(report, encoding="utf-8")
    (args.out / "bench_when.json").write_text(
        json.dumps({"parse": parse, "rtqa": rtqa}, indent=2, default=str), encoding="utf-8"
    )
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
