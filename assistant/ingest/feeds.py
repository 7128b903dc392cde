"""News feeds, sitemaps and URL lists -> the items to fetch (pure: bytes in, a Feed out).

Understood: RSS 2.0 (and 0.9x, and RSS 1.0/RDF), Atom 1.0, sitemaps (`<urlset>`, with Google
News `<news:publication_date>` and `<news:title>`), sitemap index files (`<sitemapindex>`: their
items are sitemaps), and lists of URLs.

A URL list is a `.urls` file, or a `.txt` file (or a text/plain response) whose every
non-blank line, apart from `#` comments, is an http(s) URL; a text with any other line is an
article. In a `.urls` file the other lines are reported. A URL may be followed by a `# note`.

XML is parsed with defusedxml (entity declarations refused: no "billion laughs", no external
entities); without defusedxml, the standard library's expat with entity declarations refused.
An item's link is resolved against the feed's URL; items are kept once, by link (without its
#fragment) and by guid, in feed order.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
import xml.etree.ElementTree as ET
import zlib
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import IngestError
from assistant.ingest.dates import parse_date_value

FeedKind = Literal["rss", "atom", "sitemap", "sitemapindex", "urls"]
FEED_EXTENSIONS = (".rss", ".atom", ".xml", ".urls")
MAX_UNZIPPED_BYTES = 100_000_000  # a gzipped sitemap may unpack to at most this

_ROOTS: dict[str, FeedKind] = {
    "rss": "rss",
    "rdf": "rss",
    "feed": "atom",
    "urlset": "sitemap",
    "sitemapindex": "sitemapindex",
}


class FeedItem(BaseModel):
    """One entry of a feed: the page to fetch and what the feed says about it."""

    model_config = ConfigDict(frozen=True)

    link: str = Field(description="absolute http(s) URL of the page")
    title: str | None = None
    date: dt.date | None = Field(None, description="published (else updated) date in the feed")
    author: str | None = None
    guid: str | None = Field(None, description="the item's id (RSS guid, Atom id)")
    stamp: str = Field("", description="the feed's raw dates of the item, to notice changes")

    @property
    def version(self) -> str:
        """Changes when the feed says the item changed (its guid, dates or link)."""
        return hashlib.sha256(
            "\x00".join((self.link, self.guid or "", self.stamp)).encode()
        ).hexdigest()[:16]


class Feed(BaseModel):
    """A parsed feed, sitemap, sitemap index or URL list."""

    model_config = ConfigDict(frozen=True)

    kind: FeedKind
    title: str | None = None
    items: list[FeedItem] = Field(default_factory=list)
    problems: list[str] = Field(
        default_factory=list, description="entries skipped and why (no link, not http(s))"
    )
    repeated: int = Field(0, description="entries dropped because an earlier one had the link")


# --- recognising ---------------------------------------------------------------------------------

_PROLOG = re.compile(
    rb"\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>\s*)*", re.S
)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def unzip(data: bytes) -> bytes:
    """Gunzip data that starts with the gzip magic (a .xml.gz sitemap); other data as is."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, MAX_UNZIPPED_BYTES + 1)
    except (zlib.error, gzip.BadGzipFile) as e:
        raise IngestError(f"broken gzip data: {e}") from e
    if len(out) > MAX_UNZIPPED_BYTES:
        raise IngestError(f"gzipped feed unpacks to more than {MAX_UNZIPPED_BYTES:,} bytes")
    return out


def feed_kind(data: bytes) -> FeedKind | None:
    """The kind of XML feed these bytes hold, judged by the root element; None if not a feed.

    >>> feed_kind(b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    'rss'
    >>> feed_kind(b"<html><body>Hi</body></html>") is None
    True
    """
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    prolog = _PROLOG.match(head)
    rest = head[prolog.end() :] if prolog else head
    root = _ROOT.match(rest)
    if root is None:
        return None
    return _ROOTS.get(root.group(2).decode("ascii", "replace").lower())


_COMMENT = re.compile(r"\s+#.*$")


def _url_list_lines(text: str) -> list[tuple[int, str]]:
    """(line number, content) of the non-blank, non-comment lines, trailing # notes removed."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.append((number, _COMMENT.sub("", stripped)))
    return out


def _is_http_url(text: str) -> bool:
    if any(c.isspace() for c in text):
        return False
    parts = urlsplit(text)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def is_url_list(text: str) -> bool:
    """True when every non-blank, non-comment line is an http(s) URL (and there is one).

    >>> is_url_list("# my sources\\nhttps://e.com/a\\nhttps://e.com/b  # the second\\n")
    True
    >>> is_url_list("https://e.com/a\\nA storm hit the coast.")
    False
    """
    lines = _url_list_lines(text)
    return bool(lines) and all(_is_http_url(line) for _, line in lines)


def parse_url_list(text: str) -> Feed:
    """The URLs of a URL list, each once; other lines are reported as problems."""
    items: list[FeedItem] = []
    problems: list[str] = []
    for number, line in _url_list_lines(text):
        if _is_http_url(line):
            items.append(FeedItem(link=line))
        else:
            problems.append(f"line {number}: not an http(s) URL: {line[:80]!r}")
    unique, repeated = _unique(items)
    return Feed(kind="urls", items=unique, problems=problems, repeated=repeated)


# --- XML -----------------------------------------------------------------------------------------


def parse_xml(data: bytes) -> ET.Element:
    """Parse untrusted XML safely; IngestError with the line and column when it is broken."""
    try:
        from defusedxml import ElementTree as DefusedET
        from defusedxml.common import DefusedXmlException
    except ImportError:  # pragma: no cover - defusedxml comes with gradio
        return parse_xml_stdlib(data)
    try:
        root: ET.Element = DefusedET.fromstring(data)
    except DefusedXmlException as e:
        raise IngestError(_refused(e)) from e
    except ET.ParseError as e:
        line, column = e.position
        raise IngestError(_broken(line, column, str(e).split(":")[0])) from e
    return root


class _EntityRefused(ValueError):
    pass


def parse_xml_stdlib(data: bytes) -> ET.Element:
    """The standard library's expat with entity declarations and external entities refused
    (what defusedxml does), for when defusedxml is not installed."""
    import xml.parsers.expat as expat

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")

    def name(raw: str) -> str:  # expat's 'uri}local' -> ElementTree's '{uri}local'
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attributes: dict[str, str]) -> None:
        builder.start(name(tag), {name(k): v for k, v in attributes.items()})

    def refuse(*args: object) -> None:
        raise _EntityRefused("entity declaration")

    def refuse_external(*args: object) -> int:
        raise _EntityRefused("external entity")

    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_external
    try:
        parser.Parse(data, True)
        return builder.close()
    except _EntityRefused as e:
        raise IngestError(_refused(e)) from e
    except expat.ExpatError as e:
        reason = expat.errors.messages.get(e.code, "error")
        raise IngestError(_broken(e.lineno, e.offset, reason)) from e


def _refused(error: Exception) -> str:
    return (
        f"XML refused for safety: it declares entities ({type(error).__name__}); feeds do not "
        "need them: ask the publisher for a plain feed"
    )


def _broken(line: int, column: int, reason: str) -> str:
    return (
        f"broken XML at line {line}, column {column + 1} ({reason}): the feed is not "
        "well-formed; check the URL is the feed itself, or ask its publisher to fix it"
    )


def _local(tag: object) -> str:
    """'{namespace}name' -> 'name', lower-cased."""
    return str(tag).rsplit("}", 1)[-1].lower()


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child_text(element: ET.Element, *names: str) -> str | None:
    """The text of the first child with one of these local names (in that order of names)."""
    for name in names:
        for child in element:
            if _local(child.tag) == name:
                text = _plain("".join(child.itertext()))
                if text:
                    return text
    return None


_TAGS = re.compile(r"<[^>]{0,500}>")


def _plain(text: str) -> str:
    """Whitespace collapsed; markup that a title carried as escaped HTML removed."""
    return " ".join(_TAGS.sub(" ", text).split())


def parse_feed(data: bytes, base_url: str | None = None) -> Feed:
    """Parse an RSS, Atom, sitemap or sitemap index document (gzipped or not).

    Relative links are resolved against `base_url` (the feed's URL); without one they are
    reported. Raises IngestError when the XML is broken or not a feed.
    """
    data = unzip(data)
    root = parse_xml(data)
    kind = _ROOTS.get(_local(root.tag))
    if kind is None:
        raise IngestError(
            f"XML whose root element is <{_local(root.tag)}>, not a feed: expected RSS <rss>, "
            "Atom <feed>, a sitemap <urlset> or a sitemap index <sitemapindex>"
        )
    if kind == "atom":
        title, entries = _child_text(root, "title"), _children(root, "entry")
        base = _base(root, base_url)
        raw = [_atom_item(entry, base) for entry in entries]
    elif kind == "rss":
        channel = next(iter(_children(root, "channel")), root)
        title = _child_text(channel, "title")
        entries = [e for e in root.iter() if _local(e.tag) == "item"]
        raw = [_rss_item(entry, base_url) for entry in entries]
    else:
        title = None
        entries = _children(root, "url" if kind == "sitemap" else "sitemap")
        raw = [_sitemap_item(entry, base_url) for entry in entries]
    items: list[FeedItem] = []
    problems: list[str] = []
    for number, outcome in enumerate(raw, start=1):
        if isinstance(outcome, FeedItem):
            items.append(outcome)
        else:
            problems.append(f"entry {number}: {outcome}")
    unique, repeated = _unique(items)
    return Feed(kind=kind, title=title, items=unique, problems=problems, repeated=repeated)


def _unique(items: list[FeedItem]) -> tuple[list[FeedItem], int]:
    """Items in order, each link (without #fragment) and each guid once; how many dropped."""
    seen: set[str] = set()
    out: list[FeedItem] = []
    for item in items:
        keys = {"link:" + urldefrag(item.link).url}
        if item.guid:
            keys.add("guid:" + item.guid)
        if keys & seen:
            continue
        seen |= keys
        out.append(item)
    return out, len(items) - len(out)


def _base(element: ET.Element, base_url: str | None) -> str | None:
    xml_base = element.get("{http://www.w3.org/XML/1998/namespace}base")
    if xml_base:
        return urljoin(base_url or "", xml_base) if base_url else xml_base
    return base_url


def _link(href: str | None, base_url: str | None) -> FeedItem | str:
    """An absolute http(s) link, or why not (returned as a str)."""
    if not href or not href.strip():
        return "no link"
    href = href.strip()
    if not urlsplit(href).scheme:
        if not base_url or not urlsplit(base_url).scheme.startswith("http"):
            return f"relative link {href[:80]!r} and no feed URL to resolve it against"
        href = urljoin(base_url, href)
    if not _is_http_url(href):
        return f"link {href[:80]!r} is not an http(s) URL"
    return FeedItem(link=href)


def _stamp(*values: str | None) -> str:
    return "|".join(v or "" for v in values)


def _rss_item(item: ET.Element, base_url: str | None) -> FeedItem | str:
    guid_element = next(iter(_children(item, "guid")), None)
    guid = _plain(guid_element.text or "") if guid_element is not None else None
    href = _child_text(item, "link")
    permalink = guid_element is not None and guid_element.get("isPermaLink", "true") != "false"
    if not href and guid and permalink:
        href = guid
    linked = _link(href, base_url)
    if isinstance(linked, str):
        return linked
    published = _child_text(item, "pubdate", "date", "published", "issued")
    updated = _child_text(item, "updated", "modified")
    return linked.model_copy(
        update={
            "title": _child_text(item, "title"),
            "date": parse_date_value(published) or parse_date_value(updated),
            "author": _child_text(item, "creator", "author"),
            "guid": guid or None,
            "stamp": _stamp(published, updated),
        }
    )


def _atom_item(entry: ET.Element, base_url: str | None) -> FeedItem | str:
    base = _base(entry, base_url)
    href = None
    for link in _children(entry, "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            href = link.get("href")
            break
    linked = _link(href, base)
    if isinstance(linked, str):
        return linked
    authors = [
        name
        for author in _children(entry, "author")
        if (name := _child_text(author, "name")) is not None
    ]
    published = _child_text(entry, "published", "issued")
    updated = _child_text(entry, "updated", "modified")
    return linked.model_copy(
        update={
            "title": _child_text(entry, "title"),
            "date": parse_date_value(published) or parse_date_value(updated),
            "author": ", ".join(authors) or None,
            "guid": _child_text(entry, "id"),
            "stamp": _stamp(published, updated),
        }
    )


def _sitemap_item(entry: ET.Element, base_url: str | None) -> FeedItem | str:
    linked = _link(_child_text(entry, "loc"), base_url)
    if isinstance(linked, str):
        return linked
    lastmod = _child_text(entry, "lastmod")
    news = next(iter(_children(entry, "news")), None)
    published = _child_text(news, "publication_date") if news is not None else None
    title = _child_text(news, "title") if news is not None else None
    # lastmod is when the page last changed, not when it was published: not a date for it
    return linked.model_copy(
        update={
            "title": title,
            "date": parse_date_value(published),
            "stamp": _stamp(published, lastmod),
        }
    )
