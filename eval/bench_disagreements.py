"""'Sources differ' detection on hand-made article pairs: found, missed, false alarms.

    .venv/bin/python eval/bench_disagreements.py --pairs eval/data/disagreement_pairs.jsonl \\
        --out /tmp/bench-disagreements

eval/data/disagreement_pairs.jsonl holds short articles written for this project, two per
line (a, b), about one event each: in `conflict` pairs one number, date or name of the same
fact differs between them (its kind and the two values are given); in the others the two agree,
though worded differently, with figures written as digits or words, facts spread over several
sentences, and different figures for different facts. The `tune` pairs (106) were used while
writing the rules of assistant/summarize/disagreements.py; the `heldout` pairs (80) were written
before the rules were final and not used to change them.

A conflict is *found* when a line of the right kind names both planted values (in either
order; "six"/"6" and "at least 40"/"40" match); every other line is a *false alarm* (an
agreeing pair should give none). Writes bench_disagreements.json and .md into --out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from assistant.numbers import TENS, UNITS
from assistant.summarize.disagreements import Conflict, Side, find_disagreements

_NUMBER_WORDS = {**UNITS, **TENS}
_APPROX = re.compile(r"\b(?:at least|up to|about|roughly|more than|nearly|almost|around)\b")


def core(value: str) -> str:
    """A value reduced for matching: lowercase, approximations dropped, number words as digits."""
    words = re.findall(r"[a-z0-9.,$%'/-]+", _APPROX.sub(" ", value.lower()))
    return " ".join(str(_NUMBER_WORDS.get(w, w)) for w in words)


def matches(expected: str, got: str) -> bool:
    e, g = core(expected), core(got)
    if e in g or g in e:
        return True
    digits_e, digits_g = re.findall(r"\d+", e), re.findall(r"\d+", g)
    return bool(digits_e) and digits_e == digits_g


def planted(conflict: Conflict, row: dict[str, Any]) -> bool:
    """Whether a line reports the pair's planted conflict."""
    if conflict.kind != row["kind"]:
        return False
    want = row["values"]
    got = conflict.values
    return (matches(want[0], got[0]) and matches(want[1], got[1])) or (
        matches(want[0], got[1]) and matches(want[1], got[0])
    )


def run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    cases = []
    started = time.perf_counter()
    for row in rows:
        lines = find_disagreements([Side(1, row["a"]), Side(2, row["b"])])
        split = results.setdefault(
            row["split"],
            {"conflict_pairs": 0, "agreeing_pairs": 0, "found": 0, "missed": 0, "false_alarms": 0},
        )
        hit = [c for c in lines if row["conflict"] and planted(c, row)]
        extra = [c for c in lines if c not in hit]
        if row["conflict"]:
            split["conflict_pairs"] += 1
            split["found" if hit else "missed"] += 1
        else:
            split["agreeing_pairs"] += 1
        split["false_alarms"] += len(extra)
        split.setdefault("pairs_with_false_alarm", 0)
        split["pairs_with_false_alarm"] += bool(extra)
        cases.append(
            {
                "id": row["id"],
                "split": row["split"],
                "conflict": row["conflict"],
                "kind": row.get("kind"),
                "found": bool(hit),
                "false_alarms": [
                    {"kind": c.kind, "values": list(c.values), "reason": c.reason} for c in extra
                ],
                "lines": [{"kind": c.kind, "values": list(c.values)} for c in lines],
            }
        )
    for split in results.values():
        n = split["conflict_pairs"]
        split["recall"] = round(split["found"] / n, 3) if n else 0.0
        alarms = split["found"] + split["false_alarms"]
        split["precision"] = round(split["found"] / alarms, 3) if alarms else 0.0
    by_kind: dict[str, dict[str, int]] = {}
    for case in cases:
        if case["conflict"]:
            key = f"{case['split']}/{case['kind']}"
            row_kind = by_kind.setdefault(key, {"pairs": 0, "found": 0})
            row_kind["pairs"] += 1
            row_kind["found"] += case["found"]
    return {
        "splits": results,
        "by_kind": by_kind,
        "seconds": round(time.perf_counter() - started, 2),
        "cases": cases,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# 'Sources differ' on hand-made article pairs",
        "",
        "| split | conflict pairs | found | missed | agreeing pairs | false alarms "
        "(pairs with one) | recall | precision |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in report["splits"].items():
        lines.append(
            f"| {name} | {s['conflict_pairs']} | {s['found']} | {s['missed']} | "
            f"{s['agreeing_pairs']} | {s['false_alarms']} ({s['pairs_with_false_alarm']}) | "
            f"{s['recall']:.3f} | {s['precision']:.3f} |"
        )
    lines += ["", "| split/kind | pairs | found |", "|---|---:|---:|"]
    for name, row in sorted(report["by_kind"].items()):
        lines.append(f"| {name} | {row['pairs']} | {row['found']} |")
    missed = [c["id"] for c in report["cases"] if c["conflict"] and not c["found"]]
    alarms = [(c["id"], c["false_alarms"]) for c in report["cases"] if c["false_alarms"]]
    lines += ["", f"Missed: {', '.join(missed) or 'none'}", ""]
    lines.append("False alarms: " + ("none" if not alarms else ""))
    for case_id, found in alarms:
        for alarm in found:
            lines.append(f"- {case_id}: {alarm['kind']} {alarm['values']} ({alarm['reason']})")
    lines += ["", f"{report['seconds']}s for {len(report['cases'])} pairs."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True, help="disagreement_pairs.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="folder for the report")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.pairs.read_text("utf-8").splitlines() if line.strip()]
    if not rows:
        print(f"error: no pairs in {args.pairs}", file=sys.stderr)
        return 2
    report = run(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_disagreements.json").write_text(json.dumps(report, indent=2), "utf-8")
    text = markdown(report)
    (args.out / "bench_disagreements.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
