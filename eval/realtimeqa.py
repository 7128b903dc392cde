"""Turn the RealTimeQA news quizzes into pages to ingest and cases to ask, split by week.

    python eval/realtimeqa.py ../shared/data/realtimeqa_2026_jan_apr --out ~/data/rtqa

Writes, for each split, `pages-<split>.jsonl` (one object a page: url, title, text, date, author;
each URL once) and `cases-<split>.yaml` (the questions as free-text cases: the gold choice is the
one fact, the question's own pages are its gold articles). A question whose gold string appears in
none of its own pages is unanswerable by quoting, so the right answer there is an abstention.
Splits are by week, so no page or question of one split is in the other's cases:
`tune` = the first 8 weeks (2026-01-09 .. 2026-02-27), `heldout` = the last 8
(2026-03-06 .. 2026-04-24). The data stays outside the repository (see its README: evaluation use
only); the output folder should too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from assistant.evaluation.normalize import normalize

TUNE_WEEKS = 8


def weeks(data: Path) -> list[str]:
    """The week stamps (20260109, ...) that have questions and pages, in order."""
    return sorted(
        p.name.split("_")[0]
        for p in data.glob("*_qa.jsonl")
        if (data / p.name.replace("_qa.jsonl", "_gcs.jsonl")).is_file()
    )


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def page_date(value: object) -> str | None:
    """'2025/08/28' -> '2025-08-28'; None when it is not a date."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:10].replace("/", "-")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def export(data: Path, out: Path) -> dict[str, dict[str, int]]:
    """Write pages and cases of each split; returns counts per split."""
    stamps = weeks(data)
    splits = {"tune": stamps[:TUNE_WEEKS], "heldout": stamps[TUNE_WEEKS:]}
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {}
    for split, chosen in splits.items():
        pages: dict[str, dict[str, Any]] = {}
        cases: list[dict[str, Any]] = []
        for week in chosen:
            results = {r["question_id"]: r for r in read_jsonl(data / f"{week}_gcs.jsonl")}
            for question in read_jsonl(data / f"{week}_qa.jsonl"):
                found = results.get(question["question_id"], {}).get("search_result", [])
                urls = []
                for page in found:
                    text = (page.get("text") or "").strip()
                    url = (page.get("url") or "").strip()
                    if not text or not url:
                        continue
                    urls.append(url)
                    pages.setdefault(
                        url,
                        {
                            "url": url,
                            "title": (page.get("title") or "").strip() or None,
                            "text": text,
                            "date": page_date(page.get("publish_date")),
                            "author": ", ".join(page.get("authors") or []) or None,
                        },
                    )
                gold = question["choices"][int(question["answer"][0])]
                present = any(normalize(gold) in normalize(pages[u]["text"]) for u in urls)
                case: dict[str, Any] = {
                    "id": f"{week}-{question['question_id']}",
                    "question": question["question_sentence"],
                    "tags": [f"week-{week}", "gold-in-pages" if present else "gold-not-in-pages"],
                }
                asked = page_date(question.get("question_date"))
                if asked:
                    case["asked"] = asked  # "this week" is read against the question's date
                if present:
                    case["facts"] = [[gold]]
                    case["articles"] = sorted(set(urls))
                else:
                    case["answerable"] = False
                cases.append(case)
        with (out / f"pages-{split}.jsonl").open("w", encoding="utf-8") as f:
            for page in pages.values():
                f.write(json.dumps({k: v for k, v in page.items() if v}) + "\n")
        dataset = {
            "name": f"realtimeqa-{split}",
            "description": f"RealTimeQA weeks {chosen[0]}..{chosen[-1]} ({split} split)",
            "cases": cases,
        }
        (out / f"cases-{split}.yaml").write_text(
            yaml.safe_dump(dataset, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        counts[split] = {
            "weeks": len(chosen),
            "questions": len(cases),
            "gold_in_pages": sum(1 for c in cases if "facts" in c),
            "pages": len(pages),
        }
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the realtimeqa_2026_jan_apr folder")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (not the repo)")
    args = parser.parse_args(argv)
    if not weeks(args.data):
        print(f"error: no <week>_qa.jsonl with its _gcs.jsonl in {args.data}", file=sys.stderr)
        return 2
    for split, numbers in export(args.data, args.out).items():
        print(split, numbers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
