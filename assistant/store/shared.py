"""One embedded Chroma directory, many processes: one process owns it, the others ask the owner.

Chroma's PersistentClient is not process-safe: two processes writing one directory, even one at
a time, leave an index that fails to read back. So in embedded mode the first process that needs
the directory takes a lock file (`flock`, released by the kernel when the process ends) and
becomes its owner: it opens the PersistentClient and answers the other processes' store calls
on a Unix socket beside it (readable by this user only). A process that finds the lock taken
sends its calls there. When the owner exits, the next call of another process takes the lock and
opens the directory itself. Threads of one process share one owner.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import Vectors
from assistant.errors import ConfigError
from assistant.models import Chunk, Hit
from assistant.store.vectors import ChromaStore, VectorStore, chroma_client

SOCKET_NAME = "chroma.sock"
LOCK_NAME = "chroma.lock"
RETRY_SECONDS = 30.0  # how long a caller waits for an owner to appear (or to become one)


class _Owner:
    """This process owns the directory: the client, the lock and the socket server."""

    def __init__(self, home: Path, lock: Any) -> None:
        self.home = home
        self.lock = lock
        self.client = chroma_client(home)
        self.stores: dict[str, ChromaStore] = {}
        self.stores_lock = threading.Lock()
        path = home / SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self.server = _Server(str(path), _Handler)
        self.server.owner = self
        os.chmod(path, 0o600)
        threading.Thread(target=self.server.serve_forever, name="chroma-owner", daemon=True).start()
        # When the main thread ends, stop taking calls and finish those in progress before the
        # interpreter shuts down: Chroma's client must not be torn down under a call.
        threading.Thread(target=self._close_at_exit, name="chroma-owner-exit").start()

    def _close_at_exit(self) -> None:
        threading.main_thread().join()
        self.close()

    def close(self) -> None:
        """Stop taking calls, wait for those in progress, then let the lock go."""
        self.server.shutdown()
        self.server.server_close()
        with contextlib.suppress(OSError):
            (self.home / SOCKET_NAME).unlink()
        self.lock.close()

    def store(self, name: str) -> ChromaStore:
        with self.stores_lock:
            if name not in self.stores:
                self.stores[name] = ChromaStore(self.client, name)
            return self.stores[name]


_owners: dict[Path, _Owner] = {}
_owners_lock = threading.Lock()


def release(home: Path) -> None:
    """Stop owning `home` in this process, if it does: stop answering other processes and let
    the lock go, so that the next process that needs the folder opens it itself. This
    process's stores of the folder take it back (or ask its new owner) on their next call."""
    with _owners_lock:
        owner = _owners.pop(home.resolve(), None)
    if owner is not None:
        owner.close()


def _try_to_own(home: Path) -> _Owner | None:
    """This process's owner of `home`, taking the lock if it is free; None if another has it."""
    key = home.resolve()
    with _owners_lock:
        if key in _owners:
            return _owners[key]
        home.mkdir(parents=True, exist_ok=True)
        handle = (home / LOCK_NAME).open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        owner = _Owner(home, handle)
        _owners[key] = owner
        return owner


class SharedStore:
    """A VectorStore for one library of an embedded directory shared by processes."""

    def __init__(self, home: Path, name: str) -> None:
        self.home = home
        self.name = name
        self._local: ChromaStore | None = None

    def _call(self, op: str, args: dict[str, Any], payload: bytes = b"") -> tuple[Any, bytes]:
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            owner = _try_to_own(self.home)
            if owner is not None:
                self._local = owner.store(self.name)
                return _run(self._local, op, args, payload)
            try:
                return _request(self.home / SOCKET_NAME, self.name, op, args, payload)
            except (ConnectionError, FileNotFoundError, OSError):
                if time.monotonic() > deadline:
                    raise ConfigError(
                        f"the library folder {self.home} is held by another process that does "
                        "not answer; stop it, or use a Chroma server (ASSISTANT_CHROMA_URL)"
                    ) from None
                time.sleep(0.05)

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Add (or overwrite) chunks with their vectors."""
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        self._call(
            "add",
            {"chunks": [c.model_dump() for c in chunks], "shape": list(data.shape)},
            data.tobytes(),
        )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        """Remove chunks; unknown ids are ignored."""
        self._call("delete", {"ids": list(chunk_ids)})

    def query(
        self, vector: Sequence[float] | Vectors, k: int, article_ids: Sequence[str] | None = None
    ) -> list[Hit]:
        """The k nearest chunks, best first; score is cosine similarity."""
        data = np.ascontiguousarray(vector, dtype=np.float32)
        ids = list(article_ids) if article_ids is not None else None
        result, _ = self._call("query", {"k": k, "articles": ids}, data.tobytes())
        return [Hit.model_validate(h) for h in result]

    def nearest(self, vector: Sequence[float] | Vectors, k: int) -> list[tuple[str, float]]:
        """The k nearest chunk ids with their cosine similarity, best first."""
        data = np.ascontiguousarray(vector, dtype=np.float32)
        result, _ = self._call("nearest", {"k": k}, data.tobytes())
        return [(str(i), float(score)) for i, score in result]

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """Chunks by id, in the order asked; missing ids are skipped."""
        result, _ = self._call("get", {"ids": list(chunk_ids)})
        return [Chunk.model_validate(c) for c in result]

    def ids(self) -> set[str]:
        """Every chunk id in the collection."""
        result, _ = self._call("ids", {})
        return set(result)

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every chunk, page by page."""
        offset, page = 0, 2000
        while True:
            result, _ = self._call("page", {"offset": offset, "limit": page})
            yield from (Chunk.model_validate(c) for c in result)
            if len(result) < page:
                return
            offset += page

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, Vectors]:
        """Stored vectors by chunk id (missing ids are absent)."""
        ids, payload = self._call("vectors", {"ids": list(chunk_ids)})
        if not ids:
            return {}
        matrix = np.frombuffer(payload, dtype=np.float32).reshape(len(ids), -1)
        return {chunk_id: matrix[i] for i, chunk_id in enumerate(ids)}

    def count(self) -> int:
        """Number of chunks."""
        result, _ = self._call("count", {})
        return int(result)


def open_store(home: Path, name: str, url: str | None = None) -> VectorStore:
    """The vector store of a library: a Chroma server's (process-safe as it is), or the
    embedded directory's, shared between processes through its owner."""
    if url:
        return ChromaStore(chroma_client(home, url), name)
    return SharedStore(home, name)


# The wire: 4-byte header length, JSON header, 8-byte payload length, payload.


def _send(sock: socket.socket, header: dict[str, Any], payload: bytes = b"") -> None:
    body = json.dumps(header).encode()
    sock.sendall(struct.pack(">I", len(body)) + body + struct.pack(">Q", len(payload)) + payload)


def _receive(read: Callable[[int], bytes]) -> tuple[dict[str, Any], bytes]:
    (size,) = struct.unpack(">I", _exactly(read, 4))
    header = json.loads(_exactly(read, size))
    (length,) = struct.unpack(">Q", _exactly(read, 8))
    return header, _exactly(read, length) if length else b""


def _exactly(read: Callable[[int], bytes], n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = read(n - got)
        if not part:
            raise ConnectionError("the other side closed the connection")
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _request(
    path: Path, name: str, op: str, args: dict[str, Any], payload: bytes
) -> tuple[Any, bytes]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(path))
        _send(sock, {"op": op, "library": name, "args": args}, payload)
        header, data = _receive(sock.recv)
    if not header.get("ok"):
        raise ConfigError(f"the process that holds {path.parent} failed: {header.get('error')}")
    return header.get("result"), data


def _run(store: ChromaStore, op: str, args: dict[str, Any], payload: bytes) -> tuple[Any, bytes]:
    """Carry out one store call (in the owner); (JSON-able result, binary payload)."""
    if op == "add":
        chunks = [Chunk.model_validate(c) for c in args["chunks"]]
        if chunks:
            shape = tuple(int(n) for n in args["shape"])
            store.add(chunks, np.frombuffer(payload, dtype=np.float32).reshape(shape))
        return None, b""
    if op == "delete":
        store.delete(args["ids"])
        return None, b""
    if op == "query":
        vector = np.frombuffer(payload, dtype=np.float32)
        hits = store.query(vector, int(args["k"]), args["articles"])
        return [h.model_dump() for h in hits], b""
    if op == "nearest":
        vector = np.frombuffer(payload, dtype=np.float32)
        return store.nearest(vector, int(args["k"])), b""
    if op == "get":
        return [c.model_dump() for c in store.get(args["ids"])], b""
    if op == "ids":
        return sorted(store.ids()), b""
    if op == "page":
        return [c.model_dump() for c in store.page(int(args["offset"]), int(args["limit"]))], b""
    if op == "vectors":
        found = store.vectors(args["ids"])
        ids = list(found)
        matrix = np.stack([found[i] for i in ids]).astype(np.float32) if ids else None
        return ids, matrix.tobytes() if matrix is not None else b""
    if op == "count":
        return store.count(), b""
    raise ValueError(f"unknown store call {op!r}")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = False
    block_on_close = True  # server_close() waits for the calls in progress
    owner: _Owner


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            header, payload = _receive(self.rfile.read)
        except (ConnectionError, ValueError):
            return
        try:
            store = self.server.owner.store(str(header["library"]))
            result, data = _run(store, str(header["op"]), header.get("args", {}), payload)
            _send(self.connection, {"ok": True, "result": result}, data)
        except Exception as error:  # sent back to the caller, who raises it as its own
            with contextlib.suppress(OSError):
                _send(self.connection, {"ok": False, "error": f"{type(error).__name__}: {error}"})
