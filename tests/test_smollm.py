"""End to end with a real small LLM: a GGUF served by llama.cpp, asked through the CLI.

Runs only where the model is installed (CI has none, so these skip there):

    ASSISTANT_TEST_GGUF=~/models/SmolLM2-135M-Instruct.Q4_1.gguf \
    ASSISTANT_TEST_LLAMA_PYTHON=~/llama-venv/bin/python \
    pytest -m smollm

ASSISTANT_TEST_LLAMA_PYTHON is a python that can import `llama_cpp.server`
(`pip install 'llama-cpp-python[server]'`; default: this python). The test starts the server on
a free port on 127.0.0.1 and asks seed questions with the openai engine and the default policy
(`replace`). Whatever a weak model replies, what is shown must be what the policy guarantees:
a checked answer (a supported citation, no contradicted claim), the offline answer with a
`verification` note, or an abstention; and the model's reply kept in `draft` when it was not
shown as it is.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.evaluation.datasets import load_dataset

pytestmark = [pytest.mark.smollm, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
SEED = "samples/russia-ukraine-strikes"
QUESTIONS = ["missiles-drones", "kharkiv-governor", "no-kyiv-mayor"]


def _model() -> tuple[Path, str]:
    """The GGUF and the python to serve it with; skips the module with the reason otherwise."""
    gguf = os.environ.get("ASSISTANT_TEST_GGUF")
    if not gguf:
        pytest.skip("set ASSISTANT_TEST_GGUF to a .gguf chat model to run the smollm tests")
    path = Path(gguf).expanduser()
    if not path.is_file():
        pytest.skip(f"ASSISTANT_TEST_GGUF={gguf} is not a file")
    python = os.path.expanduser(os.environ.get("ASSISTANT_TEST_LLAMA_PYTHON", sys.executable))
    probe = subprocess.run(
        [python, "-c", "import llama_cpp.server"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(
            f"{python} cannot import llama_cpp.server: install 'llama-cpp-python[server]' there "
            "or set ASSISTANT_TEST_LLAMA_PYTHON to a python that has it"
        )
    return path, python


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server on 127.0.0.1; yields its /v1 URL."""
    gguf, python = _model()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        python, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "1",
    ]  # fmt: skip
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"llama.cpp server did not start: {log_path.read_text()[-2000:]}"
                )
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory, llama_server: str) -> Path:
    """A data directory holding the bundled samples."""
    home = tmp_path_factory.mktemp("home")
    assert main(["--home", str(home), "demo"]) == 0
    return home


@pytest.mark.parametrize("case_id", QUESTIONS)
def test_what_is_shown_is_what_the_policy_guarantees(
    case_id: str,
    llama_server: str,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = next(
        c for c in load_dataset(ROOT / "eval" / "seed_cases.yaml").qa_cases if c.id == case_id
    )
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    monkeypatch.setenv("OPENAI_API_KEY", "anything")
    monkeypatch.setenv("ASSISTANT_CHAT_MODEL", "smollm2")
    monkeypatch.setenv("ASSISTANT_CONTEXT_TOKENS", "4096")
    capsys.readouterr()
    code = main(
        ["--home", str(demo_home), "ask", case.question, "--engine", "openai", "--article", SEED,
         "--json"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    answer = json.loads(out)
    assert answer["fallback"] is None, "the server failed; the answer is the provider fallback"
    verdicts = [c["verdict"] for c in answer["citations"]]
    flags = {f["kind"] for f in answer["flags"]}
    note = answer["verification"] or ""
    if answer["abstained"]:
        pass  # an abstention: the model's, the offline engine's, or a refusal
    elif answer["engine"] == "openai":  # the model's reply, kept or trimmed
        assert "supported" in verdicts, answer
        assert "contradicted" not in verdicts and "contradicted" not in flags, answer
        assert "no_valid_citation" not in flags, answer
    else:  # replaced by the offline answer, and saying so
        assert answer["engine"] == "extractive", answer
        assert note.startswith("the reply was replaced by the offline answer"), answer
    if note and not note.startswith("unverified"):  # changed, replaced or refused
        assert answer["draft"], "the model's own reply must stay available as the draft"
        assert answer["draft"] != answer["text"]
