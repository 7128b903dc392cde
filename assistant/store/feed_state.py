"""What `assistant watch` remembers between polls: one small SQLite file under ASSISTANT_HOME.

Per library and feed URL: the ETag and Last-Modified of the last full response (sent back as
If-None-Match / If-Modified-Since), and for each item link the `FeedItem.version` it had when
it was ingested, so an item the feed lists unchanged is not fetched again.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    library TEXT NOT NULL,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    polled_at TEXT NOT NULL,
    PRIMARY KEY (library, url)
);
CREATE TABLE IF NOT EXISTS feed_items (
    library TEXT NOT NULL,
    feed TEXT NOT NULL,
    link TEXT NOT NULL,
    version TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (library, feed, link)
);
"""


class Validators(BaseModel):
    """What a server sent to recognise its response next time."""

    etag: str | None = None
    last_modified: str | None = None


class FeedState:
    """Conditional-GET validators and ingested item versions, per library and feed."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=60000")
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def validators(self, library: str, url: str) -> Validators:
        """The ETag / Last-Modified saved for a feed (empty when none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT etag, last_modified FROM feeds WHERE library = ? AND url = ?",
                (library, url),
            ).fetchone()
        return Validators(etag=row[0], last_modified=row[1]) if row else Validators()

    def save_validators(self, library: str, url: str, validators: Validators) -> None:
        """Remember a feed's validators (None forgets them: the next poll fetches in full)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT INTO feeds (library, url, etag, last_modified, polled_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (library, url) DO UPDATE SET "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "polled_at = excluded.polled_at",
                (library, url, validators.etag, validators.last_modified, now),
            )

    def versions(self, library: str, feed: str) -> dict[str, str]:
        """link -> version of the items of a feed that were ingested."""
        with self._lock:
            rows = self._db.execute(
                "SELECT link, version FROM feed_items WHERE library = ? AND feed = ?",
                (library, feed),
            ).fetchall()
        return {str(link): str(version) for link, version in rows}

    def remember(self, library: str, feed: str, versions: Mapping[str, str]) -> None:
        """Record items as ingested at these versions."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.executemany(
                "INSERT INTO feed_items (library, feed, link, version, seen_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (library, feed, link) DO UPDATE SET "
                "version = excluded.version, seen_at = excluded.seen_at",
                [(library, feed, link, version, now) for link, version in versions.items()],
            )
