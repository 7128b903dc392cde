"""Throwaway servers on 127.0.0.1 for server-mode tests and benchmarks: PostgreSQL and Chroma.

PostgreSQL refuses to run as root, so as root (the tests here and in CI) `initdb` and
`pg_ctl` run as the `postgres` user (`runuser`), with the data directory in a temporary folder
that user owns. Both servers are stopped and their folders removed by `stop()`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PG_ROOTS = ("/usr/lib/postgresql",)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        (p for root in PG_ROOTS for p in Path(root).glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: `apt-get install -y postgresql` (.ci/run does it)"
        )
    return found[-1]


@dataclass
class Postgres:
    """A running PostgreSQL; `url` connects to its `postgres` database as `postgres`."""

    folder: Path
    port: int
    bin: Path
    as_postgres: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "stop", "-D", str(self.folder / "data")]
            + ["-m", "immediate", "-w"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb + pg_ctl start in a new temporary folder, listening on 127.0.0.1 only."""
    bin_dir = postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    data = folder / "data"
    log = folder / "server.log"

    def run(*argv: str) -> None:
        done = subprocess.run([*as_postgres, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    options = " ".join(
        [
            "-c listen_addresses=127.0.0.1",
            f"-c port={port}",
            f"-c unix_socket_directories={folder}",
            "-c max_connections=300",
            "-c fsync=off",  # a throwaway server: speed over durability
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
        ]
    )
    server = Postgres(folder=folder, port=port, bin=bin_dir, as_postgres=as_postgres)
    try:
        run(str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w", "-o", options)
    except RuntimeError as error:
        text = log.read_text() if log.exists() else ""
        raise RuntimeError(f"{error}\n{text}") from None
    return server


@dataclass
class Chroma:
    """A running `chroma run` server."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_chroma(folder: Path) -> Chroma:
    """`chroma run` on 127.0.0.1 with its data in `folder`."""
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_TELEMETRY": "False"}
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder / "db"), "--host", "127.0.0.1"]
            + ["--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    if not wait_for_port(port, process, 30):
        with contextlib.suppress(OSError):
            process.kill()
        raise RuntimeError(f"chroma server did not start; see {folder / 'server.log'}")
    return Chroma(folder=folder, port=port, process=process)
