"""Dates benchmark: how often the chosen publication date matches RealTimeQA's `publish_date`.

    python eval/bench_dates.py ../shared/data/realtimeqa_2026_jan_apr --out eval/out/dates

The pages there are stored as plain text, title and URL: no HTML, so the `metadata` source
(meta tags, JSON-LD, trafilatura) cannot be measured here; what is measured is

- the text rule alone (`date_from_text` on the title and the first 1,000 characters): how often
  it gives a date (coverage), and how often that date is within a day of `publish_date`;
- the whole chain as it runs without HTML: text, then the URL's path, then the ingest time
  (the page's `search_time` stands for it): the share within a day, per source.

"Now" for each page is its question's `search_time`, so no date after it (plus a day) is taken.
Splits are by week like eval/realtimeqa.py: `tune` (the first 8 weeks) is what the text rules
were written against; `heldout` (the last 8) was not looked at while writing them. Pages without
a `publish_date` are counted but not scored. Writes bench_dates.json and bench_dates.md to --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.ingest.dates import choose_date, date_from_text, date_from_url
from assistant.models import DATE_SOURCES

TUNE_WEEKS = 8


def weeks(data: Path) -> list[str]:
    """Week stamps with a _gcs.jsonl file, in order."""
    return sorted(p.name.split("_")[0] for p in data.glob("*_gcs.jsonl"))


def gold_date(value: object) -> dt.date | None:
    """'2025/08/28' -> date(2025, 8, 28); None when missing."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10].replace("/", "-"))
    except ValueError:
        return None


def search_time(value: str) -> dt.datetime:
    """'2026/01/09/23:06' -> an aware UTC datetime."""
    day, _, clock = value.rpartition("/")
    parsed = dt.datetime.strptime(f"{day} {clock}", "%Y/%m/%d %H:%M")
    return parsed.replace(tzinfo=dt.UTC)


def within_a_day(a: dt.date | None, b: dt.date | None) -> bool:
    return a is not None and b is not None and abs((a - b).days) <= 1


def score(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Coverage and agreement of the text rule, and of the whole chain with its sources."""
    scored = [p for p in pages if p["gold"] is not None]
    n = len(scored)
    text_found = [p for p in scored if p["text_date"] is not None]
    text_right = sum(1 for p in text_found if within_a_day(p["text_date"], p["gold"]))
    url_found = [p for p in scored if p["url_date"] is not None]
    url_right = sum(1 for p in url_found if within_a_day(p["url_date"], p["gold"]))
    chain_right = sum(1 for p in scored if within_a_day(p["chosen"], p["gold"]))
    sources = Counter(p["source"] for p in scored)
    per_source = {}
    for source in DATE_SOURCES:
        group = [p for p in scored if p["source"] == source]
        right = sum(1 for p in group if within_a_day(p["chosen"], p["gold"]))
        per_source[source] = {
            "pages": len(group),
            "share": round(len(group) / n, 4) if n else 0.0,
            "right": right,
            "precision": round(right / len(group), 4) if group else None,
        }
    return {
        "pages": len(pages),
        "scored": n,
        "no_publish_date": len(pages) - n,
        "text_rule": {
            "coverage": round(len(text_found) / n, 4) if n else 0.0,
            "precision": round(text_right / len(text_found), 4) if text_found else None,
            "right_share": round(text_right / n, 4) if n else 0.0,
        },
        "url_rule": {
            "coverage": round(len(url_found) / n, 4) if n else 0.0,
            "precision": round(url_right / len(url_found), 4) if url_found else None,
        },
        "chain_right_share": round(chain_right / n, 4) if n else 0.0,
        "sources": {s: sources.get(s, 0) for s in DATE_SOURCES},
        "per_source": per_source,
    }


def read_pages(data: Path, stamps: list[str]) -> list[dict[str, Any]]:
    """Every search result of these weeks with its gold date and our dates."""
    pages = []
    for week in stamps:
        with (data / f"{week}_gcs.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                row = json.loads(line)
                now = search_time(row["search_time"])
                for result in row["search_result"]:
                    text = result.get("text") or ""
                    title = result.get("title") or None
                    url = result.get("url") or None
                    chosen = choose_date(now=now, text=text, title=title, url=url)
                    pages.append(
                        {
                            "week": week,
                            "url": url,
                            "gold": gold_date(result.get("publish_date")),
                            "text_date": date_from_text(text, title, now=now),
                            "url_date": date_from_url(url, now=now),
                            "chosen": chosen.date,
                            "source": chosen.source,
                        }
                    )
    return pages


def markdown(results: dict[str, dict[str, Any]], data: Path) -> str:
    lines = [
        "# Dates benchmark (RealTimeQA 2026 pages)",
        "",
        f"Data: `{data}`. Text and title only (no HTML is stored, so no `metadata` source); "
        "'right' means within one day of `publish_date`.",
        "",
        "| split | pages | scored | text rule: coverage | text rule: precision | "
        "text rule: right | chain (text, url, ingested): right |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for split, r in results.items():
        t = r["text_rule"]
        lines.append(
            f"| {split} | {r['pages']} | {r['scored']} | {t['coverage']:.1%} | "
            f"{(t['precision'] or 0):.1%} | {t['right_share']:.1%} | {r['chain_right_share']:.1%} |"
        )
    lines += ["", "Date sources chosen by the chain (scored pages), with the share right:", ""]
    lines += ["| split | " + " | ".join(DATE_SOURCES) + " |"]
    lines += ["| --- |" + " ---: |" * len(DATE_SOURCES)]
    for split, r in results.items():
        cells = []
        for source in DATE_SOURCES:
            s = r["per_source"][source]
            right = f", {s['precision']:.1%} right" if s["precision"] is not None else ""
            cells.append(f"{s['pages']} ({s['share']:.0%}{right})")
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the realtimeqa_2026_jan_apr folder")
    parser.add_argument("--out", type=Path, required=True, help="report folder (not the data)")
    args = parser.parse_args(argv)
    stamps = weeks(args.data)
    if not stamps:
        print(f"error: no <week>_gcs.jsonl in {args.data}", file=sys.stderr)
        return 2
    splits = {"tune": stamps[:TUNE_WEEKS], "heldout": stamps[TUNE_WEEKS:], "all": stamps}
    results = {name: score(read_pages(args.data, chosen)) for name, chosen in splits.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_dates.json").write_text(json.dumps(results, indent=2) + "\n")
    report = markdown(results, args.data)
    (args.out / "bench_dates.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
