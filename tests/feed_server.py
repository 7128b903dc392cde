"""A small news site on 127.0.0.1 for feed tests: pages, feeds, robots.txt, conditional GETs.

Routes are set per test (`site.route(path, body, ...)`); every request is logged with its
arrival time (monotonic), path, status and conditional headers, so tests assert on what the
server saw rather than on what the client says it did.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Hit:
    at: float
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None


@dataclass
class Site:
    """The routes and the request log; `url` once started."""

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, path: str, body: str | bytes, content_type: str = "", **options: object) -> str:
        """Serve `body` at `path`; returns the absolute URL."""
        data = body.encode() if isinstance(body, str) else body
        kind = content_type or "text/html; charset=utf-8"
        self.routes[path] = Route(data, kind, **options)  # type: ignore[arg-type]
        return self.url + path

    def hits(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.log if h.path == path]

    def paths(self) -> list[str]:
        with self.lock:
            return [h.path for h in self.log]


def article(title: str, sentences: str, head: str = "", dateline: str = "") -> str:
    """An HTML news page whose text trafilatura keeps."""
    lead = f"<p>{dateline}</p>" if dateline else ""
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in sentences.split(".") if s.strip())
    return (
        f"<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
        f"{lead}{paragraphs}</article></body></html>"
    )


def rss(title: str, items: list[dict[str, str]]) -> str:
    """An RSS 2.0 feed; item keys: link, title, pubDate, guid, author (dc:creator)."""
    out = []
    for item in items:
        parts = [f"<title>{item['title']}</title>"] if "title" in item else []
        if "link" in item:
            parts.append(f"<link>{item['link']}</link>")
        if "guid" in item:
            parts.append(f"<guid>{item['guid']}</guid>")
        if "pubDate" in item:
            parts.append(f"<pubDate>{item['pubDate']}</pubDate>")
        if "author" in item:
            parts.append(f"<dc:creator>{item['author']}</dc:creator>")
        out.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{title}</title><link>http://example.invalid/</link>"
        + "".join(out)
        + "</channel></rss>"
    )


class FeedServer:
    """`with FeedServer() as site:` serves `site` on 127.0.0.1 until the block ends."""

    def __init__(self) -> None:
        self.site = Site()
        site = self.site

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path
                route = site.routes.get(path)
                status = route.status if route else 404
                etag = self.headers.get("If-None-Match")
                since = self.headers.get("If-Modified-Since")
                if (
                    route is not None
                    and route.status == 200
                    and (
                        (route.etag and etag == route.etag)
                        or (route.last_modified and since == route.last_modified)
                    )
                ):
                    status = 304
                with site.lock:
                    site.log.append(Hit(time.monotonic(), path, status, etag, since))
                if route is None:
                    self.send_error(404)
                    return
                self.send_response(status)
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                if status == 304:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def handle(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.site.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self.site

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
