"""`assistant watch` and polite fetching, against a news site on 127.0.0.1 that logs what it
served: full responses vs 304s, robots.txt, the spacing of requests to one host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feed_server import FeedServer, Site, article, rss
from test_feed_ingest import RSS_TYPE, make_assistant, stories

from assistant.cli import main
from assistant.ingest.fetch import Fetcher
from assistant.watch import parse_interval

TESTS = Path(__file__).parent


@pytest.fixture
def site() -> Iterator[Site]:
    with FeedServer() as served:
        yield served


def feed_of(site: Site, links: list[str], **options: object) -> str:
    items = [{"title": f"Story {i}", "link": link, "guid": link} for i, link in enumerate(links)]
    return site.route("/feed.xml", rss("City news", items), RSS_TYPE, **options)


def test_second_poll_sends_the_etag_and_gets_a_304(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    feed = feed_of(site, list(pages.values()), etag='"v1"')
    assistant = make_assistant(tmp_path)
    first = assistant.poll(feed)
    assert first.count("added") == 3 and not first.failed
    second = assistant.poll(feed, number=2)
    assert [f.status for f in second.feeds] == ["not_modified"]
    assert second.count("added") == 0
    hits = site.hits("/feed.xml")
    assert [(h.status, h.if_none_match) for h in hits] == [(200, None), (304, '"v1"')]
    assert all(len(site.hits(path)) == 1 for path in ("/news/meta", "/news/undated"))
    assert "not modified" in second.summary()


def test_last_modified_is_sent_back(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    stamp = "Wed, 21 Jan 2026 10:00:00 GMT"
    feed = feed_of(site, [pages["meta"]], last_modified=stamp)
    assistant = make_assistant(tmp_path)
    assistant.poll(feed)
    assistant.poll(feed)
    hits = site.hits("/feed.xml")
    assert [(h.status, h.if_modified_since) for h in hits] == [(200, None), (304, stamp)]


def test_only_new_or_changed_items_are_fetched(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    assistant = make_assistant(tmp_path)
    feed = feed_of(site, [pages["meta"], pages["dateline"]])  # no validators: always 200
    assert assistant.poll(feed).count("added") == 2
    feed_of(site, [pages["meta"], pages["dateline"], pages["undated"]])  # a new item
    second = assistant.poll(feed, number=2)
    assert second.count("added") == 1
    assert [(f.n_items, f.known) for f in second.feeds] == [(3, 2)]
    assert [len(site.hits(f"/news/{k}")) for k in ("meta", "dateline", "undated")] == [1, 1, 1]
    # the feed re-dates an item: it is fetched again (its page is unchanged, so is the article)
    items = [
        {"title": "Story 0", "link": pages["meta"], "guid": pages["meta"]},
        {"title": "Story 1", "link": pages["dateline"], "guid": pages["dateline"]},
        {
            "title": "Story 2",
            "link": pages["undated"],
            "guid": pages["undated"],
            "pubDate": "Sat, 24 Jan 2026 08:00:00 GMT",
        },
    ]
    site.route("/feed.xml", rss("City news", items), RSS_TYPE)
    third = assistant.poll(feed, number=3)
    assert (third.count("added"), third.count("unchanged")) == (0, 1)
    assert len(site.hits("/news/undated")) == 2 and len(site.hits("/news/meta")) == 1


def test_a_failed_item_is_retried_and_the_feed_refetched(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    late = f"{site.url}/news/late"
    feed = feed_of(site, [pages["meta"], late], etag='"v1"')
    assistant = make_assistant(tmp_path)
    first = assistant.poll(feed)
    assert first.count("added") == 1
    assert first.failed == [f"{late}: HTTP 404 Not Found (item 'Story 1' of {feed})"]
    site.route(
        "/news/late",
        article("Late story", "This story was published later than the others. Now it is here"),
    )
    second = assistant.poll(feed, number=2)
    assert second.count("added") == 1 and not second.failed
    assert [h.if_none_match for h in site.hits("/feed.xml")] == [None, None]  # no 304 yet
    assert len(site.hits("/news/meta")) == 1


def test_robots_txt_disallowing_the_feed_or_an_item(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    site.route("/robots.txt", "User-agent: *\nDisallow: /news/undated\n", "text/plain")
    feed = feed_of(site, list(pages.values()))
    closed = site.route("/private/feed.xml", rss("Private", []), RSS_TYPE)
    site.route(
        "/robots.txt",
        "User-agent: *\nDisallow: /news/undated\nDisallow: /private/\n",
        "text/plain",
    )
    report = make_assistant(tmp_path).poll(feed, closed)
    assert [f.status for f in report.feeds] == ["fetched", "disallowed"]
    assert report.count("added") == 2
    assert site.hits("/news/undated") == [] and site.hits("/private/feed.xml") == []
    assert report.failed == [
        f"{closed}: robots.txt disallows it",
        f"{pages['undated']}: robots.txt of {site.url} disallows this URL: not fetched "
        f"(item 'Story 2' of {feed})",
    ]


def test_requests_to_one_host_are_spaced(site: Site, tmp_path: Path) -> None:
    pages = stories(site)
    feed = feed_of(site, list(pages.values()))
    delay = 0.3
    report = make_assistant(tmp_path, host_delay=delay).poll(feed)
    assert report.count("added") == 3
    times = [hit.at for hit in site.log]
    assert [h.path for h in site.log][:2] == ["/robots.txt", "/feed.xml"]
    assert len(times) == 5  # robots.txt, the feed, three pages
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= delay - 0.05, gaps


def test_crawl_delay_in_robots_txt_is_honoured(site: Site) -> None:
    site.route("/robots.txt", "User-agent: *\nCrawl-delay: 1\n", "text/plain")
    site.route("/a", "a")
    with Fetcher(host_delay=0.0) as fetcher:
        assert not fetcher.disallowed(site.url + "/a")
        fetcher.get(site.url + "/a")
        fetcher.get(site.url + "/a")
    first, second = (h.at for h in site.hits("/a"))
    assert second - first >= 0.95


def test_an_unreachable_robots_txt_allows_everything(site: Site) -> None:
    site.route("/robots.txt", "oops", status=500)
    with Fetcher() as fetcher:
        assert not fetcher.disallowed(site.url + "/anything")
    with Fetcher() as fetcher:  # nothing listens there
        assert not fetcher.disallowed("http://127.0.0.1:9/anything")


def test_watch_once_from_the_command_line(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = stories(site)
    feed = feed_of(site, [pages["meta"]])
    home = str(tmp_path / "home")
    env = {"ASSISTANT_HOST_DELAY": "0", "ASSISTANT_PLUGINS": "hash_plugin"}
    argv = ["--home", home, "watch", feed, "--once", "--library", "news"]
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setenv("ASSISTANT_EMBEDDER", "hash")
        patch.syspath_prepend(str(TESTS))
        assert main(argv) == 0
        first = capsys.readouterr().out
        feed_of(site, [pages["meta"], pages["dateline"]])
        assert main(argv) == 0
        second = capsys.readouterr().out
        feed_of(site, [pages["meta"], f"{site.url}/news/gone"])
        assert main(argv) == 1  # something failed: cron sees it
        third = capsys.readouterr().out
    assert "poll 1 at " in first and "1 added, 0 updated, 0 unchanged, 0 known" in first
    assert f"{feed}: 2 items, 1 added, 1 known" in second
    assert f"failed: {site.url}/news/gone: HTTP 404 Not Found" in third
    assert len(site.hits("/news/meta")) == 1


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("stop", "started"),
    [
        pytest.param(signal.SIGINT, None, id="ctrl-c"),
        # A background job of a script starts with SIGINT ignored; Ctrl-C must still stop it.
        pytest.param(signal.SIGINT, _ignore_sigint, id="ctrl-c-started-ignoring-it"),
        pytest.param(signal.SIGTERM, None, id="sigterm"),
    ],
)
def test_watch_stops_cleanly_on_ctrl_c(
    site: Site, tmp_path: Path, stop: int, started: Callable[[], None] | None
) -> None:
    pages = stories(site)
    feed = feed_of(site, [pages["meta"]])
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "ASSISTANT_HOST_DELAY": "0",
        "ASSISTANT_PLUGINS": "hash_plugin",
        "ASSISTANT_EMBEDDER": "hash",
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "watch", feed, "--every", "1h"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=started,
    )
    guard = threading.Timer(60, process.kill)  # never hang the suite
    guard.start()
    try:
        assert process.stdout is not None
        lines = []
        while not any(line.startswith("poll 1 at ") for line in lines):
            line = process.stdout.readline()
            assert line, "watch ended before its first poll"
            lines.append(line)
        time.sleep(0.2)  # in the pause between polls now
        process.send_signal(stop)
        out, err = process.communicate(timeout=30)
    finally:
        guard.cancel()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "1 added" in "".join(lines)
    assert "watch stopped after 1 poll(s)" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("30m", 1800.0, id="minutes"),
        pytest.param("1h", 3600.0, id="hours"),
        pytest.param("90s", 90.0, id="seconds"),
        pytest.param("1h30m", 5400.0, id="combined"),
        pytest.param("45", 45.0, id="bare-number"),
        pytest.param("0.5m", 30.0, id="fraction"),
    ],
)
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "30x", "0m", "-5m", "m"])
def test_parse_interval_errors(text: str) -> None:
    with pytest.raises(ValueError, match="is not an interval"):
        parse_interval(text)
