"""eval/bench_dates.py on a tiny RealTimeQA-shaped folder written by the test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def page(url: str, text: str, publish_date: str | None) -> dict[str, object]:
    return {"url": url, "title": "T", "text": text, "authors": [], "publish_date": publish_date}


def test_bench_dates_scores_text_url_and_ingested(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    results = [
        page("https://e.com/a", "Updated Jan. 5, 2026, 4:08 p.m. ET\n\nText.", "2026/01/05"),
        page("https://e.com/2026/01/04/b", "CNN —\n\nText.", "2026/01/04"),
        page("https://e.com/c", "No date at all.", "2025/12/01"),
        page("https://e.com/d", "Published 3 January 2026\nText.", None),
    ]
    row = {"question_id": "20260109_0", "search_time": "2026/01/09/23:06", "search_result": results}
    (data / "20260109_gcs.jsonl").write_text(json.dumps(row) + "\n")
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(ROOT / "eval" / "bench_dates.py"), str(data), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "bench_dates.json").read_text())["all"]
    assert (report["pages"], report["scored"], report["no_publish_date"]) == (4, 3, 1)
    assert report["sources"] == {"metadata": 0, "text": 1, "feed": 0, "url": 1, "ingested": 1}
    assert report["chain_right_share"] == round(2 / 3, 4)
    assert report["text_rule"] == {
        "coverage": round(1 / 3, 4),
        "precision": 1.0,
        "right_share": round(1 / 3, 4),
    }
    assert "| all | 4 | 3 |" in (out / "bench_dates.md").read_text()
