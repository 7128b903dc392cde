"""Files, folders, URLs, feeds and strings -> Documents. Reading happens at the edges; parsing
is pure.

`iter_load` yields one `LoadResult` per file or URL and never raises for a user mistake (a
missing file, a 404, a broken JSON line): the reason is in `LoadResult.error` or
`LoadResult.item_errors`. Loaders do not clean the text; `cleaning` does that later.

A feed (RSS, Atom, a sitemap or sitemap index, a URL list: see `feeds`) given as a URL or a
file named on the command line yields one LoadResult per item: its page, fetched like any URL,
with the feed's title, author and date kept (`Document.feed_date`). The feed's own failures
(broken XML, a 404) are one LoadResult; an item's failure names the item. Items are fetched
politely (`fetch.Fetcher`: a per-host delay, robots.txt). Feed files and URL lists are read
only when named: a folder's .xml and .txt files are not crawled.
"""

from __future__ import annotations

import codecs
import email.utils
import fnmatch
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import IngestError
from assistant.ingest.dates import date_from_html
from assistant.ingest.feeds import (
    Feed,
    FeedItem,
    feed_kind,
    is_url_list,
    parse_feed,
    parse_url_list,
    unzip,
)
from assistant.ingest.fetch import MAX_REDIRECTS, USER_AGENT, Fetched, Fetcher, one_line
from assistant.models import Document

__all__ = ["MAX_REDIRECTS", "USER_AGENT", "Fetcher", "LoadResult", "iter_load", "load_text"]

MAX_FEED_ITEMS = 500  # items ingested from one feed or sitemap (ASSISTANT_FEED_MAX_ITEMS)
MAX_SITEMAP_DEPTH = 3  # sitemap index -> sitemap index -> sitemap

# File extension -> Document.format.
FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".pdf": "pdf",
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(FORMATS))
# Feed files, read only when named (never picked up while walking a folder).
FEED_FILES: dict[str, str] = {".rss": "feed", ".atom": "feed", ".xml": "feed", ".urls": "urls"}

# Content type -> Document.format, for URLs.
CONTENT_TYPES: dict[str, str] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
    "application/json": "json",
    "text/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/jsonlines": "jsonl",
    "application/pdf": "pdf",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
    "application/xml": "feed",
    "text/xml": "feed",
    "application/gzip": "feed",  # a gzipped sitemap
    "application/x-gzip": "feed",
}


class LoadResult(BaseModel):
    """What reading one file or URL gave: its documents, or why it failed."""

    model_config = ConfigDict(frozen=True)

    origin: str = Field(description="absolute resolved path, or the URL as given")
    name: str = Field(
        "", description="how the source is shown: path from the ingested folder, or the URL"
    )
    raw_hash: str = Field(default="", description="sha256 of the raw bytes; '' when unread")
    documents: list[Document] = Field(default_factory=list)
    error: str | None = Field(default=None, description="one-line reason the whole source failed")
    item_errors: list[str] = Field(
        default_factory=list, description="problems with single items of a JSON/JSONL file"
    )
    unchanged: bool = Field(default=False, description="is_unchanged() said so; nothing was parsed")

    @property
    def ok(self) -> bool:
        """True when the source was read (its documents, or unchanged)."""
        return self.error is None

    @property
    def label(self) -> str:
        """The source as a person knows it: its name, else its origin."""
        return self.name or self.origin


# --- the edges: planning, reading files, fetching URLs -----------------------------------------


def iter_load(
    inputs: Sequence[str | Path],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    fetch_timeout: float = 20.0,
    fetch_max_bytes: int = 10_000_000,
    max_file_bytes: int = 100_000_000,
    is_unchanged: Callable[[str, str], bool] | None = None,
    names: Mapping[str, str] | None = None,
    host_delay: float = 0.0,
    robots: bool = True,
    max_feed_items: int = MAX_FEED_ITEMS,
    fetcher: Fetcher | None = None,
) -> Iterator[LoadResult]:
    """Load files, folders (recursively), http(s) URLs and feeds, one LoadResult per file, URL
    or feed item.

    `include` / `exclude` are glob patterns matched against a file's path relative to the
    folder given and against its name ("*.txt", "sport/*"); they only filter folder contents.
    `is_unchanged(origin, raw_hash)` returning True skips parsing (`unchanged=True`).
    `names` maps a file input (as given) to the name it is stored under (e.g. an upload's).
    Feed items are fetched `host_delay` seconds apart per host, and only where robots.txt
    allows (`robots`); URLs given directly are fetched as asked, like a browser would.

    >>> [r.error for r in iter_load(["/no/such/file.txt"])]
    ['no such file or folder']
    """
    own = fetcher is None
    web = fetcher or Fetcher(
        timeout=fetch_timeout, max_bytes=fetch_max_bytes, host_delay=host_delay
    )
    feeds = _FeedLoader(web, is_unchanged, robots=robots, max_items=max_feed_items)
    try:
        for target in _plan(inputs, include, exclude, names or {}):
            loaded: LoadResult | FeedSource
            if target.error is not None:
                loaded = LoadResult(origin=target.origin, name=target.label, error=target.error)
            elif target.path is not None:
                loaded = _load_file(
                    target.path,
                    target.origin,
                    target.label,
                    max_file_bytes,
                    is_unchanged,
                    named=target.named,
                )
            else:
                loaded = load_url(web, target.origin, is_unchanged=is_unchanged)
            if isinstance(loaded, FeedSource):
                yield from feeds.expand(loaded)
            else:
                yield loaded
    finally:
        if own:
            web.close()


def count_inputs(
    inputs: Sequence[str | Path], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> int:
    """How many LoadResults iter_load will yield for these inputs (lists folders, reads nothing)."""
    return sum(1 for _ in _plan(inputs, include, exclude))


def load_text(
    text: str,
    *,
    title: str | None = None,
    source: str | None = None,
    url: str | None = None,
    date: date | str | None = None,
) -> Document:
    """A Document from a raw string; `source` defaults to 'text:' + sha256(text)[:16].

    >>> load_text("Storm hits coast.").source
    'text:93689a8096c1bb6c'
    """
    if not text.strip():
        raise IngestError("the text is empty: paste the article text")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    day = _parse_date(date)
    if day is None and date is not None:
        raise IngestError(f"date {date!r} is not a date: use YYYY-MM-DD")
    return Document(
        source=source or f"text:{digest[:16]}",
        text=text,
        format="text",
        title=title.strip() if title and title.strip() else None,
        url=url or None,
        date=day,
        raw_hash=digest,
    )


@dataclass(frozen=True, slots=True)
class _Target:
    origin: str
    path: Path | None = None  # a file to read
    error: str | None = None  # a source that already failed
    # neither: a URL
    name: str = ""  # the path from the folder that was ingested, its name included
    named: bool = False  # given by name (not found in a folder): may be a feed or URL list

    @property
    def label(self) -> str:
        return self.name or self.origin


def display_name(path: Path, root: Path | None = None) -> str:
    """How a file is named in the library: from the ingested folder, that folder included
    ("samples/story.txt"); a file given alone is named from its parent ("news/story.txt").

    >>> display_name(Path("/srv/data/samples/a/story.txt"), Path("/srv/data/samples"))
    'samples/a/story.txt'
    >>> display_name(Path("/home/me/news/story.txt"))
    'news/story.txt'
    """
    base = root if root is not None else path.parent
    relative = path.relative_to(base).as_posix() if base != path else path.name
    return f"{base.name}/{relative}" if base.name else relative


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_MISSING = "no such file or folder"


def _plan(
    inputs: Sequence[str | Path],
    include: Sequence[str],
    exclude: Sequence[str],
    names: Mapping[str, str] | None = None,
) -> Iterator[_Target]:
    """What to load, in order: files (each once), URLs, and inputs that already failed."""
    seen_files: set[Path] = set()
    seen_dirs: set[Path] = set()
    for item in inputs:
        scheme = _URL.match(item.strip()) if isinstance(item, str) else None
        if scheme is not None:
            url = str(item).strip()
            if scheme.group(1).lower() in ("http", "https"):
                yield _Target(origin=url)
            else:
                reason = f"unsupported URL scheme '{scheme.group(1)}' (use http:// or https://)"
                yield _Target(origin=url, error=reason)
            continue
        path = Path(item)
        try:
            path = path.expanduser()
            origin = str(path.resolve())
            is_dir = path.is_dir()
            exists = is_dir or path.exists()
        except (OSError, RuntimeError) as e:  # a symlink loop, an unknown ~user, a long name
            yield _Target(origin=str(path.absolute()), error=_path_reason(e))
            continue
        name = str(item)
        if not exists:
            broken = path.is_symlink()
            error = "broken symbolic link" if broken else _MISSING
            yield _Target(origin=origin, error=error, name=name)
        elif is_dir:
            yield from _walk(path, include, exclude, seen_files, seen_dirs)
        elif not path.is_file():
            yield _Target(origin=origin, error="not a regular file", name=name)
        elif path.suffix.lower() not in FORMATS and path.suffix.lower() not in FEED_FILES:
            yield _Target(origin=origin, error=_unsupported(path), name=name)
        elif Path(origin) not in seen_files:
            seen_files.add(Path(origin))
            named = (names or {}).get(str(item)) or display_name(path.absolute())
            yield _Target(origin=origin, path=Path(origin), name=named, named=True)


def _unsupported(path: Path) -> str:
    supported = ", ".join(sorted([*SUPPORTED_EXTENSIONS, *FEED_FILES]))
    if not path.suffix:
        return f"no file extension (supported: {supported})"
    return f"unsupported extension '{path.suffix}' (supported: {supported})"


def _walk(
    root: Path,
    include: Sequence[str],
    exclude: Sequence[str],
    seen_files: set[Path],
    seen_dirs: set[Path],
) -> Iterator[_Target]:
    """Supported, non-hidden files under root, depth first in name order; each folder once."""
    stack: list[Iterator[os.DirEntry[str]]] = []
    base = root.absolute()
    listing = _list_dir(root, seen_dirs)
    if isinstance(listing, _Target):
        yield listing
        return
    stack.append(iter(listing))
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        relative = path.relative_to(root).as_posix()
        if _is_dir(entry):
            if not _matches(exclude, relative, entry.name):
                listing = _list_dir(path, seen_dirs)
                if isinstance(listing, _Target):
                    yield listing
                else:
                    stack.append(iter(listing))
            continue
        if path.suffix.lower() not in FORMATS:
            continue
        if include and not _matches(include, relative, entry.name):
            continue
        if _matches(exclude, relative, entry.name):
            continue
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as e:
            yield _Target(origin=str(path.absolute()), error=_path_reason(e))
            continue
        if not resolved.is_file():
            if entry.is_symlink() and not resolved.exists():
                yield _Target(origin=str(path.absolute()), error="broken symbolic link")
            continue
        if resolved not in seen_files:
            seen_files.add(resolved)
            name = display_name(path.absolute(), base)
            yield _Target(origin=str(resolved), path=resolved, name=name)


def _list_dir(directory: Path, seen_dirs: set[Path]) -> list[os.DirEntry[str]] | _Target:
    """The entries of a folder sorted by name, [] if already visited, or the failure."""
    try:
        real = directory.resolve()
    except (OSError, RuntimeError) as e:
        return _Target(origin=str(directory.absolute()), error=_path_reason(e))
    if real in seen_dirs:
        return []
    seen_dirs.add(real)
    try:
        with os.scandir(directory) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as e:
        return _Target(origin=str(real), error=_os_reason(e))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _matches(patterns: Sequence[str], relative: str, name: str) -> bool:
    return any(
        fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern)
        for pattern in patterns
    )


def _path_reason(error: OSError | RuntimeError) -> str:
    if isinstance(error, OSError):
        return _os_reason(error)
    return _one_line(str(error)) or "cannot resolve the path"


def _os_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return _MISSING
    if isinstance(error, PermissionError):
        return "permission denied"
    return _one_line(error.strerror or str(error))


def _load_file(
    path: Path,
    origin: str,
    name: str,
    max_file_bytes: int,
    is_unchanged: Callable[[str, str], bool] | None,
    *,
    named: bool = False,
) -> LoadResult | FeedSource:
    """Read a file once, hash it, and parse it unless is_unchanged says it is known. A file
    given by name may be a feed (.rss .atom .xml), a .urls list, or a .txt list of URLs."""
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            return LoadResult(origin=origin, name=name, error=_too_big(size, max_file_bytes))
        data = path.read_bytes()
    except OSError as e:
        return LoadResult(origin=origin, name=name, error=_os_reason(e))
    if len(data) > max_file_bytes:  # it grew while we looked
        return LoadResult(origin=origin, name=name, error=_too_big(len(data), max_file_bytes))
    raw_hash = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix in FEED_FILES:
        try:
            if FEED_FILES[suffix] == "urls":
                feed = parse_url_list(decode_text(data))
            else:
                feed = parse_feed(data)
        except IngestError as e:
            return LoadResult(origin=origin, name=name, raw_hash=raw_hash, error=str(e))
        return FeedSource(origin=origin, name=name, feed=feed)
    if is_unchanged is not None and is_unchanged(origin, raw_hash):
        return LoadResult(origin=origin, name=name, raw_hash=raw_hash, unchanged=True)
    if named and FORMATS[suffix] == "txt":
        listed = _url_list(data, None)
        if listed is not None:
            return FeedSource(origin=origin, name=name, feed=listed)
    return _parsed(data, FORMATS[suffix], origin, raw_hash, name=name)


def _url_list(data: bytes, charset: str | None) -> Feed | None:
    """The URL list these bytes hold, or None when they are not one (or not text)."""
    try:
        text = decode_text(data, charset)
    except IngestError:
        return None
    return parse_url_list(text) if is_url_list(text) else None


def _too_big(size: int, limit: int) -> str:
    return (
        f"file is {size:,} bytes, over the {limit:,}-byte limit "
        "(raise ASSISTANT_MAX_FILE_BYTES to load it)"
    )


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A file or URL that turned out to be a feed: its items are loaded next."""

    origin: str
    feed: Feed
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.origin


def load_url(
    fetcher: Fetcher,
    url: str,
    *,
    is_unchanged: Callable[[str, str], bool] | None = None,
    feeds: bool = True,
) -> LoadResult | FeedSource:
    """Fetch a URL and parse it by content type; a feed (when `feeds`) comes back unread."""
    fetched = fetcher.get(url, types=CONTENT_TYPES)
    if fetched.error is not None:
        return LoadResult(origin=url, error=fetched.error)
    return from_response(fetched, is_unchanged=is_unchanged, feeds=feeds)


def from_response(
    fetched: Fetched,
    *,
    is_unchanged: Callable[[str, str], bool] | None = None,
    feeds: bool = True,
) -> LoadResult | FeedSource:
    """A fetched body as a LoadResult, or as a FeedSource when it is a feed or URL list."""
    url, data = fetched.url, fetched.data
    fmt = CONTENT_TYPES.get(fetched.mime, "") if fetched.mime else "?"
    if fmt in ("feed", "?", "html", "txt"):
        try:
            body = unzip(data) if fmt in ("feed", "?") else data
        except IngestError as e:
            return LoadResult(origin=url, error=str(e))
        kind = feed_kind(body)
        listed = _url_list(body, fetched.charset) if fmt in ("txt", "?") and not kind else None
        if kind is not None or listed is not None or fmt == "feed":
            if not feeds:
                return LoadResult(
                    origin=url,
                    error="a feed, not an article page: ingest it as a feed on its own",
                )
            if listed is not None:
                return FeedSource(origin=url, feed=listed)
            try:
                return FeedSource(origin=url, feed=parse_feed(body, base_url=fetched.final_url))
            except IngestError as e:
                return LoadResult(origin=url, error=str(e))
    raw_hash = hashlib.sha256(data).hexdigest()
    if is_unchanged is not None and is_unchanged(url, raw_hash):
        return LoadResult(origin=url, raw_hash=raw_hash, unchanged=True)
    if fmt == "?":  # no content type: HTML if it looks like markup
        fmt = "html" if data.lstrip()[:1] == b"<" else "txt"
    return _parsed(data, fmt, url, raw_hash, url=fetched.final_url, charset=fetched.charset)


def read_feed(fetched: Fetched) -> Feed:
    """The feed a fetched body holds; IngestError when it holds none or is broken."""
    loaded = from_response(fetched)
    if isinstance(loaded, FeedSource):
        return loaded.feed
    raise IngestError(
        loaded.error
        or "not a feed (RSS, Atom, a sitemap or a URL list): check the URL is the feed's"
    )


class _FeedLoader:
    """Turns feeds into one LoadResult per item, each item link once per run."""

    def __init__(
        self,
        fetcher: Fetcher,
        is_unchanged: Callable[[str, str], bool] | None,
        *,
        robots: bool,
        max_items: int,
    ) -> None:
        self.fetcher = fetcher
        self.is_unchanged = is_unchanged
        self.robots = robots
        self.max_items = max_items
        self.seen: set[str] = set()

    def expand(self, source: FeedSource, depth: int = 0) -> Iterator[LoadResult]:
        feed = source.feed
        problems = list(feed.problems)
        items = feed.items
        if len(items) > self.max_items:
            problems.append(
                f"the {_FEED_NAMES[feed.kind]} lists {len(items):,} items; only the first "
                f"{self.max_items:,} were taken (raise ASSISTANT_FEED_MAX_ITEMS for more)"
            )
            items = items[: self.max_items]
        if not items and not problems:
            problems.append(f"the {_FEED_NAMES[feed.kind]} lists no items")
        if problems:
            yield LoadResult(origin=source.origin, name=source.label, item_errors=problems)
        for item in items:
            if feed.kind == "sitemapindex":
                yield from self._nested(item, source, depth)
                continue
            key = urldefrag(item.link).url
            if key in self.seen:
                continue
            self.seen.add(key)
            yield load_item(
                self.fetcher,
                item,
                feed=source.label,
                robots=self.robots,
                is_unchanged=self.is_unchanged,
            )

    def _nested(self, item: FeedItem, parent: FeedSource, depth: int) -> Iterator[LoadResult]:
        """The items of a sitemap listed in a sitemap index."""
        if depth + 1 >= MAX_SITEMAP_DEPTH:
            reason = f"sitemap indexes nested more than {MAX_SITEMAP_DEPTH} deep: not followed"
            yield LoadResult(origin=item.link, error=f"{reason} (in {parent.label})")
            return
        if self.robots and self.fetcher.disallowed(item.link):
            yield LoadResult(origin=item.link, error=_disallowed(item.link))
            return
        loaded = load_url(self.fetcher, item.link)
        if isinstance(loaded, FeedSource):
            yield from self.expand(loaded, depth + 1)
        else:
            error = loaded.error or "a page, not a sitemap"
            yield LoadResult(origin=item.link, error=f"{error} (sitemap in {parent.label})")


_FEED_NAMES = {
    "rss": "feed",
    "atom": "feed",
    "sitemap": "sitemap",
    "sitemapindex": "sitemap index",
    "urls": "URL list",
}


def _disallowed(url: str) -> str:
    site = urlsplit(url)
    return f"robots.txt of {site.scheme}://{site.netloc} disallows this URL: not fetched"


def load_item(
    fetcher: Fetcher,
    item: FeedItem,
    *,
    feed: str,
    robots: bool = True,
    is_unchanged: Callable[[str, str], bool] | None = None,
) -> LoadResult:
    """Fetch one feed item's page; its documents carry the feed's title, author and date.
    A failure names the item and its feed."""
    where = f"item {item.title!r} of {feed}" if item.title else f"item of {feed}"
    if robots and fetcher.disallowed(item.link):
        return LoadResult(origin=item.link, error=f"{_disallowed(item.link)} ({where})")
    loaded = load_url(fetcher, item.link, is_unchanged=is_unchanged, feeds=False)
    assert isinstance(loaded, LoadResult)
    if loaded.error is not None:
        return loaded.model_copy(update={"error": f"{loaded.error} ({where})"})
    documents = [
        document.model_copy(
            update={
                "title": item.title or document.title,
                "author": item.author or document.author,
                "feed_date": item.date,
            }
        )
        for document in loaded.documents
    ]
    return loaded.model_copy(update={"documents": documents})


_one_line = one_line


# --- parsing (pure) ----------------------------------------------------------------------------


def _parsed(
    data: bytes,
    fmt: str,
    origin: str,
    raw_hash: str,
    *,
    name: str = "",
    url: str | None = None,
    charset: str | None = None,
) -> LoadResult:
    """Parse bytes into a LoadResult: documents, or the reason there are none."""
    name = name or origin
    try:
        documents, item_errors = parse_bytes(
            data, fmt, source=name, raw_hash=raw_hash, url=url, charset=charset
        )
    except IngestError as e:
        return LoadResult(origin=origin, name=name, raw_hash=raw_hash, error=str(e))
    error = None
    if not documents:
        error = f"no article could be read ({len(item_errors)} item(s) failed, see item_errors)"
    return LoadResult(
        origin=origin,
        name=name,
        raw_hash=raw_hash,
        documents=documents,
        error=error,
        item_errors=item_errors,
    )


def parse_bytes(
    data: bytes,
    fmt: str,
    *,
    source: str,
    raw_hash: str = "",
    url: str | None = None,
    charset: str | None = None,
) -> tuple[list[Document], list[str]]:
    """Documents from the raw bytes of one source, and per-item errors (JSON / JSONL).

    Raises IngestError with a one-line reason when the whole source is unusable.
    """
    if not data.strip():
        raise IngestError("empty file")
    if fmt == "pdf":
        return [_parse_pdf(data, source, raw_hash, url)], []
    if fmt == "html" and charset is None:
        charset = _meta_charset(data)
    text = decode_text(data, charset)
    if not text.strip():
        raise IngestError("empty file")
    if fmt == "txt":
        return [Document(source=source, text=text, format="txt", url=url, raw_hash=raw_hash)], []
    if fmt == "md":
        return [_parse_markdown(text, source, raw_hash, url)], []
    if fmt == "html":
        return [_parse_html(text, source, raw_hash, url)], []
    if fmt == "json":
        return _parse_json(text, source, raw_hash, url)
    if fmt == "jsonl":
        return _parse_jsonl(text, source, raw_hash, url)
    raise ValueError(f"unknown format {fmt!r}")


# -- decoding


_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_ASCII = bytes(range(128))
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: a BOM, else UTF-8, else the declared charset, else a sensible guess.

    Without a BOM, text that is not UTF-8 is read as Windows-1252 (Latin-1 with curly quotes)
    when it is mostly ASCII, and as charset-normalizer's guess otherwise.

    >>> decode_text(b"Mutu, a \\xa315.8m signing")
    'Mutu, a £15.8m signing'
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if _looks_binary(data):
        raise IngestError("binary file (not text)")
    try:  # valid UTF-8 is almost never anything else, whatever a server declares
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    non_ascii = len(data.translate(None, _ASCII))
    if non_ascii > 0.15 * len(data):
        import charset_normalizer

        guess = charset_normalizer.from_bytes(data).best()
        if guess is not None:
            return str(guess)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:
        return True
    sample = data[:65536]
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls > 0.1 * len(sample)


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace").lower() if match else None


# -- dates and metadata


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(value: object) -> date | None:
    """A date from a date, ISO text ('2024-03-05', '2024-03-05T10:00:00Z') or RFC 2822 text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if _ISO_DAY.fullmatch(text[:10]):
            try:
                return datetime.fromisoformat(text).date()
            except ValueError:
                return date.fromisoformat(text[:10])
        return email.utils.parsedate_to_datetime(text).date()
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


def _text_field(value: object) -> str | None:
    """A non-blank string (lists of strings joined by ', '), else None."""
    if isinstance(value, list):
        value = ", ".join(v.strip() for v in value if isinstance(v, str) and v.strip())
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


# -- Markdown


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_LINE = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")
_FENCE = re.compile(r"(```|~~~)")
_HEADING = re.compile(r"(#{1,6})\s+(.*?)(?:\s+#+)?\s*")
_RULE = re.compile(r"(?:[-*_=]\s*){3,}")
_REFERENCE = re.compile(r"\[[^\]\n]+\]:\s*\S+(?:\s+[\"'(].*)?")  # [id]: url "title"
_QUOTE = re.compile(r"(?:>\s?)+")
_BULLET = re.compile(r"[-*+]\s+")
_BLOCK_START = re.compile(r"(?:[-*+]|\d+[.)])\s|\|")  # list item or table row
_INLINE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)"), ""),  # images go
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),  # [text](url) -> text
    (re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]"), r"\1"),  # [text][ref] -> text
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"\1"),
    (re.compile(r"__([^_\n]+)__"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?!\s)([^_\n]+?)(?<!\s)_(?!\w)"), r"\1"),
    (re.compile(r"~~([^~\n]+)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|])"), r"\1"),  # backslash escapes
]


def _strip_inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def _parse_markdown(text: str, source: str, raw_hash: str, url: str | None) -> Document:
    """Markdown lightly stripped; front matter and a leading '# Title' give metadata."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(text)
    if front is not None:
        for line in front.group(1).split("\n"):
            field = _FRONT_MATTER_LINE.fullmatch(line.strip())
            if field is not None:
                meta[field.group(1).lower()] = field.group(2).strip().strip("\"'")
        text = text[front.end() :]
    title = _text_field(meta.get("title"))
    blocks: list[list[str]] = []  # paragraphs, each a list of lines
    joinable = False  # may the next plain line continue the current paragraph?
    in_fence = False
    for raw in text.split("\n"):
        line = raw.strip()
        if _FENCE.match(line):
            in_fence = not in_fence
            joinable = False
            continue
        if in_fence:
            blocks.append([raw.rstrip()])
            continue
        if not line or _RULE.fullmatch(line) or _REFERENCE.fullmatch(line):
            joinable = False
            continue
        heading = _HEADING.fullmatch(line)
        if heading is not None:
            line = _strip_inline(heading.group(2))
            first = not blocks
            if first and len(heading.group(1)) == 1 and (title is None or line == title):
                title = title or line
            elif line:
                blocks.append([line])
            joinable = False
            continue
        line = _QUOTE.sub("", line, count=1) if line.startswith(">") else line
        starts_block = bool(_BLOCK_START.match(line))
        line = _strip_inline(_BULLET.sub("", line, count=1) if starts_block else line)
        if not line.strip():
            continue
        if joinable and not starts_block:
            blocks[-1].append(line.strip())
        else:
            blocks.append([line.strip()])
        joinable = not line.startswith("|")
    body = "\n\n".join(" ".join(lines) for lines in blocks).strip()
    if not body:
        raise IngestError("no article text in Markdown" + (" after the title" if title else ""))
    return Document(
        source=source,
        text=body,
        format="md",
        title=title,
        url=url or _text_field(meta.get("url") or meta.get("link")),
        date=_parse_date(meta.get("date") or meta.get("published")),
        author=_text_field(meta.get("author")),
        raw_hash=raw_hash,
    )


# -- HTML


def _parse_html(html: str, source: str, raw_hash: str, url: str | None) -> Document:
    """trafilatura's main-text extraction (favouring recall) with its metadata. No network."""
    import trafilatura

    if not re.search(r"<(html|body)\b", html[:5000], re.IGNORECASE):
        html = f"<html><body>{html}</body></html>"  # a fragment: give it a document
    extracted = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        favor_recall=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        output_format="python",
    )
    if extracted is None or isinstance(extracted, dict):
        raise IngestError("no article text found in HTML")
    title = _text_field(extracted.title)
    paragraphs = [line.strip() for line in (extracted.text or "").split("\n") if line.strip()]
    if paragraphs and title and _same(paragraphs[0], title):
        paragraphs = paragraphs[1:]
    if not any(_reads_like_text(p) for p in paragraphs):  # menus and link lists only
        raise IngestError("no article text found in HTML")
    return Document(
        source=source,
        text="\n\n".join(paragraphs),
        format="html",
        title=title,
        url=url or _text_field(extracted.url),
        date=date_from_html(html) or _parse_date(extracted.date),
        author=_text_field(extracted.author),
        raw_hash=raw_hash,
    )


def _reads_like_text(paragraph: str) -> bool:
    """Long enough and with a sentence mark: what a page of menus and links lacks."""
    return len(paragraph) >= 25 and any(mark in paragraph for mark in ".!?。！？")


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


# -- JSON and JSONL


_TEXT_KEYS = ("text", "content", "body")


def _parse_json(
    text: str, source: str, raw_hash: str, url: str | None
) -> tuple[list[Document], list[str]]:
    """An article object, a list of them, or {"articles": [...]}."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise IngestError(f"invalid JSON: line {e.lineno} column {e.colno}: {e.msg}") from e
    except RecursionError as e:
        raise IngestError("invalid JSON: nested too deeply") from e
    if isinstance(value, dict) and "articles" in value:
        value = value["articles"]
        if not isinstance(value, list):
            raise IngestError('"articles" must be a list of objects')
    if isinstance(value, dict):
        try:
            return [_item_document(value, source, "json", raw_hash, url)], []
        except ValueError as e:
            raise IngestError(str(e)) from e
    if not isinstance(value, list):
        raise IngestError('JSON must be an object, a list of objects, or {"articles": [...]}')
    if not value:
        raise IngestError("no articles in JSON (empty list)")
    items = [(f"item {i}", i, item) for i, item in enumerate(value, start=1)]
    return _item_documents(items, source, "json", raw_hash, url)


def _parse_jsonl(
    text: str, source: str, raw_hash: str, url: str | None
) -> tuple[list[Document], list[str]]:
    """One article object per line; a broken line is reported and the others still load."""
    items: list[tuple[str, int, object]] = []
    errors: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append((f"line {number}", number, json.loads(line)))
        except json.JSONDecodeError as e:
            errors.append(f"line {number}: invalid JSON ({e.msg} at column {e.colno})")
        except RecursionError:
            errors.append(f"line {number}: invalid JSON (nested too deeply)")
    documents, item_errors = _item_documents(items, source, "jsonl", raw_hash, url)
    return documents, sorted(errors + item_errors, key=_line_number)


def _line_number(error: str) -> int:
    return int(error.split(":", 1)[0].split()[-1])


def _item_documents(
    items: list[tuple[str, int, object]], source: str, fmt: str, raw_hash: str, url: str | None
) -> tuple[list[Document], list[str]]:
    documents: list[Document] = []
    errors: list[str] = []
    used: set[str] = set()
    for label, index, item in items:
        if not isinstance(item, dict):
            errors.append(f"{label}: not a JSON object")
            continue
        key = _text_field(item.get("url") or item.get("link")) or _id_field(item.get("id"))
        key = key or str(index)
        if key in used:
            key = f"{key}~{index}"
        used.add(key)
        try:
            documents.append(_item_document(item, f"{source}#{key}", fmt, raw_hash, url))
        except ValueError as e:
            errors.append(f"{label}: {e}")
    return documents, errors


def _id_field(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()
    return None


def _item_document(
    item: dict[str, object], source: str, fmt: str, raw_hash: str, url: str | None
) -> Document:
    """One article object -> Document; ValueError with a reason when it has no text."""
    text = next((item[key] for key in _TEXT_KEYS if key in item), None)
    if text is None:
        raise ValueError("no 'text', 'content' or 'body' field")
    if not isinstance(text, str):
        raise ValueError(f"the text field is a {type(text).__name__}, not a string")
    if not text.strip():
        raise ValueError("the text is empty")
    return Document(
        source=source,
        text=text,
        format=fmt,
        title=_text_field(item.get("title")),
        url=_text_field(item.get("url") or item.get("link")) or url,
        date=_parse_date(item.get("date") or item.get("published")),
        author=_text_field(item.get("author")),
        raw_hash=raw_hash,
    )


# -- PDF


def _parse_pdf(data: bytes, source: str, raw_hash: str, url: str | None) -> Document:
    """pypdf text extraction, pages joined by blank lines; title and author from metadata."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("PDF is encrypted: remove the password first")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        metadata = reader.metadata
        title = _text_field(metadata.title) if metadata is not None else None
        author = _text_field(metadata.author) if metadata is not None else None
    except IngestError:
        raise
    except pypdf.errors.DependencyError as e:
        raise IngestError(f"PDF is encrypted and cannot be opened: {_one_line(str(e))}") from e
    except Exception as e:  # pypdf raises many kinds of errors on malformed files
        reason = _one_line(str(e)) or type(e).__name__
        raise IngestError(f"not a readable PDF: {reason}") from e
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        raise IngestError("PDF has no text layer (scanned?); run OCR first")
    return Document(
        source=source,
        text=text,
        format="pdf",
        title=title,
        url=url,
        author=author,
        raw_hash=raw_hash,
    )
