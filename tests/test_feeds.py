"""Tests for assistant.ingest.feeds: parsing feeds, sitemaps and URL lists (pure, no network)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from assistant.errors import IngestError
from assistant.ingest.feeds import (
    feed_kind,
    is_url_list,
    parse_feed,
    parse_url_list,
    parse_xml,
    parse_xml_stdlib,
)

BASE = "https://news.example.com/feeds/world.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>World news</title>
  <item>
    <title>Storm hits the coast</title>
    <link>https://news.example.com/2026/02/03/storm</link>
    <guid isPermaLink="false">storm-1</guid>
    <pubDate>Tue, 03 Feb 2026 23:30:00 -0500</pubDate>
    <dc:creator>Jane Doe</dc:creator>
  </item>
  <item>
    <title><![CDATA[Talks <b>resume</b> in Geneva]]></title>
    <link>/world/talks</link>
    <pubDate>Mon, 02 Feb 2026 09:00:00 GMT</pubDate>
    <author>desk@example.com (Ann Lee)</author>
  </item>
  <item>
    <title>Guid only</title>
    <guid>https://news.example.com/world/guid-only</guid>
  </item>
</channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/">
  <title type="text">Science blog</title>
  <entry>
    <title>Comet seen</title>
    <link rel="alternate" href="posts/comet"/>
    <link rel="edit" href="https://blog.example.org/edit/1"/>
    <id>tag:blog.example.org,2026:1</id>
    <published>2026-02-01T08:00:00+01:00</published>
    <updated>2026-02-02T10:00:00Z</updated>
    <author><name>Ana</name></author>
    <author><name>Ben</name></author>
  </entry>
  <entry>
    <title>Only updated</title>
    <link href="https://blog.example.org/posts/updated"/>
    <id>tag:blog.example.org,2026:2</id>
    <updated>2026-01-30T23:59:00-08:00</updated>
  </entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel><title>Old style</title></channel>
  <item><title>One</title><link>https://e.com/one</link><dc:date>2026-01-05</dc:date></item>
</rdf:RDF>"""

SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://e.com/a</loc>
    <lastmod>2026-02-05</lastmod>
    <news:news><news:publication_date>2026-02-03T12:00:00+00:00</news:publication_date>
      <news:title>Article A</news:title></news:news>
  </url>
  <url><loc>https://e.com/b</loc><lastmod>2026-02-04</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://e.com/sitemap-1.xml</loc><lastmod>2026-02-01</lastmod></sitemap>
  <sitemap><loc>https://e.com/sitemap-2.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_rss_items_keep_titles_dates_and_authors() -> None:
    feed = parse_feed(RSS, base_url=BASE)
    assert (feed.kind, feed.title, feed.problems, feed.repeated) == ("rss", "World news", [], 0)
    first, second, third = feed.items
    assert first.link == "https://news.example.com/2026/02/03/storm"
    assert (first.title, first.author, first.guid) == (
        "Storm hits the coast",
        "Jane Doe",
        "storm-1",
    )
    assert first.date == dt.date(2026, 2, 3)  # the day as written, not 4 February in UTC
    assert second.link == "https://news.example.com/world/talks"  # resolved against the feed
    assert second.title == "Talks resume in Geneva"  # markup in a title removed
    assert second.author == "desk@example.com (Ann Lee)"
    assert third.link == "https://news.example.com/world/guid-only"  # a permalink guid
    assert third.date is None


def test_atom_entries() -> None:
    feed = parse_feed(ATOM, base_url="https://blog.example.org/feed.atom")
    assert (feed.kind, feed.title) == ("atom", "Science blog")
    comet, updated = feed.items
    assert comet.link == "https://blog.example.org/posts/comet"  # xml:base, rel=alternate
    assert (comet.author, comet.guid) == ("Ana, Ben", "tag:blog.example.org,2026:1")
    assert comet.date == dt.date(2026, 2, 1)  # published, not updated
    assert updated.date == dt.date(2026, 1, 30)  # no published: updated, in its own zone


def test_rss_1_rdf() -> None:
    feed = parse_feed(RDF)
    assert feed.kind == "rss"
    [item] = feed.items
    assert (item.link, item.title, item.date) == ("https://e.com/one", "One", dt.date(2026, 1, 5))


def test_sitemap_news_dates_but_not_lastmod() -> None:
    feed = parse_feed(SITEMAP)
    a, b = feed.items
    assert feed.kind == "sitemap"
    assert (a.link, a.title, a.date) == ("https://e.com/a", "Article A", dt.date(2026, 2, 3))
    assert (b.link, b.date) == ("https://e.com/b", None)  # lastmod is a change, not publication
    assert "2026-02-04" in b.stamp  # but a change of lastmod is noticed


def test_sitemap_index_lists_sitemaps() -> None:
    feed = parse_feed(INDEX)
    assert feed.kind == "sitemapindex"
    assert [i.link for i in feed.items] == [
        "https://e.com/sitemap-1.xml",
        "https://e.com/sitemap-2.xml.gz",
    ]


def test_gzipped_sitemap() -> None:
    assert [i.link for i in parse_feed(gzip.compress(SITEMAP)).items] == [
        "https://e.com/a",
        "https://e.com/b",
    ]


def test_repeated_items_are_kept_once() -> None:
    data = b"""<rss version="2.0"><channel><title>T</title>
      <item><link>https://e.com/a</link><guid isPermaLink="false">1</guid></item>
      <item><link>https://e.com/a#comments</link></item>
      <item><link>https://e.com/b</link><guid isPermaLink="false">1</guid></item>
      <item><link>https://e.com/c</link></item>
      <item><link>https://e.com/a</link></item>
    </channel></rss>"""
    feed = parse_feed(data)
    assert [i.link for i in feed.items] == ["https://e.com/a", "https://e.com/c"]
    assert feed.repeated == 3


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        pytest.param("<title>x</title>", "entry 1: no link", id="no-link"),
        pytest.param(
            "<link>/a</link>",
            "entry 1: relative link '/a' and no feed URL to resolve it against",
            id="relative-in-a-file",
        ),
        pytest.param(
            "<link>mailto:desk@e.com</link>",
            "entry 1: link 'mailto:desk@e.com' is not an http(s) URL",
            id="mailto",
        ),
    ],
)
def test_items_without_a_usable_link_are_reported(item: str, problem: str) -> None:
    data = f'<rss version="2.0"><channel><item>{item}</item></channel></rss>'.encode()
    feed = parse_feed(data)
    assert (feed.items, feed.problems) == ([], [problem])


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param(b'<rss version="2.0"><channel><item>', "line 1, column 35", id="truncated"),
        pytest.param(b"<rss>\n<channel></rss>", "line 2, column 12", id="mismatched-tag"),
        pytest.param(b"<rss><title>AT&T</title></rss>", "line 1, column 17", id="bare-ampersand"),
    ],
)
def test_broken_xml_says_where(data: bytes, where: str) -> None:
    with pytest.raises(IngestError, match="broken XML at " + where) as error:
        parse_feed(data)
    assert "check the URL is the feed itself" in str(error.value)
    with pytest.raises(IngestError) as same:
        parse_xml_stdlib(data)
    assert str(same.value) == str(error.value)


def test_xml_that_is_not_a_feed() -> None:
    with pytest.raises(IngestError, match=r"root element is <note>, not a feed"):
        parse_feed(b"<note><to>Tove</to></note>")


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<rss version="2.0"><channel><title>&c;</title></channel></rss>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&secret;</title></channel></rss>"""


@pytest.mark.parametrize("parse", [parse_xml, parse_xml_stdlib], ids=["defusedxml", "stdlib"])
@pytest.mark.parametrize("data", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused(parse: object, data: bytes) -> None:
    with pytest.raises(IngestError, match="XML refused for safety: it declares entities"):
        parse(data)  # type: ignore[operator]


@pytest.mark.parametrize("parse", [parse_xml, parse_xml_stdlib], ids=["defusedxml", "stdlib"])
def test_both_parsers_read_a_plain_feed(parse: object) -> None:
    root = parse(RSS)  # type: ignore[operator]
    assert root.tag == "rss"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        pytest.param(RSS, "rss", id="rss"),
        pytest.param(ATOM, "atom", id="atom"),
        pytest.param(RDF, "rss", id="rdf"),
        pytest.param(SITEMAP, "sitemap", id="sitemap"),
        pytest.param(INDEX, "sitemapindex", id="index"),
        pytest.param(b"\xef\xbb\xbf<!-- hi -->\n<feed/>", "atom", id="bom-and-comment"),
        pytest.param(b'<!DOCTYPE rss SYSTEM "x.dtd">\n<rss/>', "rss", id="doctype"),
        pytest.param(b"<!DOCTYPE html><html><body>hi</body></html>", None, id="html"),
        pytest.param(b"Just some text.", None, id="text"),
    ],
)
def test_feed_kind(data: bytes, kind: str | None) -> None:
    assert feed_kind(data) == kind


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        pytest.param("https://e.com/a\nhttp://e.com/b\n", True, id="urls"),
        pytest.param("# sources\n\nhttps://e.com/a  # the main one\n", True, id="comments"),
        pytest.param("https://e.com/a\nA storm hit the coast.\n", False, id="prose-line"),
        pytest.param("# only a comment\n", False, id="no-url"),
        pytest.param("ftp://e.com/a\n", False, id="ftp"),
        pytest.param("https://e.com/a b\n", False, id="url-and-words"),
        pytest.param("", False, id="empty"),
    ],
)
def test_url_list_rule(text: str, listed: bool) -> None:
    assert is_url_list(text) is listed


def test_a_urls_file_reports_its_other_lines() -> None:
    feed = parse_url_list("https://e.com/a\nnot a url\nhttps://e.com/a#x\nhttps://e.com/b\n")
    assert feed.kind == "urls"
    assert [i.link for i in feed.items] == ["https://e.com/a", "https://e.com/b"]
    assert feed.problems == ["line 2: not an http(s) URL: 'not a url'"]
    assert feed.repeated == 1


def test_an_item_version_changes_when_the_feed_dates_it_anew() -> None:
    before = parse_feed(RSS).items[0]
    after = parse_feed(RSS.replace(b"23:30:00 -0500", b"23:45:00 -0500")).items[0]
    assert before.link == after.link and before.version != after.version
    assert parse_feed(RSS).items[0].version == before.version
