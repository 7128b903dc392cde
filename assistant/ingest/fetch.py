"""HTTP at the edge: GET with a size cap and a deadline, politely.

A `Fetcher` serves one ingest or watch run. It

- waits `host_delay` seconds (or the host's robots.txt Crawl-delay, if longer, up to a minute)
  between the end of one request to a host and the start of the next,
- answers `disallowed(url)` from the site's robots.txt (read once per site with this client; a
  robots.txt that cannot be fetched or read allows everything),
- sends If-None-Match / If-Modified-Since when given an ETag / Last-Modified, and reports a
  304 as `not_modified`.

It never raises for a network problem: the reason is in `Fetched.error`.
"""

from __future__ import annotations

import re
import time
import urllib.robotparser
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # httpx is imported where it is used, to keep the CLI quick
    import httpx

USER_AGENT = "article-assistant/0.1"
ROBOTS_AGENT = "article-assistant"  # the name robots.txt rules are matched against
MAX_REDIRECTS = 5
MAX_ROBOTS_BYTES = 512_000
MAX_CRAWL_DELAY = 60.0


class Fetched(BaseModel):
    """What one GET gave: the body and its metadata, a 304, or why it failed."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(description="the URL as asked")
    final_url: str = Field("", description="after redirects")
    status: int = 0
    mime: str = Field("", description="content type without parameters; '' when not sent")
    charset: str | None = None
    data: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = Field(None, description="one-line reason it failed")

    @property
    def not_modified(self) -> bool:
        """The server said the copy we have is current (HTTP 304)."""
        return self.status == 304


class Fetcher:
    """GETs for one run: one connection pool, per-host spacing and robots.txt per site."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10_000_000,
        host_delay: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.host_delay = host_delay
        self._clock = clock
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._last: dict[str, float] = {}  # host -> when its last request ended
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=self.timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    # politeness

    def _wait(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        last = self._last.get(host)
        if last is None:
            return
        pause = last + self._delay(url) - self._clock()
        if pause > 0:
            self._sleep(pause)

    def _done(self, url: str) -> None:
        self._last[(urlsplit(url).hostname or "").lower()] = self._clock()

    def _delay(self, url: str) -> float:
        robots = self._robots.get(_site(url))
        crawl = robots.crawl_delay(ROBOTS_AGENT) if robots is not None else None
        extra = min(float(crawl), MAX_CRAWL_DELAY) if crawl is not None else 0.0
        return max(self.host_delay, extra)

    def disallowed(self, url: str) -> bool:
        """True when the site's robots.txt forbids us this URL (fetching robots.txt once)."""
        site = _site(url)
        if site not in self._robots:
            self._robots[site] = self._read_robots(site)
        robots = self._robots[site]
        return robots is not None and not robots.can_fetch(ROBOTS_AGENT, url)

    def _read_robots(self, site: str) -> urllib.robotparser.RobotFileParser | None:
        """The parsed robots.txt of a site, or None (allow all) when it cannot be had."""
        fetched = self.get(f"{site}/robots.txt", max_bytes=MAX_ROBOTS_BYTES)
        if fetched.error is not None or fetched.status != 200:
            return None
        parser = urllib.robotparser.RobotFileParser(f"{site}/robots.txt")
        parser.parse(fetched.data.decode("utf-8", "replace").splitlines())
        return parser

    # requests

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        types: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        """GET a URL. `types`: the content types accepted (others fail before the body is
        read; a response without one is accepted). 4xx/5xx are errors, 304 is not."""
        self._wait(url)
        try:
            return self._get(url, etag, last_modified, types, max_bytes or self.max_bytes)
        finally:
            self._done(url)

    def _get(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        types: Mapping[str, str] | None,
        max_bytes: int,
    ) -> Fetched:
        import httpx

        deadline = time.monotonic() + self.timeout
        timed_out = f"timed out after {self.timeout:g}s"
        too_big = f"larger than {max_bytes:,} bytes (ASSISTANT_FETCH_MAX_BYTES)"
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                meta = {
                    "url": url,
                    "final_url": str(response.url),
                    "status": response.status_code,
                    "etag": response.headers.get("etag"),
                    "last_modified": response.headers.get("last-modified"),
                }
                if response.status_code == 304:
                    return Fetched(**meta)
                if response.status_code >= 400:
                    reason = response.reason_phrase or "error"
                    return Fetched(**meta, error=f"HTTP {response.status_code} {reason}")
                mime, charset = content_type(response.headers.get("content-type", ""))
                if types is not None and mime and mime not in types:
                    return Fetched(**meta, mime=mime, error=f"not text: content-type {mime}")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    return Fetched(**meta, error=too_big)
                chunks: list[bytes] = []
                received = 0
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > max_bytes:
                        return Fetched(**meta, error=too_big)
                    if time.monotonic() > deadline:
                        return Fetched(**meta, error=timed_out)
                    chunks.append(chunk)
                return Fetched(**meta, mime=mime, charset=charset, data=b"".join(chunks))
        except httpx.TimeoutException:
            return Fetched(url=url, error=timed_out)
        except httpx.TooManyRedirects:
            return Fetched(url=url, error=f"too many redirects (more than {MAX_REDIRECTS})")
        except httpx.ConnectError as e:
            return Fetched(url=url, error=f"could not connect: {one_line(str(e))}")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
            return Fetched(url=url, error=f"invalid URL: {one_line(str(e))}")
        except httpx.HTTPError as e:
            return Fetched(url=url, error=f"request failed: {one_line(str(e)) or repr(e)}")


def _site(url: str) -> str:
    """scheme://host[:port] of a URL: where its robots.txt is."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def content_type(header: str) -> tuple[str, str | None]:
    """('text/html', 'utf-8') from 'text/html; charset=UTF-8'."""
    mime, _, params = header.partition(";")
    match = re.search(r"charset\s*=\s*\"?([\w.:-]+)", params, re.IGNORECASE)
    return mime.strip().lower(), match.group(1).lower() if match else None


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text.split())
