"""Shared fixtures: the network guard, isolated settings, fakes and real local parts."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fakes import HashEmbedder, MemoryStore
from openai_server import OpenAIServer
from servers import Postgres, start_chroma, start_postgres

from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder

if TYPE_CHECKING:
    from assistant.api import Assistant

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0] if isinstance(address, tuple) else address
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ConnectionRefusedError(f"tests may not use the network (tried {address!r})")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    """The default run may only talk to 127.0.0.1; integration tests opt out."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


_ISOLATED = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ASSISTANT_HOME",
    "ASSISTANT_LIBRARY",
    "ASSISTANT_EMBEDDER",
    "ASSISTANT_MODEL_DIR",
    "ASSISTANT_ENGINE",
    "ASSISTANT_CHAT_MODEL",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's settings, keys or data directory."""
    for name in _ISOLATED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSISTANT_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # so no developer .env file is picked up


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data directory."""
    return Settings(home=tmp_path / "home", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def fake_assistant(settings: Settings, hash_embedder: HashEmbedder) -> Assistant:
    """Real chromadb on disk and real catalog, with the fast hash embedder."""
    from assistant.api import Assistant

    return Assistant(settings, embedder=hash_embedder)


@pytest.fixture(scope="session")
def onnx_embedder() -> OnnxEmbedder:
    """The real bundled MiniLM model (loaded once per run)."""
    return OnnxEmbedder.bundled()


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A started OpenAI-compatible server on 127.0.0.1; script it with `.script(...)`."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1 for server-mode tests; yields its URL."""
    server = start_chroma(tmp_path_factory.mktemp("chroma-server"))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    """A real PostgreSQL on 127.0.0.1 for the session (initdb as the `postgres` user when
    running as root); stopped and removed at the end."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def database_url(postgres_server: Postgres) -> str:
    """The URL of a new, empty database of the session's PostgreSQL."""
    return postgres_server.database()
