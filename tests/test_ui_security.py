"""Security of the web UI, against the real app on 127.0.0.1 with real HTTP (httpx) and a real
browser (Debian's headless Chromium): HTTP Basic authentication on every route, upload size,
type and names, API keys kept out of logs, errors and pages, and HTML in articles shown as text.

Two servers: `server` runs `serve()` in this process with --auth (so the test can list the
FastAPI app's routes and look at the data directory), `llm_app` runs `assistant ui` as a
subprocess with an API key and the OpenAI-compatible test server, its logging at DEBUG."""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai_server import Error, OpenAIServer, Reply
from ui_helpers import App, Session, free_port, open_browser

from assistant.api import Assistant
from assistant.cli import main
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder

pytestmark = pytest.mark.slow

USER, PASSWORD = "reader", "s3cret-pass"
SECRET_KEY = "sk-test-SECRET-123"
# What a visitor who has not signed in must never see: an article's title and text, and the
# content of an uploaded file.
SECRET_TITLE = "Quarterly harbour ledger 4471"
SECRET_TEXT = "The harbour ledger shows 9,317 crates of herring landed in March."
SECRET_FILE = b"Private upload: the pilot boat code word is MARLIN-SEVEN."
SECRETS = (SECRET_TITLE, SECRET_TEXT, SECRET_FILE.decode())

# The one route open to anyone: gradio's launch() GETs it, without credentials, to check that
# its server is up. It answers true or false and holds nothing of ours.
OPEN_TO_ALL = {("GET", "/gradio_api/startup-events")}
CHALLENGE = 'Basic realm="Article assistant", charset="UTF-8"'
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


# Gradio's protocol, as the page speaks it


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart body with each file name sent byte for byte (NUL, newline, '..' and all)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, data in files:
        body += (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class GradioHTTP:
    """One page's worth of gradio's HTTP protocol over httpx: upload files, run an event
    through the queue and read its messages, as the browser does; with `auth`, every request
    carries the user and password (HTTP Basic)."""

    def __init__(self, url: str, auth: tuple[str, str] | None = None) -> None:
        self.client = httpx.Client(base_url=url, timeout=120, auth=auth)
        config = self.client.get("/config").raise_for_status().json()
        self.ids = {
            c["props"]["elem_id"]: c["id"]
            for c in config["components"]
            if c["props"].get("elem_id")
        }
        self.dependencies: list[dict[str, Any]] = config["dependencies"]
        self.session_hash = uuid.uuid4().hex[:11]

    def fn_index(self, elem_id: str, event: str) -> int:
        target = [self.ids[elem_id], event]
        return next(int(d["id"]) for d in self.dependencies if target in d["targets"])

    def upload(self, files: list[tuple[str, bytes]]) -> httpx.Response:
        body, content_type = multipart(files)
        return self.client.post(
            "/gradio_api/upload", content=body, headers={"content-type": content_type}
        )

    def run(self, elem_id: str, event: str, data: list[Any]) -> dict[str, Any]:
        """Run the event `elem_id`.`event` with `data`; its 'process_completed' message."""
        joined = self.client.post(
            "/gradio_api/queue/join",
            json={
                "data": data,
                "fn_index": self.fn_index(elem_id, event),
                "session_hash": self.session_hash,
                "event_data": None,
                "trigger_id": self.ids[elem_id],
            },
        )
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        params = {"session_hash": self.session_hash}
        with self.client.stream("GET", "/gradio_api/queue/data", params=params) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message: dict[str, Any] = json.loads(line[5:])
                if message.get("event_id") == event_id and message["msg"] == "process_completed":
                    return message
        raise AssertionError(f"the queue closed before event {event_id} completed")

    def ingest(self, paths: list[str]) -> dict[str, Any]:
        """Press "Add to library" with these uploaded files."""
        files = [
            {"path": p, "orig_name": Path(p).name, "meta": {"_type": "gradio.FileData"}}
            for p in paths
        ]
        return self.run("ingest", "click", [files, "", "default"])

    def upload_and_ingest(self, name: str, data: bytes) -> dict[str, Any]:
        uploaded = self.upload([(name, data)])
        assert uploaded.status_code == 200, uploaded.text
        return self.ingest(uploaded.json())


def report_rows(completed: dict[str, Any]) -> list[list[Any]]:
    """The ingest's report table (status, id, title, chunks, reason) from its output."""
    assert completed["success"], completed
    rows: list[list[Any]] = completed["output"]["data"][1]["data"]
    return rows


# The signed-in server, in this process


@dataclass
class Server:
    url: str
    home: Path
    assistant: Assistant
    app: Any  # gradio's FastAPI app
    signed_in: GradioHTTP
    secret_file: str  # an uploaded file's path on the server

    @property
    def uploads(self) -> Path:
        return self.home / "uploads"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, onnx_embedder: OnnxEmbedder
) -> Iterator[Server]:
    """`serve()` with --auth and a 1 MB upload limit; one secret article ingested and one file
    uploaded by the signed-in user."""
    from assistant.ui import serve

    home = tmp_path_factory.mktemp("secure-home")
    settings = Settings(home=home, max_upload_mb=1, _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings, embedder=onnx_embedder)
    port = free_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRADIO_TEMP_DIR", str(home / "uploads"))  # serve() sets it; put back after
        demo = serve(assistant, port=port, auth=(USER, PASSWORD), block=False)
        try:
            url = f"http://127.0.0.1:{port}"
            signed_in = GradioHTTP(url, auth=(USER, PASSWORD))
            article = json.dumps({"title": SECRET_TITLE, "text": f"{SECRET_TEXT} " * 3})
            rows = report_rows(signed_in.upload_and_ingest("ledger.json", article.encode()))
            assert rows[0][0] == "added", rows
            uploaded = signed_in.upload([("pilot.txt", SECRET_FILE)])
            assert uploaded.status_code == 200, uploaded.text
            yield Server(url, home, assistant, demo.app, signed_in, uploaded.json()[0])
        finally:
            demo.close()


def http_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route of a FastAPI app, included routers and mounts too."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):  # FastAPI's included router
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "routes") and hasattr(route, "path"):  # a Mount
                walk(route.routes, prefix + route.path)
            elif getattr(route, "methods", None):
                found.extend((method, prefix + route.path) for method in sorted(route.methods))

    walk(app.routes, "")
    return sorted(set(found))


@dataclass
class Fetched:
    status: int
    text: str  # the first 256 KB of the body
    challenge: str | None  # the WWW-Authenticate header


def fetch(client: httpx.Client, method: str, url: str, **kw: Any) -> Fetched:
    """Status, challenge and the first 256 KB of the body; a stream that never ends (an event
    stream) is read for a few seconds only."""
    body = b""
    status, challenge = 0, None  # 0: the connection broke before a response came
    try:
        with client.stream(method, url, timeout=httpx.Timeout(10, read=3), **kw) as response:
            status = response.status_code
            challenge = response.headers.get("www-authenticate")
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > 256_000:
                    break
    except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError):
        pass  # an event stream, or a response gradio cut short: what came until then
    return Fetched(status, body.decode("utf-8", "replace"), challenge)


def every_route(server: Server, client: httpx.Client) -> dict[tuple[str, str], Fetched]:
    """What `client` gets from every route of the running app, with made-up but well-formed
    parameters (the uploaded secret file's path, the signed-in session's hash) and bodies
    (an upload, an event of the page)."""
    signed_in = server.signed_in
    values = {
        "path_or_url": server.secret_file,
        "path": server.secret_file.lstrip("/"),
        "session_hash": signed_in.session_hash,
        "api_name": "respond",
        "event_id": uuid.uuid4().hex,
        "url_path": f"{server.url}/config",
        "size": "32",
    }
    body = {
        "data": [],
        "fn_index": signed_in.fn_index("ingest", "click"),
        "session_hash": signed_in.session_hash,
        "event_id": uuid.uuid4().hex,
        "trigger_id": None,
    }
    seen: dict[tuple[str, str], Fetched] = {}
    for method, route in http_routes(server.app):
        path = PARAM.sub(lambda m: values.get(m.group(1), "x"), route)
        kw: dict[str, Any] = {}
        if method == "POST" and path == "/gradio_api/upload":
            content, content_type = multipart([("visitor.txt", b"written by a visitor")])
            kw = {"content": content, "headers": {"content-type": content_type}}
        elif method == "POST" and path.startswith("/login"):
            kw = {"data": {"username": USER, "password": "wrong"}}
        elif method == "POST":
            kw = {"json": body}
        seen[(method, route)] = fetch(client, method, path, **kw)
    return seen


def assert_refused_everywhere(server: Server, client: httpx.Client) -> None:
    """Every route but the launch check answers `client` 401 with the Basic challenge, shows
    none of the secrets, hands out no cookie and stores no upload."""
    uploads_before = sorted(server.uploads.rglob("*"))
    seen = every_route(server, client)
    open_routes = []
    for (method, route), got in seen.items():
        for secret in SECRETS:
            assert secret not in got.text, (method, route, got.status)
        if (method, route) in OPEN_TO_ALL:
            assert got.status == 200 and got.text in ("true", "false"), got
        elif got.status != 401 or got.challenge != CHALLENGE:
            open_routes.append((method, route, got.status, got.text[:80]))
    assert open_routes == [], "\n".join(map(str, open_routes))
    assert not client.cookies  # no session was handed out on the way
    assert sorted(server.uploads.rglob("*")) == uploads_before
    # The page itself is the refusal: nothing of the app, its components or its events.
    page = fetch(client, "GET", "/")
    assert page.status == 401 and page.challenge == CHALLENGE
    assert "ingest-report" not in page.text and "components" not in page.text
    assert len(seen) > 60, seen


# 1. Nothing without signing in


def test_routes_are_listed_from_the_running_app(server: Server) -> None:
    routes = {path for _, path in http_routes(server.app)}
    # The list is gradio's real one: its data routes are all there.
    assert {"/config", "/gradio_api/info", "/gradio_api/queue/join", "/gradio_api/upload"} <= routes
    assert {"/gradio_api/file={path_or_url:path}", "/gradio_api/heartbeat/{session_hash}"} <= routes


def test_every_route_refuses_a_visitor_who_has_not_signed_in(server: Server) -> None:
    assert_refused_everywhere(server, httpx.Client(base_url=server.url))


@pytest.mark.parametrize(
    "auth",
    [
        pytest.param((USER, "guess"), id="wrong-password"),
        pytest.param(("admin", PASSWORD), id="wrong-user"),
        pytest.param((USER, PASSWORD[:-1]), id="password-prefix"),
        pytest.param((USER, PASSWORD + "x"), id="password-longer"),
    ],
)
def test_every_route_refuses_wrong_credentials(server: Server, auth: tuple[str, str]) -> None:
    assert_refused_everywhere(server, httpx.Client(base_url=server.url, auth=auth))


def test_with_the_credentials_no_route_asks_for_them(server: Server) -> None:
    """The middleware lets the signed-in user through everywhere: whatever gradio answers (a
    404 for a made-up event, 200 for the page), it is never the sign-in refusal."""
    asked = [
        (method, route, got.status)
        for (method, route), got in every_route(server, server.signed_in.client).items()
        if got.status == 401 or got.challenge is not None
    ]
    assert asked == []
    page = server.signed_in.client.get("/")
    assert page.status_code == 200 and "ingest-report" in page.text


def test_an_uploaded_file_is_served_only_after_signing_in(server: Server) -> None:
    url = f"/gradio_api/file={server.secret_file}"
    mine = server.signed_in.client.get(url)
    assert mine.status_code == 200 and mine.content == SECRET_FILE
    # A second client that never signed in, and ones whose Authorization header is forged:
    # wrong values, another scheme, or not base64.
    stranger = httpx.Client(base_url=server.url).get(url)
    assert stranger.status_code == 401 and SECRET_FILE not in stranger.content
    right = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for header in [
        "Basic " + base64.b64encode(b"forged:forged").decode(),
        f"Bearer {right}",
        f"Basic {right}!",
        "Basic " + base64.b64encode(USER.encode()).decode(),
        "Basic",
        f"Digest {right}",
    ]:
        forged = httpx.Client(base_url=server.url, headers={"authorization": header})
        assert forged.get(url).status_code == 401, header
        assert forged.head(url).status_code == 401, header
    # The right value twice is refused too: one request, one Authorization header.
    twice = [("authorization", f"Basic {right}")] * 2
    assert httpx.get(server.url + url, headers=twice).status_code == 401
    assert httpx.get(server.url + url, headers={"authorization": f"basic {right}"}).content == (
        SECRET_FILE
    )  # the scheme's name is case-insensitive


def test_a_wrong_password_gets_no_session(server: Server) -> None:
    client = httpx.Client(base_url=server.url, auth=(USER, "guess"))
    for path in ["/", "/config", "/gradio_api/info", "/gradio_api/queue/status"]:
        refused = client.get(path)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == CHALLENGE
    assert not client.cookies
    # Having failed once, the right password is not held against the client.
    assert httpx.get(server.url + "/config", auth=(USER, PASSWORD)).status_code == 200


# 2. Upload size and type


def test_an_upload_over_the_limit_is_refused(server: Server) -> None:
    before = sorted(server.uploads.rglob("*"))
    big = b"A line of text about nothing in particular.\n" * 30_000  # 1.3 MB, the limit is 1 MB
    refused = server.signed_in.upload([("big.txt", big)])
    assert refused.status_code == 413 and "maximum allowed size" in refused.text
    # Streamed in chunks with no Content-Length: counted as it arrives, refused all the same.
    body, content_type = multipart([("streamed.txt", big)])
    chunks = (body[i : i + 65_536] for i in range(0, len(body), 65_536))
    streamed = server.signed_in.client.post(
        "/gradio_api/upload", content=chunks, headers={"content-type": content_type}
    )
    assert streamed.status_code == 413
    assert sorted(server.uploads.rglob("*")) == before  # nothing of either is kept


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("setup.exe", id="exe"),
        pytest.param("install.sh", id="sh"),
        pytest.param("notes.txt.sh", id="double-extension"),
    ],
)
def test_a_program_or_script_is_not_ingested(server: Server, name: str) -> None:
    count = len(server.assistant.articles())
    text = b"#!/bin/sh\necho The harbour of Tallinn froze over in January, a paper said.\n"
    uploaded = server.signed_in.upload([(name, text)])
    assert uploaded.status_code == 200  # stored like any upload, under uploads/ ...
    (path,) = uploaded.json()
    # ... but the ingest event refuses it before our callback runs,
    completed = server.signed_in.ingest([path])
    assert not completed["success"]
    assert "Invalid file type" in completed["output"]["error"]
    assert len(server.assistant.articles()) == count
    # ... and the callback itself, called with the path, refuses it with a reason for the file,
    # while a good file of the same batch is added.
    from assistant.ui import WebUI

    good = server.uploads / "good" / "ferries.txt"
    good.parent.mkdir(exist_ok=True)
    good.write_text("Ferries in Tallinn were delayed for three days by the ice, a paper said.")
    summary, rows, _, _ = WebUI(server.assistant).ingest([path, str(good)], None, None)
    by_status = {row[0]: row for row in rows}
    assert set(by_status) == {"failed", "added"}, rows
    assert by_status["failed"][4].startswith(f"unsupported extension '{Path(name).suffix}'")
    assert summary.startswith("⚠ 1 added, 1 failed")
    server.assistant.delete(by_status["added"][1])
    assert len(server.assistant.articles()) == count


# 3. Upload names stay inside the upload directory


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("../../evil.txt", id="dot-dot"),
        pytest.param("..\\..\\evil.txt", id="backslashes"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("/etc/cron.d/evil.txt", id="absolute-dir"),
        pytest.param("....//....//evil.txt", id="doubled-dots"),
        pytest.param("%2e%2e%2fevil.txt", id="url-encoded"),
        pytest.param("evil\x00.sh.txt", id="nul"),
        pytest.param("evil\n../x.txt", id="newline"),
        pytest.param("..", id="dot-dot-alone"),
        pytest.param("e" * 2000 + ".txt", id="very-long"),
    ],
)
def test_an_upload_name_cannot_leave_the_upload_directory(server: Server, name: str) -> None:
    passwd = Path("/etc/passwd").read_bytes()
    token = uuid.uuid4().hex
    text = f"Evil upload {token}: the harbour of Tallinn froze over, a paper said.".encode()
    uploaded = server.signed_in.upload([(name, text)])
    if uploaded.status_code != 200:  # refused outright is fine, as long as nothing is written
        assert uploaded.status_code == 400, uploaded.text
        paths: list[str] = []
    else:
        paths = uploaded.json()
    for path in paths:
        stored = Path(path).resolve()
        assert stored.is_relative_to(server.uploads.resolve()), path
        assert stored.read_bytes() == text and len(stored.name.encode()) <= 255
        assert "\x00" not in path and "\n" not in path
        completed = server.signed_in.ingest([path])
        if stored.suffix != ".txt":  # e.g. "passwd": refused by type
            assert not completed["success"]
            continue
        (row,) = report_rows(completed)
        assert row[0] == "added", row
        article = server.assistant.article(row[1])
        assert Path(article.origin).resolve().is_relative_to(server.uploads.resolve())
        server.assistant.delete(row[1])
    # Nothing named like the upload anywhere but under uploads/: not in the data directory,
    # beside it, in the working directory or in /tmp; and /etc is as it was.
    outside = [
        p
        for p in [*server.home.rglob("*"), *server.home.parent.iterdir()]
        + [*Path.cwd().iterdir(), *Path("/tmp").iterdir()]
        if "evil" in p.name and not p.resolve().is_relative_to(server.uploads.resolve())
    ]
    assert outside == []
    assert not Path("/etc/cron.d/evil.txt").exists() and not Path("/evil.txt").exists()
    assert Path("/etc/passwd").read_bytes() == passwd


def test_a_server_file_cannot_be_ingested_by_naming_its_path(server: Server) -> None:
    """The page sends uploaded files as paths; a path that was not uploaded is refused."""
    count = len(server.assistant.articles())
    inside = server.home / "catalog-copy.txt"
    inside.write_text("A file on the server that nobody uploaded, about the harbour.")
    for path in [
        "/etc/hostname",
        str(inside),
        f"{server.secret_file}/../../../catalog-copy.txt",
        str(server.uploads / ".." / "catalog-copy.txt"),
    ]:
        completed = server.signed_in.ingest([path])
        assert not completed["success"], path
    assert len(server.assistant.articles()) == count


# 4. The API key stays out of logs, errors and pages


ECHOING_500 = Error(500, body={"error": {"message": f"upstream refused the key {SECRET_KEY}"}})
BRIDGE = {
    "title": '<img src=x onerror="window.__pwned=1">',
    "date": "2026-02-02",
    "text": "The Narva bridge was closed for repairs on Monday, the city said. "
    "<script>window.__pwned=2</script> Engineers found cracks in two of its pillars [9]. "
    "Traffic will use the old ferry until May, when the bridge opens again.",
}
HARBOUR = (
    "Harbour of Tallinn\n\nThe harbour of Tallinn froze over in January, a local paper reported. "
    "Ferries were delayed for three days while icebreakers cleared the channel."
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with open_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def llm() -> Iterator[OpenAIServer]:
    """The LLM endpoint; it answers only requests that carry the key."""
    with OpenAIServer(api_key=SECRET_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory: pytest.TempPathFactory, llm: OpenAIServer) -> Iterator[App]:
    """`assistant ui` with OPENAI_API_KEY set, every Python logger at DEBUG (openai's and
    httpx's included) into its captured output, and two articles added through the page."""
    home = tmp_path_factory.mktemp("key-home")
    debug = tmp_path_factory.mktemp("debug-logging")
    (debug / "sitecustomize.py").write_text(
        "import logging\nlogging.basicConfig(level=logging.DEBUG)\n"
    )
    env = {
        "OPENAI_API_KEY": SECRET_KEY,
        "OPENAI_BASE_URL": llm.base_url,
        "OPENAI_LOG": "debug",
        "ASSISTANT_LLM_RETRIES": "0",
        "PYTHONPATH": str(debug),
    }
    running = App(home, "--no-samples", env=env).wait()
    try:
        page = GradioHTTP(running.url)
        for name, data in [
            ("bridge.json", json.dumps(BRIDGE).encode()),
            ("harbour.txt", HARBOUR.encode()),
        ]:
            rows = report_rows(page.upload_and_ingest(name, data))
            assert rows[0][0] == "added", rows
        yield running
    finally:
        running.stop()


def new_chat(session: Session) -> None:
    session.page.locator("#new-chat").click()
    session.page.wait_for_function(
        "() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0"
    )


# Keeps a copy of every body the page fetches in window.__bodies, read as it arrives (gradio
# aborts its queue streams once an event completes: what came until then is kept);
# window.__reading counts the bodies still arriving.
RECORD_FETCHES = """
window.__bodies = [];
window.__reading = 0;
const fetchOriginal = window.fetch;
window.fetch = async (...args) => {
    const response = await fetchOriginal(...args);
    if (response.body && !response.url.includes('/heartbeat/')) {
        window.__reading += 1;
        const reader = response.clone().body.getReader();
        const decoder = new TextDecoder();
        let text = '';
        (async () => {
            try {
                for (;;) {
                    const { value, done } = await reader.read();
                    if (done) break;
                    text += decoder.decode(value, { stream: true });
                }
            } catch (error) {
                // aborted by gradio: keep what arrived
            } finally {
                window.__bodies.push(response.url + '\\n' + text);
                window.__reading -= 1;
            }
        })();
    }
    return response;
};
"""


def test_the_api_key_is_in_no_log_error_or_page(
    browser: object, llm_app: App, llm: OpenAIServer
) -> None:
    session = Session(browser, llm_app)
    page = session.page
    session.context.add_init_script(RECORD_FETCHES)  # type: ignore[attr-defined]
    page.reload()
    page.wait_for_selector("#question textarea")
    pages = [page.content()]
    try:
        llm.script(Error(401))
        rejected = session.ask("How long were the ferries in Tallinn delayed?")
        assert "rejected the API key (401)" in rejected and "three days" in rejected
        pages.append(page.content())
        new_chat(session)
        llm.script(Error(500), ECHOING_500)
        failed = session.ask("How long were the ferries in Tallinn delayed?")
        assert "HTTP 500" in failed
        new_chat(session)
        failed = session.ask("Why was the Narva bridge closed?")
        assert "upstream refused the key [API key hidden]" in failed  # its words, masked
        pages.append(page.content())
        new_chat(session)
        llm.script(Reply("Ferries were delayed for three days [1]."))
        answered = session.ask("How long were the ferries in Tallinn delayed?")
        assert answered.startswith("Ferries were delayed for three days [1].")  # key accepted
        pages.append(page.content())
        session.tab("Settings")
        pages.append(page.locator("#status").inner_text())
        page.wait_for_function("() => window.__reading === 0")
        bodies: list[str] = page.evaluate("window.__bodies")
    finally:
        session.close()
    # The chat's own messages were among them, the masked failure too.
    assert any("rejected the API key (401)" in b for b in bodies)
    assert any("upstream refused the key [API key hidden]" in b for b in bodies)
    html = httpx.get(llm_app.url).text + httpx.get(llm_app.url + "config").text
    log = "".join(llm_app.lines)
    assert "openai._base_client:Building HTTP request" in log  # openai's debug log was on
    for where, text in [("pages", "\n".join(pages)), ("responses", "\n".join(bodies))]:
        assert SECRET_KEY not in text, where
    assert SECRET_KEY not in html
    assert SECRET_KEY not in log, [line for line in llm_app.lines if SECRET_KEY in line][:3]


def test_a_failure_that_repeats_the_key_is_shown_without_it(
    tmp_path: Path, onnx_embedder: OnnxEmbedder, openai_server: OpenAIServer
) -> None:
    """The chat's error bubble (no fallback) and the fallback note, from the UI's callback."""
    from assistant.ui import WebUI

    settings = Settings(  # type: ignore[call-arg]
        home=tmp_path / "home",
        openai_api_key=SECRET_KEY,
        openai_base_url=openai_server.base_url,
        llm_retries=0,
        _env_file=None,
    )
    assistant = Assistant(settings, embedder=onnx_embedder)
    assistant.ingest_text(HARBOUR, source="harbour.txt")
    question = "How long were the ferries in Tallinn delayed?"
    openai_server.script(ECHOING_500)
    *_, (chat, _, answers, panel, _) = WebUI(assistant).respond(question, [], [], [])
    assert "upstream refused the key [API key hidden]" in answers[-1].fallback
    assert SECRET_KEY not in chat[-1]["content"] + panel
    strict = Assistant(settings.model_copy(update={"llm_fallback": False}), embedder=onnx_embedder)
    openai_server.script(ECHOING_500)
    *_, (chat, _, _, _, _) = WebUI(strict).respond(question, [], [], [])
    bubble = chat[-1]["content"]
    assert bubble.startswith("✗ **Could not answer:**") and "API key hidden" in bubble
    assert SECRET_KEY not in bubble


def test_the_cli_prints_no_api_key(
    onnx_embedder: OnnxEmbedder,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]  # ASSISTANT_HOME of the test
    Assistant(settings, embedder=onnx_embedder).ingest_text(HARBOUR, source="harbour.txt")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("ASSISTANT_LLM_RETRIES", "0")
    caplog.set_level(logging.DEBUG)
    question = "How long were the ferries in Tallinn delayed?"
    openai_server.script(Error(401), Error(500))
    assert main(["ask", question]) == 0  # the extractive answer, with the failure said
    assert main(["ask", "--json", question]) == 0
    monkeypatch.setenv("ASSISTANT_LLM_FALLBACK", "false")
    openai_server.script(Error(401))
    assert main(["ask", question]) == 1
    out, err = capsys.readouterr()
    shown = " ".join(out.split())  # the note is wrapped to the terminal's width
    assert "rejected the API key (401)" in shown and "HTTP 500" in shown
    assert err.startswith("error: ") and "rejected the API key (401)" in err
    assert "Building HTTP request" in caplog.text  # openai's debug log was captured
    assert SECRET_KEY not in out + err + caplog.text


def test_the_cli_hides_a_key_the_endpoint_repeats(
    onnx_embedder: OnnxEmbedder,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    Assistant(settings, embedder=onnx_embedder).ingest_text(HARBOUR, source="harbour.txt")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("ASSISTANT_LLM_RETRIES", "0")
    monkeypatch.setenv("ASSISTANT_LLM_FALLBACK", "false")
    openai_server.script(ECHOING_500)
    assert main(["ask", "How long were the ferries in Tallinn delayed?"]) == 1
    err = capsys.readouterr().err
    assert "upstream refused the key" in err and SECRET_KEY not in err


def test_settings_do_not_show_the_key() -> None:
    settings = Settings(openai_api_key=SECRET_KEY, _env_file=None)  # type: ignore[call-arg]
    assert settings.openai_api_key == SECRET_KEY
    assert SECRET_KEY not in repr(settings) and SECRET_KEY not in str(settings)


def test_settings_json_does_not_hold_the_key() -> None:
    settings = Settings(openai_api_key=SECRET_KEY, _env_file=None)  # type: ignore[call-arg]
    assert SECRET_KEY not in settings.model_dump_json()


# 5. HTML in articles is shown as text


def test_html_in_an_article_is_inert_in_the_browser(browser: object, llm_app: App) -> None:
    session = Session(browser, llm_app)
    page = session.page
    try:
        session.tab("Settings")
        page.locator("#engine").get_by_text("extractive", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.includes('Extractive engine')"
        )
        session.tab("Chat")
        answer = session.ask("Why was the Narva bridge closed?")
        assert "closed for repairs" in answer
        assert "<script>window.__pwned=2</script>" in answer  # the text, shown as text
        sources = page.locator("#sources")
        assert BRIDGE["title"] in sources.locator("details.aa-source").first.inner_text()
        session.tab("Library")
        page.wait_for_function(
            "(title) => document.querySelector('#articles').innerText.includes(title)",
            arg=BRIDGE["title"],
        )
        session.screenshot("security-html-in-article")
        assert page.evaluate("window.__pwned") is None
        injected = "document.querySelectorAll('img[src=\"x\"], #chat script').length"
        assert page.evaluate(injected) == 0
    finally:
        session.close()


def test_every_citation_in_the_browser_names_a_real_source(
    browser: object, llm_app: App, llm: OpenAIServer
) -> None:
    session = Session(browser, llm_app)
    page = session.page
    try:
        llm.script(Reply('<img src=x onerror="window.__pwned=3">The bridge was closed [1].'))
        answer = session.ask("Why was the Narva bridge closed?")
        assert '<img src=x onerror="window.__pwned=3">The bridge was closed [1].' in answer
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
        shown = page.locator("#sources details.aa-source").evaluate_all(
            "els => els.map(e => Number(e.dataset.number))"
        )
        assert numbers == set(shown) == {1}
        assert page.evaluate("window.__pwned") is None
    finally:
        session.close()


def test_a_bracketed_number_in_an_article_is_not_a_citation(browser: object, llm_app: App) -> None:
    session = Session(browser, llm_app)
    page = session.page
    try:
        session.tab("Settings")
        page.locator("#engine").get_by_text("extractive", exact=True).click()
        session.tab("Chat")
        answer = session.ask("What did engineers find on the Narva bridge?")
        assert "cracks in two of its pillars" in answer
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
        shown = page.locator("#sources details.aa-source").evaluate_all(
            "els => els.map(e => Number(e.dataset.number))"
        )
        assert numbers == set(shown)
    finally:
        session.close()


def test_verbose_logs_show_retrieval_prompt_and_timings_but_not_the_key(
    onnx_embedder: OnnxEmbedder,
    openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    Assistant(settings, embedder=onnx_embedder).ingest_text(HARBOUR, source="harbour.txt")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    monkeypatch.setenv("ASSISTANT_LLM_RETRIES", "0")
    openai_server.script(ECHOING_500)  # the endpoint repeats the key; the log must not
    code = main(["ask", "How long were the ferries in Tallinn delayed?", "--verbose"])
    err = capsys.readouterr().err
    assert code == 0
    assert "retrieved for 'How long were the ferries in Tallinn delayed?'" in err
    assert "chat request to the LLM endpoint" in err and "Tallinn" in err  # the prompt sent
    assert "openai failed, answering with extractive" in err
    assert "answer by extractive in {'retrieve':" in err  # the timings
    assert SECRET_KEY not in err and "[API key hidden]" in err
