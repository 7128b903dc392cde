"""Tests for assistant.ingest: real files, hand-made PDFs, a real HTTP server on 127.0.0.1.

conftest.py blocks every connection except to loopback, so a parser going online would fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pytest

from assistant.errors import IngestError
from assistant.ingest.loaders import (
    FEED_FILES,
    SUPPORTED_EXTENSIONS,
    LoadResult,
    count_inputs,
    decode_text,
    iter_load,
    load_text,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
STORM = "A powerful storm hit the coast on Tuesday."


def load_one(path: str | Path, **options: object) -> LoadResult:
    results = list(iter_load([path], **options))  # type: ignore[arg-type]
    assert len(results) == 1
    return results[0]


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# --- PDFs, written by hand ---------------------------------------------------------------


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A minimal valid PDF with a Helvetica text layer: one list of lines per page."""
    n = len(pages)
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(n))
    info = f"<< /Title ({title}) >>" if title else "<< >>"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        info,
    ]
    for i, lines in enumerate(pages):
        shown = " ".join(f"({line}) '" for line in lines)
        content = f"BT /F1 11 Tf 72 740 Td 14 TL {shown} ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {6 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


def blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf([[STORM]]))))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- text files and decoding ---------------------------------------------------------------


def test_txt_is_read_as_is(tmp_path: Path) -> None:
    raw = b"Storm hits coast\n\nA powerful storm hit the coast on Tuesday.\n"
    path = write(tmp_path / "storm.txt", raw)
    result = load_one(path)
    assert result.origin == str(path.resolve())
    assert result.raw_hash == hashlib.sha256(raw).hexdigest()
    assert result.error is None and result.item_errors == []
    [document] = result.documents
    assert document.text == raw.decode()
    assert document.format == "txt"
    assert document.source == result.name == f"{tmp_path.name}/storm.txt"
    assert document.raw_hash == result.raw_hash
    assert document.title is None


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        pytest.param(b"a \xa315.8m signing", "a £15.8m signing", id="latin-1-pound"),
        pytest.param(b"he said \x93no\x94 \x96 twice", "he said “no” – twice", id="cp1252-quotes"),
        pytest.param("café £5".encode(), "café £5", id="utf-8"),
        pytest.param(b"\xef\xbb\xbfcaf\xc3\xa9", "café", id="utf-8-bom"),
        pytest.param("café £5".encode("utf-16"), "café £5", id="utf-16-bom"),
        pytest.param(b"\xfe\xff" + "café".encode("utf-16-be"), "café", id="utf-16-be-bom"),
        pytest.param(
            "Привет, мир! Это новости.".encode("cp1251"), "Привет, мир! Это новости.", id="cp1251"
        ),
    ],
)
def test_decoding(tmp_path: Path, raw: bytes, text: str) -> None:
    result = load_one(write(tmp_path / "a.txt", raw))
    assert result.error is None
    assert result.documents[0].text == text


def test_bbc_style_latin1_file(tmp_path: Path) -> None:
    raw = b"Chelsea sack Mutu\n\nMutu, a \xa315.8m signing from Parma, may face a ban.\n"
    document = load_one(write(tmp_path / "sport" / "199.txt", raw)).documents[0]
    assert "a £15.8m signing" in document.text


def test_decode_text_declared_charset() -> None:
    assert decode_text("Ελλάδα".encode("iso-8859-7"), "iso-8859-7") == "Ελλάδα"
    assert decode_text("café".encode(), "iso-8859-1") == "café"  # valid UTF-8 wins


@pytest.mark.parametrize(
    ("name", "raw", "error"),
    [
        pytest.param("a.txt", b"", "empty file", id="empty"),
        pytest.param("a.txt", b"  \n\t\r\n ", "empty file", id="whitespace"),
        pytest.param("a.md", b"\n\n", "empty file", id="empty-md"),
        pytest.param("a.pdf", b"", "empty file", id="empty-pdf"),
        pytest.param(
            "a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (not text)", id="png"
        ),
        pytest.param("a.html", b"text\x00with nul", "binary file (not text)", id="nul"),
        pytest.param("a.txt", bytes(range(1, 9)) * 50, "binary file (not text)", id="controls"),
        pytest.param("a.json", b"{not json", "invalid JSON: line 1 column 2:", id="bad-json"),
        pytest.param("a.json", b"42", "JSON must be an object", id="json-number"),
        pytest.param("a.json", b"[]", "no articles in JSON (empty list)", id="json-empty-list"),
        pytest.param("a.json", b'{"title": "x"}', "no 'text', 'content' or 'body'", id="no-text"),
        pytest.param("a.json", b'{"articles": {}}', '"articles" must be a list', id="articles"),
        pytest.param("a.md", b"# Only a title\n", "no article text in Markdown after", id="md"),
        pytest.param("a.pdf", b"%PDF-1.4\nnot really", "not a readable PDF", id="corrupt-pdf"),
    ],
)
def test_file_errors(tmp_path: Path, name: str, raw: bytes, error: str) -> None:
    result = load_one(write(tmp_path / name, raw))
    assert result.error is not None and result.error.startswith(error)
    assert "\n" not in result.error
    assert result.documents == []


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    result = load_one(write(tmp_path / "big.txt", "x" * 2000), max_file_bytes=1000)
    assert result.error == (
        "file is 2,000 bytes, over the 1,000-byte limit (raise ASSISTANT_MAX_FILE_BYTES to load it)"
    )
    assert result.raw_hash == ""


def test_missing_path(tmp_path: Path) -> None:
    result = load_one(tmp_path / "nope.txt")
    assert result.error == "no such file or folder"
    assert result.origin == str(tmp_path / "nope.txt")


def test_unsupported_file_named_explicitly(tmp_path: Path) -> None:
    result = load_one(write(tmp_path / "notes.docx", b"PK\x03\x04"))
    supported = ", ".join(sorted([*SUPPORTED_EXTENSIONS, *FEED_FILES]))  # feeds when named
    assert result.error == f"unsupported extension '.docx' (supported: {supported})"
    error = load_one(write(tmp_path / "README", "hi")).error
    assert error is not None and error.startswith("no file extension")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", "text")
    path.chmod(0)
    assert load_one(path).error == "permission denied"


# --- Markdown, HTML, JSON, PDF -------------------------------------------------------------


def test_markdown_front_matter_and_syntax() -> None:
    document = load_one(FIXTURES / "article.md").documents[0]
    assert document.title == "Storm hits coast"
    assert document.date == date(2024, 3, 5)
    assert document.url == "https://news.example.com/world/storm-hits-coast"
    assert document.author == "Jane Doe"
    assert document.format == "md"
    assert document.text.split("\n\n") == [
        "A powerful storm hit the coast on Tuesday, cutting power to thousands of homes, "
        "officials said.",
        "Evacuations",
        "Officials ordered evacuations in three towns.",
        "Shelters opened in local schools.",
        "Volunteers handed out blankets.",
        "wind_speed = 120  # km/h",
        "Forecasters expect the storm to weaken by Thursday.",
    ]


def test_markdown_heading_title() -> None:
    document = load_one(FIXTURES / "titled.md").documents[0]
    assert document.title == "Markets rally as inflation cools"
    assert document.text.startswith("Stocks rose on Wednesday")


def test_html_main_text_and_metadata() -> None:
    document = load_one(FIXTURES / "article.html").documents[0]
    assert document.format == "html"
    assert document.title == "Storm hits coast"
    assert document.date == date(2024, 3, 5)
    assert document.author == "Jane Doe"
    assert document.url == "https://news.example.com/world/storm-hits-coast"
    paragraphs = document.text.split("\n\n")
    assert paragraphs[0].startswith("A powerful storm hit the coast on Tuesday")
    assert "Evacuations" in paragraphs
    assert paragraphs[-1].startswith("Forecasters expect the storm")
    assert len(paragraphs) == 5
    assert "Home" not in document.text and "Copyright" not in document.text


def test_html_without_a_date_has_none(tmp_path: Path) -> None:
    html = "<html><body><article><p>" + STORM * 3 + "</p></article></body></html>"
    document = load_one(write(tmp_path / "x.html", html)).documents[0]
    assert document.date is None and document.title is None
    assert document.text == STORM * 3


def test_html_without_article_text() -> None:
    assert load_one(FIXTURES / "no-article.html").error == "no article text found in HTML"


def test_html_meta_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="windows-1251"><title>Новости</title></head><body><article>'
        "<p>Сегодня в городе прошёл сильный дождь, и многие улицы были затоплены водой.</p>"
        "</article></body></html>"
    )
    document = load_one(write(tmp_path / "ru.html", html.encode("cp1251"))).documents[0]
    assert "сильный дождь" in document.text


def test_json_articles() -> None:
    result = load_one(FIXTURES / "articles.json")
    assert result.name == "ingest/articles.json"  # named from its folder, not the machine
    assert [d.source for d in result.documents] == [
        "ingest/articles.json#https://news.example.com/storm",
        "ingest/articles.json#42",
        "ingest/articles.json#4",
    ]
    storm, markets, rain = result.documents
    assert storm.text == STORM
    assert storm.date == date(2024, 3, 5)
    assert storm.author == "Jane Doe, John Roe"
    assert storm.url == "https://news.example.com/storm"
    assert markets.date is None  # "yesterday" is ignored, not an error
    assert rain.date == date(2024, 3, 5)  # RFC 2822
    assert all(d.format == "json" and d.raw_hash == result.raw_hash for d in result.documents)
    assert result.item_errors == ["item 3: no 'text', 'content' or 'body' field"]
    assert result.error is None


def test_json_single_object() -> None:
    result = load_one(FIXTURES / "single.json")
    [document] = result.documents
    assert document.source == result.name == "ingest/single.json"
    assert document.url == "https://news.example.com/storm"
    assert document.date == date(2024, 3, 5)


def test_json_plain_list_and_duplicate_keys(tmp_path: Path) -> None:
    items = [{"id": "x", "text": "One."}, {"id": "x", "text": "Two."}, {"text": "Three."}]
    result = load_one(write(tmp_path / "list.json", json.dumps(items)))
    keys = [d.source.split("#", 1)[1] for d in result.documents]
    assert keys == ["x", "x~2", "3"]


def test_jsonl_bad_lines_reported_good_lines_loaded() -> None:
    result = load_one(FIXTURES / "articles.jsonl")
    assert result.error is None
    assert [d.source.split("#", 1)[1] for d in result.documents] == [
        "a1",
        "https://news.example.com/rain",
    ]
    assert result.documents[1].date == date(2024, 3, 7)
    assert result.item_errors == [
        "line 3: invalid JSON (Expecting ',' delimiter at column 75)",
        "line 4: not a JSON object",
        "line 5: the text is empty",
    ]


def test_jsonl_with_no_good_line(tmp_path: Path) -> None:
    result = load_one(write(tmp_path / "bad.jsonl", "{oops\n[1]\n"))
    assert result.error is not None and result.error.startswith("no article could be read")
    assert len(result.item_errors) == 2


def test_pdf_text_and_title(tmp_path: Path) -> None:
    raw = make_pdf(
        [["Storm hits coast", STORM], ["Forecasters expect it to weaken by Thursday."]],
        title="Storm report",
    )
    result = load_one(write(tmp_path / "storm.pdf", raw))
    [document] = result.documents
    assert document.format == "pdf"
    assert document.title == "Storm report"
    assert STORM in document.text
    pages = document.text.split("\n\n")
    assert len(pages) == 2 and pages[1] == "Forecasters expect it to weaken by Thursday."
    assert result.raw_hash == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        pytest.param(blank_pdf(), "PDF has no text layer (scanned?); run OCR first", id="no-text"),
        pytest.param(
            encrypted_pdf("secret"), "PDF is encrypted: remove the password first", id="password"
        ),
    ],
)
def test_pdf_errors(tmp_path: Path, raw: bytes, error: str) -> None:
    assert load_one(write(tmp_path / "x.pdf", raw)).error == error


def test_pdf_with_only_an_owner_password_opens(tmp_path: Path) -> None:
    document = load_one(write(tmp_path / "x.pdf", encrypted_pdf(""))).documents[0]
    assert STORM in document.text


# --- folders -------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    write(root / "b.txt", "Second article text.")
    write(root / "a.md", "First article text.")
    write(root / "sport" / "199.txt", "Sport article text.")
    write(root / "sport" / "notes.docx", b"PK\x03\x04")  # unsupported: skipped in folders
    write(root / "sport" / "deep" / "x.json", '{"text": "Deep article text."}')
    write(root / ".hidden.txt", "Hidden file.")
    write(root / ".git" / "c.txt", "Hidden folder.")
    return root


def names(results: list[LoadResult], root: Path) -> list[str]:
    return [Path(r.origin).relative_to(root.resolve()).as_posix() for r in results]


def test_folder_is_walked_sorted_recursive_without_hidden(library: Path) -> None:
    results = list(iter_load([library]))
    assert names(results, library) == ["a.md", "b.txt", "sport/199.txt", "sport/deep/x.json"]
    assert all(r.error is None for r in results)
    assert count_inputs([library]) == 4


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        pytest.param(["*.txt"], [], ["b.txt", "sport/199.txt"], id="include-name"),
        pytest.param(["sport/*"], [], ["sport/199.txt", "sport/deep/x.json"], id="include-path"),
        pytest.param([], ["sport"], ["a.md", "b.txt"], id="exclude-folder"),
        pytest.param([], ["*.txt", "*.json"], ["a.md"], id="exclude-names"),
        pytest.param(["sport/*"], ["deep"], ["sport/199.txt"], id="both"),
        pytest.param(["*.docx"], [], [], id="unsupported-never-picked"),
    ],
)
def test_include_exclude(
    library: Path, include: list[str], exclude: list[str], expected: list[str]
) -> None:
    results = list(iter_load([library], include=include, exclude=exclude))
    assert names(results, library) == expected
    assert count_inputs([library], include, exclude) == len(expected)


def test_one_bad_file_does_not_stop_the_others(library: Path) -> None:
    write(library / "broken.json", "{not json")
    write(library / "empty.txt", "")
    results = list(iter_load([library]))
    failed = {Path(r.origin).name: r.error for r in results if r.error}
    assert set(failed) == {"broken.json", "empty.txt"}
    assert sum(len(r.documents) for r in results) == 4


def test_symlink_loop_does_not_hang(library: Path) -> None:
    os.symlink(library, library / "sport" / "loop")
    os.symlink(library / "sport", library / "sport-again")
    os.symlink(library / "missing.txt", library / "dangling.txt")
    results = list(iter_load([library, library / "b.txt"]))
    loaded = [r for r in results if r.error is None]
    assert names(loaded, library) == ["a.md", "b.txt", "sport/199.txt", "sport/deep/x.json"]
    [dangling] = [r for r in results if r.error]
    assert dangling.error == "broken symbolic link"
    assert count_inputs([library, library / "b.txt"]) == len(results)


def test_mixed_inputs_in_order(library: Path, tmp_path: Path) -> None:
    inputs: list[str | Path] = [library / "b.txt", tmp_path / "missing.md", str(library / "a.md")]
    results = list(iter_load(inputs))
    assert [r.error for r in results] == [None, "no such file or folder", None]
    assert count_inputs(inputs) == 3


def test_is_unchanged_skips_parsing(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", "{not json")
    raw_hash = hashlib.sha256(b"{not json").hexdigest()
    seen: list[tuple[str, str]] = []

    def is_unchanged(origin: str, digest: str) -> bool:
        seen.append((origin, digest))
        return True

    result = load_one(path, is_unchanged=is_unchanged)
    assert result == LoadResult(
        origin=str(path), name=f"{tmp_path.name}/broken.json", raw_hash=raw_hash, unchanged=True
    )
    assert seen == [(str(path), raw_hash)]
    assert load_one(path, is_unchanged=lambda origin, digest: False).error is not None


def test_no_op_reingest_of_many_files_parses_nothing(tmp_path: Path) -> None:
    # Speed is measured by eval/bench_ingest.py; here: unchanged files are never parsed.
    for i in range(500):
        write(tmp_path / "many" / f"{i:04}.txt", f"Article number {i}.")
    results = list(iter_load([tmp_path / "many"], is_unchanged=lambda origin, digest: True))
    assert len(results) == 500 and all(r.unchanged and not r.documents for r in results)


# --- URLs ----------------------------------------------------------------------------------

PAGES: dict[str, tuple[int, str, bytes]] = {
    "/article": (200, "text/html; charset=utf-8", (FIXTURES / "article.html").read_bytes()),
    "/plain": (200, "text/plain; charset=utf-8", b"Storm hits coast\n\nA storm hit."),
    "/data": (200, "application/json", json.dumps([{"id": 1, "text": STORM}]).encode()),
    "/image": (200, "image/png", b"\x89PNG\r\n\x1a\n"),
    "/big": (200, "text/plain", b"x" * 5000),
    "/slow": (200, "text/plain", b"Too late."),
    "/untyped": (200, "", b"<html><body><p>" + STORM.encode() * 3 + b"</p></body></html>"),
}


class Handler(BaseHTTPRequestHandler):
    user_agents: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        Handler.user_agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path in ("/redirect", "/loop"):
            self.send_response(302)
            self.send_header("Location", "/article" if self.path == "/redirect" else "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/stream":  # no Content-Length: the body ends when the server closes
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(10):
                self.wfile.write(b"y" * 1000)
            self.close_connection = True
            return
        if self.path not in PAGES:
            self.send_error(404)
            return
        status, content_type, body = PAGES[self.path]
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            super().handle()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_html(server: str) -> None:
    result = load_one(f"{server}/article")
    assert result.origin == f"{server}/article"
    assert result.raw_hash == hashlib.sha256(PAGES["/article"][2]).hexdigest()
    [document] = result.documents
    assert document.source == f"{server}/article"
    assert document.url == f"{server}/article"
    assert document.format == "html"
    assert document.title == "Storm hits coast"
    assert document.text.startswith("A powerful storm hit the coast on Tuesday")
    assert Handler.user_agents[-1].startswith("article-assistant/")


def test_url_redirect_gives_final_url(server: str) -> None:
    document = load_one(f"{server}/redirect").documents[0]
    assert document.source == f"{server}/redirect"
    assert document.url == f"{server}/article"


@pytest.mark.parametrize(
    ("path", "fmt", "text"),
    [
        pytest.param("/plain", "txt", "Storm hits coast\n\nA storm hit.", id="text-plain"),
        pytest.param("/data", "json", STORM, id="json"),
        pytest.param("/untyped", "html", STORM * 3, id="no-content-type"),
    ],
)
def test_url_content_types(server: str, path: str, fmt: str, text: str) -> None:
    [document] = load_one(server + path).documents
    assert (document.format, document.text) == (fmt, text)


@pytest.mark.parametrize(
    ("path", "options", "error"),
    [
        pytest.param("/missing", {}, "HTTP 404 Not Found", id="404"),
        pytest.param("/slow", {"fetch_timeout": 0.5}, "timed out after 0.5s", id="slow"),
        pytest.param("/image", {}, "not text: content-type image/png", id="image"),
        pytest.param(
            "/big",
            {"fetch_max_bytes": 1000},
            "larger than 1,000 bytes (ASSISTANT_FETCH_MAX_BYTES)",
            id="content-length-too-big",
        ),
        pytest.param(
            "/stream",
            {"fetch_max_bytes": 1000},
            "larger than 1,000 bytes (ASSISTANT_FETCH_MAX_BYTES)",
            id="streamed-too-big",
        ),
        pytest.param("/loop", {}, "too many redirects (more than 5)", id="redirect-loop"),
    ],
)
def test_url_errors(server: str, path: str, options: dict[str, object], error: str) -> None:
    result = load_one(server + path, **options)
    assert result.error == error
    assert result.documents == []


def test_url_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = load_one(f"http://127.0.0.1:{port}/")
    assert result.error is not None and result.error.startswith("could not connect: ")


def test_url_unchanged(server: str) -> None:
    result = load_one(f"{server}/plain", is_unchanged=lambda origin, digest: True)
    assert result.unchanged and result.documents == [] and result.raw_hash


def test_unsupported_url_scheme() -> None:
    result = load_one("ftp://example.com/a.txt")
    assert result.error == "unsupported URL scheme 'ftp' (use http:// or https://)"


# --- load_text -----------------------------------------------------------------------------


def test_load_text() -> None:
    text = "Storm hits coast.\n\nA storm hit."
    document = load_text(text, title=" Storm ", date="2024-03-05", url="https://e.com/x")
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert document.source == f"text:{digest[:16]}"
    assert document.raw_hash == digest
    assert (document.title, document.date, document.format) == ("Storm", date(2024, 3, 5), "text")
    assert load_text(text, source="api:1").source == "api:1"


@pytest.mark.parametrize(
    ("text", "options"),
    [
        pytest.param(" \n ", {}, id="empty"),
        pytest.param("Text.", {"date": "5th of March"}, id="bad-date"),
    ],
)
def test_load_text_errors(text: str, options: dict[str, str]) -> None:
    with pytest.raises(IngestError):
        load_text(text, **options)
