"""Load on the web UI: concurrent chats and an ingest at the same time, through a real browser.

    python eval/load_ui.py                                # 20 chats x 3 questions + 30 articles
    python eval/load_ui.py --chats 4 --questions 2 --articles 5        # a quick run
    python eval/load_ui.py --url http://127.0.0.1:7860/   # a running `assistant ui` instead

Without --url it starts `assistant ui --port FREE --no-samples` with a fresh ASSISTANT_HOME (or
--home) and no LLM settings, so the offline extractive engine answers. Everything goes through
the app in one headless Chromium (Debian's /usr/bin/chromium, driven by Playwright): a Library
page first uploads the bundled samples; then --chats pages (one browser context each, so one
gradio session each) each hold a conversation of --questions questions about the samples while
one more Library page uploads --articles generated articles and presses "Add to library". The
ingest has to go through the app: two processes must not open the same embedded chroma
directory.

Measured: per question, the time from pressing Enter to the final answer rendered in the page
(taken in the page by a MutationObserver, so polling adds nothing); the ingest's time from the
click to its summary. Errors: a question not answered in time, an error bubble, an error toast,
a JavaScript error in a page, or an answer that misses the fact its question asks for (a sign
of sessions mixing). Bounded: a fixed number of questions and an overall --deadline. Only
loopback addresses are accepted. Writes load_ui.json and load_ui.md into --out and prints them;
exits 1 when there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "assistant" / "samples"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-renderer-backgrounding",  # 20 pages, none of them in front
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
START_TIMEOUT = 300.0

# Conversations about the bundled samples: (question, a fact its answer must hold). Chat i
# holds conversation i % 4; the later questions are follow-ups.
CONVERSATIONS = [
    [
        ("How many missiles did Russia launch?", "71"),
        ("And how many drones?", "450"),
        ("How many missiles were intercepted or destroyed?", "38"),
    ],
    [
        ("When was the New START treaty signed?", "2010"),
        ("Who signed it?", "Obama"),
        ("How many warheads does it allow?", "1,550"),
    ],
    [
        ("What river does the Motherland Monument stand above?", "Dnipro"),
        ("When was it opened?", "1981"),
        ("How tall is the figure of the woman?", "62"),
    ],
    [
        ("Why can district heating pipes burst in a frost?", "burst"),
        ("Where does the heat come from?", "combined heat and power"),
        ("How fast can a building cool without heating?", "a day or two"),
    ],
]

# In every page: the time each answer was finished (window.__finished[n] = {at, text} for the
# n-th answer bubble), and every error toast shown (window.__toasts).
WATCH = """() => {
    window.__finished = {};
    window.__toasts = [];
    const chat = document.querySelector('#chat');
    const check = () => {
        const bots = chat ? chat.querySelectorAll('[data-testid="bot"]') : [];
        const n = bots.length;
        if (n && window.__finished[n] === undefined) {
            const text = bots[n - 1].innerText;
            const finished = text.trim() && !text.includes('Searching the articles');
            if (finished && !text.includes('\u258c')) {
                window.__finished[n] = { at: performance.now(), text };
            }
        }
        for (const toast of document.querySelectorAll('.toast-body.error')) {
            if (!toast.dataset.seen) {
                toast.dataset.seen = '1';
                window.__toasts.push(toast.innerText);
            }
        }
    };
    new MutationObserver(check).observe(document.body, {
        subtree: true, childList: true, characterData: true,
    });
}"""


@dataclass
class Question:
    chat: int
    index: int
    question: str
    fact: str
    seconds: float | None = None  # from Enter to the rendered answer
    finished_at: float | None = None  # seconds into the load phase
    answer: str = ""
    error: str | None = None


@dataclass
class IngestResult:
    files: int
    seconds: float | None = None  # from the click to the summary
    upload_seconds: float | None = None  # from choosing the files to all of them uploaded
    summary: str = ""
    started: float = 0.0  # seconds into the load phase
    finished: float = 0.0
    error: str | None = None
    articles_after: str = ""


@dataclass
class PageErrors:
    toasts: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


# The app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def check_loopback(url: str) -> str:
    """The URL, if it points at this machine; the load never goes anywhere else."""
    host = urlparse(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise SystemExit(f"error: --url must be a loopback address (127.0.0.1, ::1), not {host!r}")
    return url if url.endswith("/") else url + "/"


class Server:
    """`assistant ui` in a subprocess with its own ASSISTANT_HOME and no LLM settings."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI_", "ASSISTANT_", "GRADIO_"))
        }
        env["ASSISTANT_HOME"] = str(home)
        home.mkdir(parents=True, exist_ok=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "ui", "--port", str(self.port), "--no-samples"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.perf_counter() - started > START_TIMEOUT:
                self.stop()
                raise SystemExit("`assistant ui` did not start:\n" + "".join(self.lines[-40:]))
        self.start_seconds = round(time.perf_counter() - started, 2)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "UI on http://" in line:
                self.ready.set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# Generated articles for the ingest


TOWNS = ["Valmora", "Kestrel Bay", "Ostrava Nova", "Lindenfeld", "Port Averly", "Marrowick"]
SUBJECTS = [
    ("library", "opened a new public library", "books", "readers"),
    ("bridge", "finished repairs on its river bridge", "steel beams", "commuters"),
    ("market", "reopened its covered market", "stalls", "traders"),
    ("school", "added a science wing to its high school", "laboratories", "pupils"),
    ("harbour", "dredged the channel of its harbour", "tonnes of silt", "fishing boats"),
    ("tram line", "extended its tram line to the airport", "stops", "passengers"),
]


def article_files(folder: Path, count: int, run: str) -> list[Path]:
    """`count` news-like articles in .txt, .md, .html and .json, distinct for each run."""
    rng = random.Random(run)
    files = []
    for i in range(count):
        town = rng.choice(TOWNS)
        name, did, unit, people = rng.choice(SUBJECTS)
        number, cost, year = rng.randint(12, 900), rng.randint(2, 90), rng.randint(2019, 2026)
        title = f"{town} {did} ({run}-{i})"
        paragraphs = [
            f"The town of {town} {did} on Monday, the council said in a statement. The work "
            f"took {rng.randint(3, 30)} months and cost {cost} million euros.",
            f"Officials said the {name} now has {number} {unit}, and that about "
            f"{number * 40} {people} are expected to use it every week.",
            f"The project was first proposed in {year - 5} and approved in {year}. Local "
            f"businesses had asked for it for years, the mayor told reporters.",
            f"Critics said the money could have gone to housing. The council replied that the "
            f"{name} would pay for itself within {rng.randint(5, 25)} years. "
            f"Article {run}-{i} of the load test.",
        ] * 3
        kind = i % 4
        if kind == 0:
            path, text = folder / f"article-{i:02d}.txt", title + "\n\n" + "\n\n".join(paragraphs)
        elif kind == 1:
            path, text = folder / f"article-{i:02d}.md", f"# {title}\n\n" + "\n\n".join(paragraphs)
        elif kind == 2:
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            text = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            text += f"{body}</article></body></html>"
            path = folder / f"article-{i:02d}.html"
        else:
            path = folder / f"article-{i:02d}.json"
            date = f"2026-03-{i % 28 + 1:02d}"
            text = json.dumps({"title": title, "date": date, "text": "\n\n".join(paragraphs)})
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


# The browser


async def open_page(browser: Any, url: str, errors: PageErrors) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)
    page.on("pageerror", lambda error: errors.scripts.append(str(error)))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto(url)
    await page.wait_for_selector("#question textarea")
    await page.evaluate(WATCH)
    return page


async def ingest(page: Any, files: list[Path], result: IngestResult, clock: float) -> None:
    """Upload the files in the Library tab, press "Add to library", wait for the summary."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.get_by_role("tab", name="Library").click()
        await page.wait_for_function(
            "() => document.querySelector('#article-count').innerText.trim() !== ''"
        )
        before = (await page.locator("#article-count").inner_text()).strip()
        chosen = time.perf_counter()
        result.started = round(chosen - clock, 2)
        await page.locator('#upload input[type="file"]').set_input_files([str(f) for f in files])
        await page.wait_for_function(  # every file listed with its download link: uploaded
            """(stems) => {
                const box = document.querySelector('#upload').innerText;
                return stems.every((s) => box.includes(s)) &&
                    (box.match(/\u21e3/g) || []).length === stems.length;
            }""",
            arg=[f.stem for f in files],
            timeout=300_000,
            polling=250,
        )
        old = (await page.locator("#ingest-summary").inner_text()).strip()
        clicked = time.perf_counter()
        result.upload_seconds = round(clicked - chosen, 2)
        await page.locator("#ingest").click()
        await page.wait_for_function(  # a new summary, no longer behind the progress bar
            """(old) => {
                const s = document.querySelector('#ingest-summary').innerText.trim();
                return s !== old && /^[\u2713\u26a0\u2717]/.test(s);
            }""",
            arg=old,
            timeout=600_000,
            polling=250,
        )
        done = time.perf_counter()
        result.seconds = round(done - clicked, 2)
        result.finished = round(done - clock, 2)
        result.summary = (await page.locator("#ingest-summary").inner_text()).strip()
        if not result.summary.startswith("✓"):
            result.error = f"ingest summary: {result.summary}"
        await page.locator("#refresh").click()
        with contextlib.suppress(PlaywrightTimeout):  # unchanged when nothing was added
            await page.wait_for_function(
                """(before) => {
                    const count = document.querySelector('#article-count').innerText.trim();
                    return count !== before && /^\\d+ articles?$/.test(count);
                }""",
                arg=before,
                timeout=20_000,
            )
        result.articles_after = (await page.locator("#article-count").inner_text()).strip()
    except Exception as error:  # reported, never raised: the chats go on
        result.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"


async def converse(
    page: Any, questions: list[Question], clock: float, deadline: float, question_timeout: float
) -> None:
    """Ask each question in turn in one page; time each from Enter to the rendered answer."""
    box = page.locator("#question textarea")
    for n, question in enumerate(questions, start=1):
        left = deadline - time.perf_counter()
        if left <= 1:
            question.error = "not asked: the deadline passed"
            continue
        try:
            start = await page.evaluate("performance.now()")
            await box.fill(question.question)
            await box.press("Enter")
            await page.wait_for_function(
                "(n) => window.__finished[n] !== undefined",
                arg=n,
                polling=250,
                timeout=min(left, question_timeout) * 1000,
            )
            question.finished_at = round(time.perf_counter() - clock, 2)
            finished = await page.evaluate("(n) => window.__finished[n]", n)
        except Exception as error:
            question.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            # The rest of this conversation would be counted against a stuck page.
            for later in questions[n:]:
                later.error = "not asked: an earlier question failed"
            return
        question.seconds = round((finished["at"] - start) / 1000, 3)
        question.answer = finished["text"].strip()
        if question.answer.startswith("✗"):
            question.error = f"error bubble: {question.answer[:200]}"
        elif question.fact not in question.answer:
            question.error = f"answer misses {question.fact!r}: {question.answer[:200]}"


async def run_load(args: argparse.Namespace, url: str, work: Path) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    report: dict[str, Any] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Setup: the samples in, then every page open and idle.
            library_errors = PageErrors()
            library = await open_page(browser, url, library_errors)
            samples = IngestResult(files=len(list(SAMPLES.iterdir())))
            await ingest(library, sorted(SAMPLES.iterdir()), samples, time.perf_counter())
            if samples.error:
                raise SystemExit(f"error: the samples could not be ingested: {samples.error}")
            report["samples_ingest"] = asdict(samples)
            await library.get_by_role("tab", name="Chat").click()
            opened = time.perf_counter()
            chat_errors = [PageErrors() for _ in range(args.chats)]
            pages = []
            for start in range(0, args.chats, 5):  # 5 at a time: 2 cores load them
                batch = range(start, min(start + 5, args.chats))
                pages += await asyncio.gather(
                    *(open_page(browser, url, chat_errors[i]) for i in batch)
                )
            report["pages_open_seconds"] = round(time.perf_counter() - opened, 2)

            # The load: every chat and the ingest at once.
            run = time.strftime("%H%M%S")
            folder = work / "articles"
            folder.mkdir(parents=True, exist_ok=True)
            files = article_files(folder, args.articles, run)
            questions = [
                [
                    Question(chat=c, index=i, question=q, fact=fact)
                    for i, (q, fact) in enumerate(CONVERSATIONS[c % len(CONVERSATIONS)])
                    if i < args.questions
                ]
                for c in range(args.chats)
            ]
            result = IngestResult(files=len(files))
            clock = time.perf_counter()
            deadline = clock + args.deadline
            tasks = [
                converse(page, qs, clock, deadline, args.question_timeout)
                for page, qs in zip(pages, questions, strict=True)
            ]
            tasks.append(ingest(library, files, result, clock))
            await asyncio.gather(*tasks)
            wall = time.perf_counter() - clock
            for page, errors in zip(pages, chat_errors, strict=True):
                errors.toasts += await page.evaluate("window.__toasts")
            library_errors.toasts += await library.evaluate("window.__toasts")
        finally:
            await browser.close()

    asked = [q for qs in questions for q in qs]
    report.update(
        questions=[asdict(q) for q in asked],
        ingest=asdict(result),
        wall_seconds=round(wall, 2),
        page_errors={
            "chats": [asdict(e) for e in chat_errors],
            "library": asdict(library_errors),
        },
    )
    return report


# Report


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), interpolated between the nearest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summarize(
    args: argparse.Namespace, raw: dict[str, Any], started: Server | None
) -> dict[str, Any]:
    questions = raw["questions"]
    answered = [q for q in questions if q["seconds"] is not None]
    times = [q["seconds"] for q in answered]
    errors = [
        {"chat": q["chat"], "question": q["index"] + 1, "error": q["error"]}
        for q in questions
        if q["error"]
    ]
    for i, page in enumerate(raw["page_errors"]["chats"]):
        errors += [{"chat": i, "error": f"error toast: {t}"} for t in page["toasts"]]
        errors += [{"chat": i, "error": f"script error: {s}"} for s in page["scripts"]]
    library = raw["page_errors"]["library"]
    ingest = raw["ingest"]
    errors += [{"chat": "library", "error": f"error toast: {t}"} for t in library["toasts"]]
    errors += [{"chat": "library", "error": f"script error: {s}"} for s in library["scripts"]]
    if ingest["error"]:
        errors.append({"chat": "library", "error": ingest["error"]})
    # How many answers were rendered while the ingest ran: the two really overlapped.
    during = sum(
        1 for q in answered if ingest["started"] <= q["finished_at"] <= (ingest["finished"] or 0)
    )
    latency: dict[str, Any] = {}
    if times:
        latency = {
            "p50": round(statistics.median(times), 2),
            "p95": round(percentile(times, 95), 2),
            "max": round(max(times), 2),
            "mean": round(statistics.fmean(times), 2),
        }
    by_turn = {}
    for i in range(args.questions):
        turn = [q["seconds"] for q in answered if q["index"] == i]
        if turn:
            by_turn[f"question {i + 1}"] = {
                "p50": round(statistics.median(turn), 2),
                "p95": round(percentile(turn, 95), 2),
            }
    return {
        "command": " ".join(["python eval/load_ui.py", *sys.argv[1:]]),
        "app": "attached: " + args.url if args.url else "started: assistant ui --no-samples",
        "engine": "extractive (no LLM configured)" if started else "as configured by the app",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "chats": args.chats,
        "questions_per_chat": args.questions,
        "questions": len(questions),
        "answered": len(answered),
        "errors": len(errors),
        "error_list": errors,
        "latency_seconds": latency,
        "latency_by_question": by_turn,
        "wall_seconds": raw["wall_seconds"],
        "answers_per_minute": round(len(answered) / raw["wall_seconds"] * 60, 1)
        if raw["wall_seconds"]
        else 0,
        "ingest": {
            "files": ingest["files"],
            "seconds": ingest["seconds"],
            "upload_seconds": ingest["upload_seconds"],
            "summary": ingest["summary"],
            "articles_after": ingest["articles_after"],
            "started_at": ingest["started"],
            "finished_at": ingest["finished"],
            "answers_rendered_meanwhile": during,
            "error": ingest["error"],
        },
        "setup": {
            "app_start_seconds": started.start_seconds if started else None,
            "samples_ingest": raw["samples_ingest"]["summary"],
            "pages_open_seconds": raw["pages_open_seconds"],
        },
        "all_questions": questions,
    }


def markdown(summary: dict[str, Any]) -> str:
    latency = summary["latency_seconds"] or {}
    ingest = summary["ingest"]
    lines = [
        "# Web UI under load",
        "",
        f"`{summary['command']}` — {summary['app']}; engine: {summary['engine']}; "
        f"{summary['machine']['cpus']} CPUs, one headless Chromium.",
        "",
        f"{summary['chats']} chats x {summary['questions_per_chat']} questions, all at once, "
        f"while {ingest['files']} articles are ingested through the Library tab.",
        "",
        "| questions | answered | errors | p50 s | p95 s | max s | answers/min | wall s |",
        "|---|---|---|---|---|---|---|---|",
        f"| {summary['questions']} | {summary['answered']} | {summary['errors']} | "
        f"{latency.get('p50', '—')} | {latency.get('p95', '—')} | {latency.get('max', '—')} | "
        f"{summary['answers_per_minute']} | {summary['wall_seconds']} |",
        "",
        "Latency: from pressing Enter to the final answer rendered in the page.",
        "",
    ]
    if summary["latency_by_question"]:
        lines += ["| | p50 s | p95 s |", "|---|---|---|"]
        lines += [
            f"| {name} | {v['p50']} | {v['p95']} |"
            for name, v in summary["latency_by_question"].items()
        ]
        lines.append("")
    lines += [
        "| ingest | |",
        "|---|---|",
        f"| files | {ingest['files']} |",
        f"| upload (choose files → all uploaded) s | {ingest['upload_seconds']} |",
        f"| ingest (click → summary) s | {ingest['seconds']} |",
        f"| ran from → to (s into the load) | {ingest['started_at']} → {ingest['finished_at']} |",
        f"| answers rendered meanwhile | {ingest['answers_rendered_meanwhile']} |",
        f"| summary | {ingest['summary'] or '—'} |",
        f"| library after | {ingest['articles_after'] or '—'} |",
        "",
        f"Setup (not timed above): app start {summary['setup']['app_start_seconds']} s, samples: "
        f"{summary['setup']['samples_ingest']}, {summary['chats']} pages opened in "
        f"{summary['setup']['pages_open_seconds']} s.",
        "",
    ]
    if summary["error_list"]:
        lines += ["## Errors", ""]
        lines += [f"- chat {e['chat']}: {e['error']}" for e in summary["error_list"][:50]]
    else:
        lines.append("No errors.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20, help="concurrent chats (default 20)")
    parser.add_argument(
        "--questions", type=int, default=3, choices=[1, 2, 3], help="questions per chat"
    )
    parser.add_argument("--articles", type=int, default=30, help="articles ingested meanwhile")
    parser.add_argument("--url", help="a running `assistant ui` on 127.0.0.1 to drive instead")
    parser.add_argument("--home", type=Path, help="ASSISTANT_HOME for the app it starts")
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    parser.add_argument("--deadline", type=float, default=600, help="seconds for the load phase")
    parser.add_argument("--question-timeout", type=float, default=300)
    args = parser.parse_args(argv)
    if args.chats < 1 or args.articles < 1:
        parser.error("--chats and --articles must be at least 1")
    if not Path(CHROMIUM).exists():
        print(f"error: needs Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="load-ui-"))
    server = None
    try:
        if args.url:
            url = check_loopback(args.url)
        else:
            server = Server(args.home or work / "home")
            url = server.url
            print(f"started `assistant ui` on {url} in {server.start_seconds} s", flush=True)
        raw = asyncio.run(run_load(args, url, work))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    summary = summarize(args, raw, server)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load_ui.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    text = markdown(summary)
    (args.out / "load_ui.md").write_text(text)
    print(json.dumps({k: v for k, v in summary.items() if k != "all_questions"}, indent=2))
    print(text)
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
