"""Examples are tests: every code block of README.md and every docstring example runs here.

The README's blocks run in order, as a newcomer would paste them, against a temporary
ASSISTANT_HOME that holds the bundled samples (as the quick start leaves it), in a folder that has
what the examples name:
- `news/`: two short articles, a stand-in for "your folder of articles";
- `dev-v2.0.json`: a tiny SQuAD 2.0 file; `sources.urls`: two URLs of the local server;
- https://example.com/ is served by a local HTTP server (the URL in the code is rewritten): an
  article for any page, an RSS feed at /feed.xml and a sitemap at /sitemap.xml;
- Ollama's http://localhost:11434/v1 is the test OpenAI-compatible server (rewritten likewise);
- the Chroma server's port 8000 is a free port, and the PostgreSQL URL names a database of a
  throwaway server the tests start (tests/servers.py).
Rules for the shell blocks: the quick start's install steps are not re-run but must be those of
`.ci/run` (this test run is `.ci/run`); a line starting `assistant ui` is started, must serve its
page, and is stopped; a line ending in `&` starts a service whose port the next line waits for;
a block whose first line is `# NAME` is saved as NAME first. In Python blocks, a comment line right
after a `print(...)` line is output the block must print.
"""

from __future__ import annotations

import doctest
import http.server
import importlib
import os
import pkgutil
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openai_server import OpenAIServer, Reply
from servers import Postgres, free_port, start_postgres

import assistant
from assistant.api import Assistant
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
VENV_BIN = Path(sys.executable).parent
POSTGRES_URL = "postgresql://assistant@127.0.0.1:5432/news"  # the README's server example

NEWS = {
    "kyiv-heating.txt": "Kyiv heating to return within days, mayor says\n\n"
    "The mayor promised that heating would be back in every district by Friday. "
    "Repair crews worked through the night after the strikes, the city council said.",
    "markets.txt": "Markets steady as talks resume\n\n"
    "European shares rose on Monday as investors watched the peace talks in Abu Dhabi.",
}
STORY_HTML = (
    "<html><head><title>Mayor opens warming centres</title></head><body><article>"
    "<h1>Mayor opens warming centres</h1><p>The mayor promised free warming centres in every "
    "district until the heating returns, officials said on Tuesday.</p></article></body></html>"
)
SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Kyiv",
            "paragraphs": [
                {
                    "context": "Kyiv is the capital of Ukraine. It lies on the Dnieper river.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Which river does Kyiv lie on?",
                            "answers": [{"text": "Dnieper", "answer_start": 45}],
                            "is_impossible": False,
                        },
                        {
                            "id": "q2",
                            "question": "Who founded Kyiv's first university?",
                            "answers": [],
                            "is_impossible": True,
                        },
                    ],
                }
            ],
        }
    ],
}


@dataclass(frozen=True)
class Block:
    number: int
    language: str
    code: str

    @property
    def id(self) -> str:
        first = self.code.strip().splitlines()[0] if self.code.strip() else ""
        return f"{self.number}-{self.language}-{re.sub(r'[^a-z0-9]+', '-', first.lower())[:40]}"


def readme_blocks() -> list[Block]:
    return [
        Block(n, lang, code)
        for n, (lang, code) in enumerate(BLOCK.findall(README.read_text("utf-8")), 1)
    ]


def feed_xml(base: str) -> str:
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}/news/story-{n}.html</link>"
        f"<pubDate>Tue, 03 Feb 2026 0{n}:00:00 GMT</pubDate></item>"
        for n in (1, 2)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{items}</channel></rss>"
    )


def sitemap_xml(base: str) -> str:
    urls = "".join(f"<url><loc>{base}/news/story-{n}.html</loc></url>" for n in (3, 4))
    return f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        kind, text = "text/html", STORY_HTML.replace("warming centres", f"centres ({self.path})")
        if self.path == "/feed.xml":
            kind, text = "application/rss+xml", feed_xml(base)
        elif self.path == "/sitemap.xml":
            kind, text = "application/xml", sitemap_xml(base)
        elif self.path == "/robots.txt":
            kind, text = "text/plain", "User-agent: *\nAllow: /\n"
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Sandbox:
    folder: Path
    env: dict[str, str]
    rewrites: dict[str, str]
    llm: OpenAIServer
    servers: list[Postgres] = field(default_factory=list)

    def postgres(self) -> str:
        """A new database on a throwaway PostgreSQL (started on first use)."""
        if not self.servers:
            self.servers.append(start_postgres())
        return self.servers[0].database()

    def rewrite(self, code: str) -> str:
        for old, new in self.rewrites.items():
            code = code.replace(old, new)
        return code


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedder
) -> Iterator[Sandbox]:
    import json

    folder = tmp_path_factory.mktemp("readme")
    home = folder / "home"
    settings = Settings(home=home, _env_file=None)  # type: ignore[call-arg]
    assert Assistant(settings, embedder=onnx_embedder).ingest_samples().ok
    (folder / "news").mkdir()
    for name, text in NEWS.items():
        (folder / "news" / name).write_text(text, encoding="utf-8")
    (folder / "dev-v2.0.json").write_text(json.dumps(SQUAD), encoding="utf-8")
    (folder / "eval").symlink_to(ROOT / "eval")
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{pages.server_address[1]}"
    (folder / "sources.urls").write_text(f"{base}/news/story-5.html\n{base}/news/story-6.html\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ASSISTANT_", "OPENAI_")) and k != "PYTHONPATH"
    }
    env.update(
        ASSISTANT_HOME=str(home),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),  # this checkout's code, even when the venv's install is another's
        ANONYMIZED_TELEMETRY="False",
        OMP_WAIT_POLICY="PASSIVE",
    )
    with OpenAIServer() as llm:
        box = Sandbox(
            folder=folder,
            env=env,
            rewrites={
                "https://example.com/": f"http://127.0.0.1:{pages.server_address[1]}/",
                "http://localhost:11434/v1": llm.base_url,
                "127.0.0.1:8000": f"127.0.0.1:{free_port()}",
                "--port 8000": "--port {chroma_port}",
            },
            llm=llm,
        )
        yield box
        for server in box.servers:
            server.stop()
    pages.shutdown()


def test_the_readme_has_the_blocks_these_tests_expect() -> None:
    blocks = readme_blocks()
    languages = {b.language for b in blocks}
    assert languages <= {"bash", "python", "yaml"}, languages
    quick = blocks[0].code.strip().splitlines()
    commands = [line for line in quick if line and not line.startswith("#")]
    assert len(commands) == 2, "the quick start has exactly two commands"
    assert commands[1] == ".ci/run"
    assert "from assistant import Assistant" in blocks[1].code


@pytest.mark.parametrize("block", readme_blocks(), ids=lambda b: b.id)
def test_readme_block_runs(block: Block, sandbox: Sandbox) -> None:
    code = sandbox.rewrite(block.code)
    chroma = sandbox.rewrites["127.0.0.1:8000"].rsplit(":", 1)[1]
    code = code.replace("{chroma_port}", chroma)
    first = code.strip().splitlines()[0]
    if first.startswith("# ") and "." in first and " " not in first[2:]:
        (sandbox.folder / first[2:]).write_text(code, encoding="utf-8")
    if "llama_cpp.server" in code:
        code = local_model(code)
    if block.language == "python":
        run_python(block, code, sandbox)
    elif block.language == "bash":
        if block.number == 1:
            check_quick_start(code, sandbox)
        else:
            run_shell(code, sandbox)
    else:
        from assistant.evaluation.datasets import load_dataset

        path = sandbox.folder / f"block-{block.number}.{block.language}"
        path.write_text(code, encoding="utf-8")
        assert load_dataset(path).cases


def local_model(code: str) -> str:
    """The llama.cpp block runs where a GGUF model and llama-cpp-python are installed
    (ASSISTANT_TEST_GGUF, ASSISTANT_TEST_LLAMA_PYTHON: see tests/test_smollm.py)."""
    gguf, python = (
        os.environ.get("ASSISTANT_TEST_GGUF"),
        os.environ.get("ASSISTANT_TEST_LLAMA_PYTHON"),
    )
    if not gguf or not python:
        pytest.skip(
            "needs a local GGUF model: set ASSISTANT_TEST_GGUF and ASSISTANT_TEST_LLAMA_PYTHON"
        )
    port = str(free_port())
    code = code.replace("~/models/model.gguf", gguf).replace("~/llama-venv/bin/python", python)
    return code.replace("8091", port)


def run_python(block: Block, code: str, sandbox: Sandbox) -> None:
    sandbox.llm.script(*[Reply("Russia attacked with 71 missiles [1].")] * 4)
    path = sandbox.folder / f"block_{block.number}.py"
    path.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=sandbox.folder,
        env=sandbox.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = code.splitlines()
    for before, line in zip(lines, lines[1:], strict=False):
        if "print(" in before and line.startswith("# "):
            assert line[2:] in result.stdout, f"expected {line[2:]!r} in:\n{result.stdout}"


def check_quick_start(code: str, sandbox: Sandbox) -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install, run_ui = code.strip().splitlines()[1].rsplit(" && ", 1)
    for step in install.split(" && "):
        assert step.replace("-e .", "-e '.[dev]'") in ci or step in ci, step
    assert run_ui == ".venv/bin/assistant ui"
    run_shell("assistant ui", sandbox)


def run_shell(code: str, sandbox: Sandbox) -> None:
    if POSTGRES_URL in code:
        code = code.replace(POSTGRES_URL, sandbox.postgres())
    sandbox.llm.script(*[Reply("Russia attacked with 71 missiles [1].")] * 4)
    lines = ["set -euo pipefail", WAIT_FOR_PORT]
    for line in re.sub(r"\\\n\s*", " ", code).splitlines():
        command = line.split("  #")[0].rstrip() if not line.startswith("#") else ""
        if not command:
            continue
        if command.startswith("assistant ui"):
            port = re.search(r"--port (\d+)", command)
            number = port.group(1) if port else str(free_port())
            if not port:
                command += f" --port {number}"
            lines += [
                f"{command} --no-samples > ui-{number}.log 2>&1 &",
                f"wait_for_port {number}",
                "kill %%",
            ]
        elif command.endswith("&"):
            port = re.search(r"--port (\d+)", command)
            assert port, f"a service line needs --port: {command}"
            service = command.removesuffix("&").rstrip()
            lines += [f"{service} > service-{port.group(1)}.log 2>&1 &"]
            lines += [f"wait_for_port {port.group(1)}"]
        else:
            lines.append(command)
    process = subprocess.Popen(
        ["bash", "-c", "\n".join(lines)],
        cwd=sandbox.folder,
        env=sandbox.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=600)
    finally:
        with_children_stopped(process)
    assert process.returncode == 0, output[-4000:]
    assert "Traceback" not in output, output[-4000:]


WAIT_FOR_PORT = """wait_for_port() {
  for _ in $(seq 600); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing answered on port $1" >&2; return 1
}"""


def with_children_stopped(process: subprocess.Popen[str]) -> None:
    """Stop what the block left running (its services) with the whole process group."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return


# Docstring examples


def modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(assistant.__path__, prefix="assistant.")
        if not info.name.startswith("assistant.ui")  # imports gradio: covered by the UI tests
    ]
    return sorted(names)


@pytest.fixture(scope="module")
def samples_home(tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedder) -> Path:
    home = tmp_path_factory.mktemp("doctest-home")
    settings = Settings(home=home, _env_file=None)  # type: ignore[call-arg]
    assert Assistant(settings, embedder=onnx_embedder).ingest_samples().ok
    return home


@pytest.mark.parametrize("name", modules())
def test_docstring_examples(name: str, samples_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_HOME", str(samples_home))
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_no_docstring_example_is_skipped() -> None:
    skipped = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "assistant").rglob("*.py")
        if "doctest: +SKIP" in path.read_text(encoding="utf-8")
    ]
    assert skipped == []
