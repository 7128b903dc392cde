"""A small OpenAI-compatible HTTP server on 127.0.0.1 for end-to-end tests.

It speaks enough of the REST API for the real `openai` client: list models, hash
embeddings, and chat completions (plain or streamed) replayed from a script of behaviours.

    with OpenAIServer(models=["test-model"]) as server:
        server.script(Reply("Paris is the capital [1]."), Error(500), Hang(5.0))
        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)

With an empty script, chat replies echo the last user message ("You asked: ...").
Every request is kept in `server.requests` with the Authorization header redacted.
Stdlib only; the server runs in a daemon thread and never keeps the process alive.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import hashlib
import json
import math
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = [
    "REDACTED",
    "Behaviour",
    "CutStream",
    "Empty",
    "Error",
    "Garbage",
    "Hang",
    "OpenAIServer",
    "RecordedRequest",
    "Reply",
    "hash_embedding",
    "split_deltas",
]

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "api-key"})
WORD = re.compile(r"\w+")
DELTA = re.compile(r"\s*\S+\s*|\s+")


# --- behaviours: what the next chat completion request gets ----------------------------


@dataclass(frozen=True)
class Reply:
    """A normal answer: a ChatCompletion, or SSE deltas one word each when streamed."""

    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Error:
    """An HTTP error; `body` defaults to an OpenAI-shaped error object.

    `Error(429, headers={"Retry-After": "1"})`, `Error(401)`, `Error(500, body="oops")`.
    """

    status: int = 500
    body: Mapping[str, Any] | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    """Wait `seconds` before answering with `then` (default: the echo reply).

    Only this request waits; stopping the server cuts the wait short.
    """

    seconds: float
    then: Reply | Error | CutStream | Empty | Garbage | None = None


@dataclass(frozen=True)
class CutStream:
    """Start an SSE stream of `text`, send `after_chunks` content deltas, then stop.

    `abrupt=True` drops the connection mid-body (as a crashed server would);
    `abrupt=False` ends the HTTP body cleanly but with no finish_reason and no [DONE].
    A non-streamed request gets a truncated JSON body instead.
    """

    text: str
    after_chunks: int = 2
    abrupt: bool = True


@dataclass(frozen=True)
class Empty:
    """A 200 whose message content is "", or a stream with no chunks before [DONE]."""


@dataclass(frozen=True)
class Garbage:
    """A 200 whose body is not JSON (sent as an SSE `data:` line when streamed)."""

    body: str = "<html><body>502 Bad Gateway</body></html>"
    content_type: str = "application/json"


Behaviour = Reply | Error | Hang | CutStream | Empty | Garbage


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it.

    Header names are lowercased; the values of `authorization` and `api-key` are REDACTED.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body, or None when there was none or it was not JSON."""


# --- pure helpers -----------------------------------------------------------------------


def _bucket(token: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    number = int.from_bytes(digest, "little")
    return (number >> 1) % dim, 1.0 if number & 1 else -1.0


def _tokens(item: str | Sequence[int]) -> list[str]:
    if isinstance(item, str):
        return WORD.findall(item.lower()) or [item]
    return [str(token) for token in item]


def hash_embedding(text: str | Sequence[int], dim: int = 64) -> list[float]:
    """Bag-of-words hash vector of unit length: texts sharing words have close vectors.

    Each lowercase word token adds +1 or -1 to one of `dim` buckets. A text without word
    characters is hashed whole; a list of token ids (the API allows it) hashes each id.
    """
    vector = [0.0] * dim
    for token in _tokens(text):
        index, sign = _bucket(token, dim)
        vector[index] += sign
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


def split_deltas(text: str) -> list[str]:
    """The content deltas a streamed reply of `text` is sent as: about one word each."""
    return DELTA.findall(text)


def _count_words(text: str) -> int:
    return len(text.split())


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


def _error_body(status: int, message: str | None = None) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {
        "error": {
            "message": message or f"{status} {phrase} (scripted by the test server)",
            "type": "invalid_request_error" if 400 <= status < 500 else "server_error",
            "param": None,
            "code": phrase.lower().replace(" ", "_"),
        }
    }


# --- the server -------------------------------------------------------------------------


class OpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 with a scripted chat endpoint.

    `api_key`, if given, is required as the bearer token (else 401), so a test can check
    that the key reaches the server without reading the redacted header.
    """

    def __init__(
        self,
        models: Sequence[str] = ("test-model", "test-embedding"),
        dim: int = 64,
        api_key: str | None = None,
    ) -> None:
        self.models = list(models)
        self.dim = dim
        self.api_key = api_key
        self._script: collections.deque[Behaviour] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve from a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="openai-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hanging handlers and drop open connections."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """E.g. "http://127.0.0.1:54321/v1", for `openai.OpenAI(base_url=...)`."""
        if self._httpd is None:
            raise RuntimeError("server not started: use `with OpenAIServer() as server:`")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    # script and records

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours; each chat completion request takes the next one."""
        with self._lock:
            self._script.extend(behaviours)

    @property
    def pending(self) -> int:
        """How many scripted behaviours are still unused."""
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def _next_behaviour(self) -> Behaviour | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True if it slept the full time."""
        return not self._stopping.wait(seconds)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        owner: OpenAIServer,
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)


class _Disconnect(Exception):
    """Raised inside a handler to drop the connection without finishing the response."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "OpenAITestServer/1.0"
    server: _HTTPServer

    # plumbing

    @property
    def owner(self) -> OpenAIServer:
        return self.server.owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, True)

    def finish(self) -> None:
        self.owner._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (_Disconnect, ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def _send_json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        self._send_bytes(status, body, "application/json", headers)

    def _send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:12]}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _send_event(self, payload: Any) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self._write_chunk(f"data: {data}\n\n".encode())

    def _end_sse(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop_connection(self) -> None:
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        raise _Disconnect

    def _read_request(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        headers = {
            name.lower(): REDACTED if name.lower() in SECRET_HEADERS else value
            for name, value in self.headers.items()
        }
        path = self.path.split("?", 1)[0]
        self.owner._record(RecordedRequest(self.command, path, headers, body))
        return body

    def _authorised(self) -> bool:
        expected = self.owner.api_key
        if expected is None or self.headers.get("Authorization") == f"Bearer {expected}":
            return True
        self._send_json(401, _error_body(401, "Incorrect API key provided."))
        return False

    # routes

    def do_GET(self) -> None:
        self._read_request()
        if not self._authorised():
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/v1/models":
            data = [_model(name) for name in self.owner.models]
            self._send_json(200, {"object": "list", "data": data})
        elif path.startswith("/v1/models/") and path[len("/v1/models/") :] in self.owner.models:
            self._send_json(200, _model(path[len("/v1/models/") :]))
        else:
            self._send_json(404, _error_body(404, f"Unknown path or model: {self.path}"))

    def do_POST(self) -> None:
        body = self._read_request()
        if not self._authorised():
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        if not isinstance(body, dict):
            self._send_json(400, _error_body(400, "The request body must be a JSON object."))
        elif path == "/v1/embeddings":
            self._embeddings(body)
        elif path == "/v1/chat/completions":
            self._chat(body)
        else:
            self._send_json(404, _error_body(404, f"Unknown path: {self.path}"))

    def _embeddings(self, body: dict[str, Any]) -> None:
        raw_input = body.get("input")
        items: list[Any] = (
            [raw_input]
            if isinstance(raw_input, str)
            or (isinstance(raw_input, list) and raw_input and isinstance(raw_input[0], int))
            else raw_input
            if isinstance(raw_input, list)
            else []
        )
        if not items or any(item == "" or item == [] for item in items):
            self._send_json(400, _error_body(400, "'input' must be a non-empty string or list."))
            return
        dim = int(body.get("dimensions") or self.owner.dim)
        encoding = body.get("encoding_format") or "float"
        data = []
        n_tokens = 0
        for index, item in enumerate(items):
            vector = hash_embedding(item, dim)
            n_tokens += len(_tokens(item))
            encoded: list[float] | str = (
                base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode("ascii")
                if encoding == "base64"
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        usage = {"prompt_tokens": n_tokens, "total_tokens": n_tokens}
        model = str(body.get("model", ""))
        self._send_json(200, {"object": "list", "data": data, "model": model, "usage": usage})

    def _chat(self, body: dict[str, Any]) -> None:
        messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
        stream = bool(body.get("stream"))
        options = body.get("stream_options")
        include_usage = isinstance(options, Mapping) and bool(options.get("include_usage"))
        reply = _Reply(
            model=str(body.get("model", "")),
            prompt_tokens=sum(_count_words(_message_text(m)) for m in messages),
            include_usage=include_usage,
        )
        behaviour = self.owner._next_behaviour() or _echo(messages)
        if isinstance(behaviour, Hang):
            if not self.owner._sleep(behaviour.seconds):
                self._drop_connection()
            behaviour = behaviour.then or _echo(messages)
        if isinstance(behaviour, Error):
            body_ = _error_body(behaviour.status) if behaviour.body is None else behaviour.body
            self._send_json(behaviour.status, body_, behaviour.headers)
        elif isinstance(behaviour, Garbage):
            if stream:
                self._start_sse()
                self._send_event(behaviour.body)
                self._end_sse()
            else:
                self._send_bytes(200, behaviour.body.encode(), behaviour.content_type)
        elif isinstance(behaviour, Empty):
            if stream:
                self._stream(reply, [], finish_reason=None)
            else:
                self._send_json(200, reply.completion("", "stop"))
        elif isinstance(behaviour, CutStream):
            self._cut(reply, behaviour, stream)
        elif stream:
            self._stream(reply, split_deltas(behaviour.text), behaviour.finish_reason)
        else:
            self._send_json(200, reply.completion(behaviour.text, behaviour.finish_reason))

    def _stream(self, reply: _Reply, deltas: list[str], finish_reason: str | None) -> None:
        self._start_sse()
        if deltas or finish_reason:
            self._send_event(reply.chunk({"role": "assistant", "content": ""}))
        for delta in deltas:
            self._send_event(reply.chunk({"content": delta}))
        if finish_reason:
            self._send_event(reply.chunk({}, finish_reason))
        if reply.include_usage:
            self._send_event(reply.usage_chunk("".join(deltas)))
        self._send_event("[DONE]")
        self._end_sse()

    def _cut(self, reply: _Reply, cut: CutStream, stream: bool) -> None:
        if not stream:
            body = json.dumps(reply.completion(cut.text, "stop")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self._drop_connection()
        self._start_sse()
        self._send_event(reply.chunk({"role": "assistant", "content": ""}))
        for delta in split_deltas(cut.text)[: cut.after_chunks]:
            self._send_event(reply.chunk({"content": delta}))
        if cut.abrupt:
            self._drop_connection()
        self._end_sse()


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1700000000, "owned_by": "test-server"}


def _echo(messages: list[Mapping[str, Any]]) -> Reply:
    users = [m for m in messages if m.get("role") == "user"]
    return Reply(f"You asked: {_message_text(users[-1]) if users else ''}")


@dataclass
class _Reply:
    """Builds the JSON objects of one chat completion response."""

    model: str
    prompt_tokens: int
    include_usage: bool
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex[:24]}")
    created: int = field(default_factory=lambda: int(time.time()))

    def usage(self, text: str) -> dict[str, int]:
        completion = _count_words(text)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }

    def completion(self, text: str, finish_reason: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": self.usage(text),
        }

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if self.include_usage:
            payload["usage"] = None
        return payload

    def usage_chunk(self, text: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": self.usage(text),
        }
