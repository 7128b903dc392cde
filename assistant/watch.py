"""`assistant watch`: poll feeds into a library, politely, ingesting only what is new.

Each poll, for each feed URL:

1. robots.txt: a feed the site disallows is reported, not fetched (robots.txt that cannot be
   fetched allows everything);
2. a conditional GET with the ETag / Last-Modified saved from the last full response: a 304
   means nothing changed, and nothing else is fetched;
3. each item whose link the library already ingested from this feed, at the same version (guid
   and the feed's dates of it), is skipped unfetched; the others are fetched (robots.txt again,
   `host_delay` seconds apart per host) and ingested like any URL;
4. the items ingested are remembered with their versions; the feed's validators are saved only
   when no item failed, so that the next poll fetches the feed in full and retries them.

State lives in ASSISTANT_HOME/feeds.sqlite3 (`FeedState`). An item deleted from the library
is not ingested again while the feed lists it unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator, Sequence

from assistant.errors import IngestError
from assistant.ingest.feeds import FeedItem
from assistant.ingest.fetch import Fetcher
from assistant.ingest.loaders import (
    CONTENT_TYPES,
    MAX_SITEMAP_DEPTH,
    FeedSource,
    load_item,
    load_url,
    read_feed,
)
from assistant.models import FeedPoll, IngestStatus, PollReport
from assistant.store.feed_state import FeedState, Validators
from assistant.store.library import Library, Progress

_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*([hms]?)", re.IGNORECASE)
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_interval(text: str) -> float:
    """Seconds from '30m', '1h', '90s', '1h30m' or a plain number of seconds.

    >>> parse_interval("30m"), parse_interval("1h30m"), parse_interval("45")
    (1800.0, 5400.0, 45.0)
    """
    cleaned = text.strip().lower().replace(" ", "")
    parts = list(_INTERVAL.finditer(cleaned))
    if not cleaned or "".join(m.group(0) for m in parts) != cleaned:
        raise ValueError(f"{text!r} is not an interval: use e.g. 30m, 1h, 90s or 1h30m")
    seconds = sum(float(m.group(1)) * _UNITS[m.group(2)] for m in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} is not an interval: it must be more than 0 seconds")
    return seconds


class Watcher:
    """Polls feed URLs into one library. Build it with `Assistant.watcher`."""

    def __init__(
        self,
        library: Library,
        state: FeedState,
        *,
        fetch_timeout: float = 20.0,
        fetch_max_bytes: int = 10_000_000,
        host_delay: float = 1.0,
        robots: bool = True,
        max_items: int = 500,
    ) -> None:
        self.library = library
        self.state = state
        self.fetch_timeout = fetch_timeout
        self.fetch_max_bytes = fetch_max_bytes
        self.host_delay = host_delay
        self.robots = robots
        self.max_items = max_items

    def poll(
        self, feeds: Sequence[str], *, number: int = 1, progress: Progress | None = None
    ) -> PollReport:
        """Poll every feed once (robots.txt is read afresh each poll)."""
        started = time.perf_counter()
        report = PollReport(
            library=self.library.name, number=number, started_at=dt.datetime.now(dt.UTC)
        )
        with Fetcher(
            timeout=self.fetch_timeout, max_bytes=self.fetch_max_bytes, host_delay=self.host_delay
        ) as fetcher:
            for url in dict.fromkeys(feeds):
                report.feeds.append(self._poll_feed(fetcher, url, progress))
        report.seconds = time.perf_counter() - started
        return report

    def _poll_feed(self, fetcher: Fetcher, url: str, progress: Progress | None) -> FeedPoll:
        if not url.lower().startswith(("http://", "https://")):
            return FeedPoll(
                url=url,
                status="failed",
                reason="watch polls feed URLs (http:// or https://); for a feed file use "
                "`assistant ingest FILE`",
            )
        if self.robots and fetcher.disallowed(url):
            return FeedPoll(url=url, status="disallowed", reason="robots.txt disallows it")
        name = self.library.name
        saved = self.state.validators(name, url)
        if progress:
            progress(0, 1, url)
        fetched = fetcher.get(
            url, etag=saved.etag, last_modified=saved.last_modified, types=CONTENT_TYPES
        )
        if fetched.error is not None:
            return FeedPoll(url=url, status="failed", reason=fetched.error)
        if fetched.not_modified:
            return FeedPoll(url=url, status="not_modified")
        try:
            feed = read_feed(fetched)
        except IngestError as e:
            return FeedPoll(url=url, status="failed", reason=str(e))
        problems = list(feed.problems)
        items: list[FeedItem] = []
        links: set[str] = set()
        for item in self._items(fetcher, feed.kind, feed.items, problems):
            if item.link not in links:  # a link in two sitemaps of an index
                links.add(item.link)
                items.append(item)
        if len(items) > self.max_items:
            problems.append(
                f"lists {len(items):,} items; only the first {self.max_items:,} were taken "
                "(raise ASSISTANT_FEED_MAX_ITEMS for more)"
            )
            items = items[: self.max_items]
        known = self.state.versions(name, url)
        new = [item for item in items if known.get(item.link) != item.version]
        results = (
            load_item(
                fetcher,
                item,
                feed=url,
                robots=self.robots,
                is_unchanged=self.library.origin_unchanged,
            )
            for item in new
        )
        ingested = self.library.ingest_results(results, total=len(new), progress=progress)
        failed = {i.source for i in ingested.items if i.status is IngestStatus.FAILED}
        self.state.remember(name, url, {i.link: i.version for i in new if i.link not in failed})
        keep = Validators(etag=fetched.etag, last_modified=fetched.last_modified)
        self.state.save_validators(name, url, keep if not failed else Validators())
        return FeedPoll(
            url=url,
            status="fetched",
            title=feed.title,
            n_items=len(items),
            known=len(items) - len(new),
            problems=problems,
            report=ingested,
        )

    def _items(
        self,
        fetcher: Fetcher,
        kind: str,
        items: Sequence[FeedItem],
        problems: list[str],
        depth: int = 0,
    ) -> Iterator[FeedItem]:
        """The feed's items; for a sitemap index, the items of the sitemaps it lists."""
        if kind != "sitemapindex":
            yield from items
            return
        for item in items:
            if depth + 1 >= MAX_SITEMAP_DEPTH:
                problems.append(f"{item.link}: sitemap indexes nested too deep: not followed")
                continue
            if self.robots and fetcher.disallowed(item.link):
                problems.append(f"{item.link}: robots.txt disallows it: not fetched")
                continue
            loaded = load_url(fetcher, item.link)
            if not isinstance(loaded, FeedSource):
                problems.append(f"{item.link}: {loaded.error or 'a page, not a sitemap'}")
                continue
            problems.extend(f"{item.link}: {problem}" for problem in loaded.feed.problems)
            yield from self._items(
                fetcher, loaded.feed.kind, loaded.feed.items, problems, depth + 1
            )
