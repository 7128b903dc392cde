"""Start-up time of `assistant ui`: from the command to a page a person can use.

    python eval/bench_ui.py                 # 3 runs of each case, results in eval/out/
    python eval/bench_ui.py --runs 1

Two cases, each a fresh `assistant ui` process on 127.0.0.1 with its own ASSISTANT_HOME:
- empty: a new user's first start; the bundled samples are ingested before the server starts,
- ingested: the samples are already in the library.
For each run it records when the command printed its URL, when the page's HTML was served,
when headless Chromium showed the question box (a usable page), and when the first question
("How many missiles did Russia launch?") was answered in the page. Prints the medians and
writes bench_ui.json / bench_ui.md into --out. Needs Debian's chromium for the browser steps.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
QUESTION = "How many missiles did Russia launch?"
STEPS = ("url_printed", "html_served", "page_usable", "first_answer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def one_run(home: Path, browser: Any) -> dict[str, float]:
    """Seconds from the command to each step, for one fresh `assistant ui` process."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    env["ASSISTANT_HOME"] = str(home)
    printed = threading.Event()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    marks: dict[str, float] = {}
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "UI on http://" in line and not printed.is_set():
                marks["url_printed"] = time.perf_counter() - started
                printed.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        while "html_served" not in marks:
            if process.poll() is not None or time.perf_counter() - started > 300:
                raise RuntimeError("`assistant ui` did not start:\n" + "".join(lines))
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        marks["html_served"] = time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        if browser is not None:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("#question textarea", timeout=120_000)
            marks["page_usable"] = time.perf_counter() - started
            page.fill("#question textarea", QUESTION)
            page.press("#question textarea", "Enter")
            page.wait_for_function(
                """() => [...document.querySelectorAll('#chat [data-testid="bot"]')]
                    .some(b => b.innerText.includes('71 missiles'))""",
                timeout=120_000,
            )
            marks["first_answer"] = time.perf_counter() - started
            page.close()
        printed.wait(5)
    finally:
        process.terminate()
        process.wait(timeout=20)
    return {k: round(v, 3) for k, v in marks.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    args = parser.parse_args(argv)

    playwright = browser = None
    if Path(CHROMIUM).exists():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    else:
        print("chromium not found: measuring up to the served HTML only", file=sys.stderr)

    results: dict[str, Any] = {"runs": args.runs, "question": QUESTION, "cases": {}}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
            cases: dict[str, list[dict[str, float]]] = {"empty": [], "ingested": []}
            for run in range(args.runs):
                home = Path(tmp) / f"home-{run}"
                cases["empty"].append(one_run(home, browser))  # ingests the samples
                cases["ingested"].append(one_run(home, browser))
                print(f"run {run + 1}: {json.dumps(cases)}", flush=True)
        for name, runs in cases.items():
            results["cases"][name] = {
                step: round(statistics.median(r[step] for r in runs), 2)
                for step in STEPS
                if all(step in r for r in runs)
            }
            results["cases"][name]["all_runs"] = runs
    finally:
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_ui.json").write_text(json.dumps(results, indent=2))
    rows = [
        "| library at start | URL printed s | HTML served s | page usable s | first answer s |",
        "|---|---|---|---|---|",
    ]
    for name, label in (("empty", "empty (samples ingested)"), ("ingested", "samples present")):
        case = results["cases"][name]
        rows.append(f"| {label} | " + " | ".join(str(case.get(step, "—")) for step in STEPS) + " |")
    table = "\n".join(rows)
    (args.out / "bench_ui.md").write_text(
        f"# `assistant ui` start-up (median of {args.runs} runs, seconds from the command)\n\n"
        f"{table}\n"
    )
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
