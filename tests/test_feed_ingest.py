"""Ingesting feeds, sitemaps and URL lists end to end: a news site on 127.0.0.1, the real catalog
and chromadb on disk, the hash embedder. Also the dates every article gets, and the catalog
column that keeps their source."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashEmbedder
from feed_server import FeedServer, Site, article, rss

from assistant.api import Assistant
from assistant.config import Settings
from assistant.ingest.loaders import iter_load
from assistant.models import Article, IngestReport
from assistant.store.sqlite_catalog import SqliteCatalog

RSS_TYPE = "application/rss+xml"
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def site() -> Iterator[Site]:
    with FeedServer() as served:
        yield served


def make_assistant(tmp_path: Path, **settings: object) -> Assistant:
    options: dict[str, object] = {"home": tmp_path / "home", "host_delay": 0.0, **settings}
    return Assistant(Settings(_env_file=None, **options), embedder=HashEmbedder())  # type: ignore[call-arg]


def stories(site: Site) -> dict[str, str]:
    """Three article pages: dated by metadata, by a dateline, and not at all."""
    return {
        "meta": site.route(
            "/news/meta",
            article(
                "Harbour reopens",
                "The harbour reopened on Monday after repairs. Ferries resumed service at noon",
                head='<meta property="article:published_time" content="2026-01-20T08:00:00Z">',
            ),
        ),
        "dateline": site.route(
            "/news/dateline",
            article(
                "Bridge closed",
                "The old bridge was closed to traffic. Engineers found cracks in two pillars",
                dateline="Published 21 January 2026",
            ),
        ),
        "undated": site.route(
            "/news/undated",
            article(
                "Library extends hours",
                "The city library will stay open until nine. Readers had asked for this",
            ),
        ),
    }


def by_url(articles: list[Article]) -> dict[str, Article]:
    return {a.url or a.source: a for a in articles}


def failures(report: IngestReport) -> dict[str, str]:
    return {item.source: item.reason or "" for item in report.failed}


def test_rss_feed_ingests_every_item_with_feed_metadata(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    feed = site.route(
        "/feed.xml",
        rss(
            "City news",
            [
                {
                    "title": "Harbour reopens after repairs",
                    "link": pages["meta"],
                    "pubDate": "Wed, 21 Jan 2026 10:00:00 GMT",
                    "author": "Jane Doe",
                },
                {
                    "title": "Bridge closed",
                    "link": pages["dateline"],
                    "pubDate": "Thu, 22 Jan 2026 10:00:00 GMT",
                },
                {
                    "title": "Library extends hours",
                    "link": pages["undated"],
                    "pubDate": "Fri, 23 Jan 2026 10:00:00 +0100",
                    "author": "Ann Lee",
                },
            ],
        ),
        RSS_TYPE,
    )
    assistant = make_assistant(tmp_path)
    report = assistant.ingest(feed)
    assert report.counts["added"] == 3 and report.ok, report.items
    got = by_url(assistant.articles())
    meta, dateline, undated = (got[pages[k]] for k in ("meta", "dateline", "undated"))
    assert (meta.title, meta.author) == ("Harbour reopens after repairs", "Jane Doe")  # the feed's
    assert (meta.date, meta.date_source) == (dt.date(2026, 1, 20), "metadata")
    # trafilatura (htmldate) reads the page's dateline itself: for HTML that counts as metadata
    assert (dateline.date, dateline.date_source) == (dt.date(2026, 1, 21), "metadata")
    assert (undated.date, undated.date_source) == (dt.date(2026, 1, 23), "feed")
    assert undated.author == "Ann Lee"
    assert meta.id == Article.id_for(pages["meta"], pages["meta"])  # ids from the URL, as usual
    # the date source is kept through the catalog
    stored = assistant.article(undated.id)
    assert (stored.date, stored.date_source) == (dt.date(2026, 1, 23), "feed")


def test_atom_feed(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    entries = "".join(
        f'<entry><title>{name}</title><link href="{url[len(site.url) :]}"/><id>{name}</id>'
        "<updated>2026-01-25T00:00:00Z</updated></entry>"
        for name, url in pages.items()
    )
    feed = site.route(
        "/atom.xml",
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>{entries}</feed>',
        "application/atom+xml",
    )
    assistant = make_assistant(tmp_path)
    report = assistant.ingest(feed)
    assert report.counts["added"] == 3, report.items
    undated = by_url(assistant.articles())[pages["undated"]]
    assert (undated.title, undated.date, undated.date_source) == (
        "undated",
        dt.date(2026, 1, 25),
        "feed",
    )


def test_broken_feed_is_one_clear_error_and_the_rest_ingests(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    broken = site.route("/broken.xml", "<rss><channel><item><title>x</channel></rss>", RSS_TYPE)
    assistant = make_assistant(tmp_path)
    report = assistant.ingest(broken, pages["meta"])
    assert failures(report) == {
        broken: "broken XML at line 1, column 31 (mismatched tag): the feed is not well-formed; "
        "check the URL is the feed itself, or ask its publisher to fix it"
    }
    assert report.counts["added"] == 1


def test_an_item_that_404s_is_named_and_the_others_ingest(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    gone = f"{site.url}/news/gone"
    feed = site.route(
        "/feed.xml",
        rss(
            "City news",
            [
                {"title": "Harbour", "link": pages["meta"]},
                {"title": "A story that was taken down", "link": gone},
                {"title": "Bridge", "link": pages["dateline"]},
            ],
        ),
        RSS_TYPE,
    )
    report = make_assistant(tmp_path).ingest(feed)
    assert report.counts["added"] == 2
    assert failures(report) == {
        gone: f"HTTP 404 Not Found (item 'A story that was taken down' of {feed})"
    }


def test_a_feed_that_repeats_items_ingests_each_once(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    feed = site.route(
        "/feed.xml",
        rss(
            "Repeats",
            [
                {"title": "Harbour", "link": pages["meta"], "guid": "1"},
                {"title": "Harbour again", "link": pages["meta"] + "#comments"},
                {"title": "Bridge", "link": pages["dateline"], "guid": "2"},
                {"title": "Same guid", "link": pages["undated"], "guid": "1"},
            ],
        ),
        RSS_TYPE,
    )
    second = site.route(
        "/feed2.xml", rss("Also", [{"title": "Bridge", "link": pages["dateline"]}]), RSS_TYPE
    )
    report = make_assistant(tmp_path).ingest(feed, second)
    assert report.counts["added"] == 2 and report.ok
    assert len(site.hits("/news/meta")) == 1
    assert len(site.hits("/news/dateline")) == 1  # also listed in the second feed
    assert site.hits("/news/undated") == []


def test_sitemap_and_sitemap_index(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    sitemap = site.route(
        "/sitemap-news.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{pages['undated']}</loc><lastmod>2026-02-01</lastmod>"
        "<news:news><news:publication_date>2026-01-24</news:publication_date>"
        "<news:title>Longer library hours</news:title></news:news></url>"
        f"<url><loc>{pages['dateline']}</loc></url></urlset>",
        "application/xml",
    )
    index = site.route(
        "/sitemap.xml",
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{sitemap}</loc></sitemap>"
        f"<sitemap><loc>{site.url}/sitemap-missing.xml</loc></sitemap></sitemapindex>",
        "text/xml",
    )
    assistant = make_assistant(tmp_path)
    report = assistant.ingest(index)
    assert report.counts["added"] == 2
    assert failures(report) == {
        f"{site.url}/sitemap-missing.xml": f"HTTP 404 Not Found (sitemap in {index})"
    }
    undated = by_url(assistant.articles())[pages["undated"]]
    assert (undated.title, undated.date, undated.date_source) == (
        "Longer library hours",
        dt.date(2026, 1, 24),
        "feed",
    )


def test_url_list_files(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    listed = tmp_path / "sources.txt"
    listed.write_text(f"# my sources\n{pages['meta']}\n\n{pages['dateline']}  # bridge\n")
    urls = tmp_path / "more.urls"
    urls.write_text(f"{pages['undated']}\nnot a url\n")
    report = make_assistant(tmp_path).ingest(listed, urls)
    assert report.counts["added"] == 3
    assert failures(report) == {
        f"{tmp_path.name}/more.urls": "line 2: not an http(s) URL: 'not a url'"
    }


def test_a_text_file_with_prose_is_an_article_and_a_folder_is_not_crawled(
    site: Site, tmp_path: Path
) -> None:
    pages = stories(site)
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "links.txt").write_text(pages["meta"] + "\n")
    (folder / "feed.xml").write_text(rss("x", [{"link": pages["meta"]}]))
    (tmp_path / "story.txt").write_text(f"Read {pages['meta']} for more.\nA storm hit the coast.\n")
    report = make_assistant(tmp_path).ingest(folder, tmp_path / "story.txt")
    assert report.counts["added"] == 2  # links.txt and story.txt as articles; feed.xml skipped
    assert site.hits("/news/meta") == []


def test_feed_file_with_relative_links_and_an_empty_feed(site: Site, tmp_path: Path) -> None:
    feed = tmp_path / "saved.rss"
    feed.write_text(rss("Saved", [{"title": "Relative", "link": "/news/meta"}]))
    empty = site.route("/empty.xml", rss("Empty", []), RSS_TYPE)
    report = make_assistant(tmp_path).ingest(feed, empty)
    assert failures(report) == {
        f"{tmp_path.name}/saved.rss": "entry 1: relative link '/news/meta' "
        "and no feed URL to resolve it against",
        empty: "the feed lists no items",
    }


def test_an_item_linking_to_a_feed_is_refused(site: Site, tmp_path: Path) -> None:
    inner = site.route("/inner.xml", rss("Inner", []), RSS_TYPE)
    outer = site.route("/outer.xml", rss("Outer", [{"title": "Feed", "link": inner}]), RSS_TYPE)
    report = make_assistant(tmp_path).ingest(outer)
    assert failures(report) == {
        inner: "a feed, not an article page: ingest it as a feed on its own "
        f"(item 'Feed' of {outer})"
    }


def test_too_many_items_are_cut_and_said(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    feed = site.route("/feed.xml", rss("Big", [{"link": url} for url in pages.values()]), RSS_TYPE)
    report = make_assistant(tmp_path, feed_max_items=2).ingest(feed)
    assert report.counts["added"] == 2
    assert failures(report) == {
        feed: "the feed lists 3 items; only the first 2 were taken "
        "(raise ASSISTANT_FEED_MAX_ITEMS for more)"
    }


def test_robots_txt_applies_to_items_not_to_urls_given_directly(site: Site) -> None:
    pages = stories(site)
    site.route("/robots.txt", "User-agent: *\nDisallow: /news/dateline\n", "text/plain")
    feed = site.route(
        "/feed.xml", rss("x", [{"link": pages["meta"]}, {"link": pages["dateline"]}]), RSS_TYPE
    )
    results = list(iter_load([feed, pages["dateline"]]))
    errors = [r.error for r in results]
    assert errors == [
        None,
        f"robots.txt of {site.url} disallows this URL: not fetched (item of {feed})",
        None,  # asked for by name: fetched like a browser would
    ]
    assert len(site.hits("/news/dateline")) == 1
    assert len(site.hits("/robots.txt")) == 1  # read once per site and run


def test_every_article_gets_a_date_and_its_source(tmp_path: Path) -> None:
    assistant = make_assistant(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dated.txt").write_text(
        "Storm hits coast\n\nUpdated 16:56, 03-Feb-2026\n\nA storm hit."
    )
    (folder / "plain.txt").write_text("Quiet day\n\nNothing happened in the town today at all.")
    (folder / "front.md").write_text("---\ndate: 2026-01-05\n---\n# Title\n\nSome text here.")
    assert assistant.ingest(folder).counts["added"] == 3
    got = {a.source: (a.date, a.date_source) for a in assistant.articles()}
    assert got == {
        "in/dated.txt": (dt.date(2026, 2, 3), "text"),
        "in/plain.txt": (TODAY, "ingested"),
        "in/front.md": (dt.date(2026, 1, 5), "metadata"),
    }


def test_catalog_from_before_date_sources_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE articles (
            library TEXT NOT NULL, id TEXT NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL,
            title TEXT NOT NULL, text TEXT NOT NULL, format TEXT NOT NULL, url TEXT, date TEXT,
            author TEXT, credits TEXT NOT NULL, content_hash TEXT NOT NULL,
            raw_hash TEXT NOT NULL, chunker TEXT NOT NULL, chunk_ids TEXT NOT NULL,
            ingested_at TEXT NOT NULL, PRIMARY KEY (library, id));
        INSERT INTO articles VALUES ('lib', 'a', 'a.txt', '/a.txt', 'A', 'Text.', 'txt', NULL,
            '2026-01-02', NULL, '[]', 'h', 'r', 'c', '[]', '2026-01-03T00:00:00+00:00');
        """
    )
    db.commit()
    db.close()
    catalog = SqliteCatalog(path)
    stored = catalog.get("lib", "a")
    assert stored is not None
    assert (stored.article.date, stored.article.date_source) == (dt.date(2026, 1, 2), None)
    columns = {row[1] for row in catalog._rows("PRAGMA table_info(articles)")}
    assert "date_source" in columns
    catalog.close()
    SqliteCatalog(path).close()  # opening it again changes nothing
