"""Many writers, one library: 4 processes ingest overlapping folders while 2 ask and 1 deletes.

Afterwards the catalog, the vector store and the keyword index agree exactly, and hold what a
serial run of the same work holds: every distinct text once (ids depend on who came first),
minus the deleted ones. No process may show a traceback. Two setups: embedded (one
ASSISTANT_HOME shared by the processes) and server (PostgreSQL and a Chroma server; each
process has a home of its own, so they share only through the servers).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import Postgres

from assistant.api import Assistant
from assistant.config import Settings
from assistant.models import sha256_hex

TESTS = Path(__file__).resolve().parent
N_TEXTS = 400
SET_SIZE = 200
STEP = 66  # set k holds texts k*66 .. k*66+199: every text is in one to three sets
DELETED = [f"set0/a{j:03d}" for j in range(10)]  # texts only set 0 has
TOPICS = ["heating", "trade", "football", "elections", "rain", "markets", "science", "films"]


def text(j: int) -> str:
    topic = TOPICS[j % len(TOPICS)]
    return (
        f"Report {j} on {topic}\n\nOfficials in district {j} said the {topic} situation changed "
        f"on day {j % 28 + 1}. Residents described event {j} in detail, with {j * 7} people.\n\n"
        f"A second paragraph of story {j} adds that {j * 3} homes were affected."
    )


def make_sets(root: Path) -> list[Path]:
    folders = []
    for k in range(4):
        folder = root / f"set{k}"
        folder.mkdir(parents=True)
        for j in range(k * STEP, k * STEP + SET_SIZE):
            if j < N_TEXTS:
                (folder / f"a{j:03d}.txt").write_text(text(j), encoding="utf-8")
        folders.append(folder)
    return folders


@dataclass(frozen=True)
class Setup:
    """Where one run keeps its library: a shared home, or the servers (and a home each)."""

    root: Path
    database_url: str | None = None
    chroma_url: str | None = None
    library: str = "default"

    def home(self, process: int) -> Path:
        return self.root if self.database_url is None else self.root / f"process-{process}"

    def environment(self, process: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
        servers = (
            {"ASSISTANT_DATABASE_URL": self.database_url, "ASSISTANT_CHROMA_URL": self.chroma_url}
            if self.database_url and self.chroma_url
            else {}
        )
        return {
            **keep,
            **servers,
            "ASSISTANT_HOME": str(self.home(process)),
            "ASSISTANT_LIBRARY": self.library,
            "ASSISTANT_EMBEDDER": "hash",
            "ASSISTANT_PLUGINS": "hash_plugin",
            "ASSISTANT_FLUSH_CHUNKS": "16",
            "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),  # this tree's code
            "PYTHONFAULTHANDLER": "1",
        }

    def settings(self) -> Settings:
        return Settings(  # type: ignore[call-arg]
            home=self.home(99),
            library=self.library,
            database_url=self.database_url,
            chroma_url=self.chroma_url,
            embedder="hash",
            plugins="hash_plugin",
            _env_file=None,
        )


def make_setup(
    kind: str, root: Path, postgres: Postgres | None = None, chroma_url: str | None = None
) -> Setup:
    if kind == "embedded":
        return Setup(root)
    assert postgres is not None and chroma_url is not None
    return Setup(root, postgres.database(), chroma_url, f"conc-{uuid.uuid4().hex[:10]}")


ASKER = """
import sys, time
from pathlib import Path
from assistant.api import Assistant
from assistant.errors import AssistantError
assistant = Assistant()
answered = 0
done, deadline = Path(sys.argv[1]), time.monotonic() + 120
while not done.exists() and time.monotonic() < deadline:  # until the ingests are over
    try:
        answer = assistant.ask("How many homes were affected by the heating report?")
        ids = {c.article_id for c in answer.citations}
        chunks = {s.hit.chunk.article_id for s in answer.sources}
        assert ids <= chunks
        answered += 1
    except AssistantError:
        time.sleep(0.05)  # the library is still empty
print("answered", answered)
"""

DELETER = """
import sys, time
from assistant.api import Assistant
from assistant.errors import NotFoundError
assistant = Assistant()
pending = sys.argv[1].split(",")
deadline = time.monotonic() + 120
while pending and time.monotonic() < deadline:
    for article_id in list(pending):
        try:
            assistant.delete(article_id)
            pending.remove(article_id)
        except NotFoundError:
            pass
    time.sleep(0.02)
print("deleted", 10 - len(pending))
"""


def run_all(setup: Setup, folders: list[Path], *, together: bool) -> list[tuple[str, str, int]]:
    """Run the work; (command, stderr, exit code) per process."""
    ingests = [
        [sys.executable, "-m", "assistant.cli", "ingest", str(f), "--quiet"] for f in folders
    ]
    setup.root.mkdir(parents=True, exist_ok=True)
    finished = setup.root / "ingests-finished"
    askers = [[sys.executable, "-c", ASKER, str(finished)] for _ in range(2)]
    deleter = [sys.executable, "-c", DELETER, ",".join(DELETED)]
    outcomes = []
    if together:
        commands = [*ingests, *askers, deleter]
        processes = [
            subprocess.Popen(
                c,
                env=setup.environment(n),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n, c in enumerate(commands)
        ]
        for n, (command, process) in enumerate(zip(commands, processes, strict=True)):
            out, err = process.communicate(timeout=300)
            outcomes.append((" ".join(command[:4]), out + err, process.returncode))
            if n == len(ingests) - 1:
                finished.touch()  # the askers stop
    else:
        for n, command in enumerate([*ingests, deleter]):
            env = setup.environment(n)
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
            outcomes.append((" ".join(command[:4]), done.stdout + done.stderr, done.returncode))
    return outcomes


def state(setup: Setup) -> dict[str, object]:
    assistant = Assistant(setup.settings())
    library = assistant.library()
    owned = library.catalog.chunk_ids(library.name)
    chunk_rows = {c.id for c in library.catalog.iter_chunks(library.name)}
    keyword = {
        chunk_id
        for query in ("report", "official district", "paragraph homes")
        for chunk_id, _ in library.lexical().search(query, 10_000)
    }
    return {
        "contents": sorted(sha256_hex(a.text) for a in map(assistant.article, owned)),
        "chunks": sorted(c for ids in owned.values() for c in ids),
        "store": sorted(library.store.ids()),
        "rows": sorted(chunk_rows),
        "keyword": sorted(keyword),
        "intents": library.catalog.intents(library.name),
        "counts": library.stats(),
        "deleted_left": [a for a in DELETED if a in owned],
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["embedded", "server"])
def test_four_writers_two_readers_one_deleter_lose_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    sys.path.insert(0, str(TESTS))
    servers: tuple[Postgres | None, str | None] = (None, None)
    if kind == "server":
        servers = (
            request.getfixturevalue("postgres_server"),
            request.getfixturevalue("chroma_server"),
        )
    folders = make_sets(tmp_path / "corpus")
    started = time.monotonic()
    together_setup = make_setup(kind, tmp_path / "together", *servers)
    outcomes = run_all(together_setup, folders, together=True)
    for command, output, code in outcomes:
        assert "Traceback" not in output, f"{command}:\n{output}"
        assert code == 0, f"{command} exited {code}:\n{output}"
    assert any("deleted 10" in output for _, output, _ in outcomes), outcomes
    answered = [int(o.split("answered")[1].split()[0]) for _, o, _ in outcomes if "answered" in o]
    assert len(answered) == 2 and all(n > 0 for n in answered), outcomes
    together = state(together_setup)
    assert together["chunks"] == together["store"] == together["rows"] == together["keyword"]
    assert together["intents"] == [] and together["deleted_left"] == []
    expected = len(range(0, 3 * STEP + SET_SIZE)) - len(DELETED)
    assert together["counts"] == (expected, expected)  # one chunk per text
    serial_setup = make_setup(kind, tmp_path / "serial", *servers)
    serial = state(serial_setup) if run_all(serial_setup, folders, together=False) else {}
    assert together["contents"] == serial["contents"] and together["chunks"] == serial["chunks"]
    print(
        f"{kind}: (articles, chunks) {together['counts']}, answers {answered}, "
        f"{time.monotonic() - started:.0f} s"
    )
