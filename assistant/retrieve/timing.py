"""The time-aware retrieval step (`when`): a question's "latest", "this week", "since Monday"
or "before the talks" becomes a date window on retrieval, and "latest" puts newer sources first.

It runs for every engine and surface: `Query.when` is "auto" by default, which adds this
post-processor ahead of the others. Before retrieval it reads the question (assistant/retrieve/
when.py) against "now", dates an event by the library's earliest article about it, and narrows
the query's date filters; after retrieval it puts a long period's articles first, and orders
the hits newest first when asked to.

A period of a month or more ("in January", "last year") is a preference, not a restriction
(`TimeWindow.strict` is False): its articles come first, others may follow, since January's
events are reported in February too. A shorter period that ended before "now" ("yesterday",
"on Tuesday", "last week") also admits articles published up to two days after it: what
happened on a day is reported that day and the next ones.

"Now" is `Query.now` when given (tests, evaluations, "as if asked on"), else the newest
publication date in the library, but never later than today: a library is read as of its own
latest news, so "this week" in an archive means its last week, not an empty window.
An explicit date filter (`--since`, `--until`, `Filters.date_from/date_to`) always wins: the
window is then reported but not applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from assistant.models import Hit, TimeWindow
from assistant.parts import Parts
from assistant.query import Query
from assistant.retrieve.base import Search
from assistant.retrieve.when import at_event, mentions_time, read_when
from assistant.store.lexical import terms
from assistant.store.library import Library

REPORTING_LAG = dt.timedelta(days=2)  # news of a day is published that day and the next two
RELEVANT_SHARE = 0.5  # "latest": hits scoring at least this share of the best are re-ordered
EVENT_POOL = 50  # chunks searched for an event's words


def library_now(library: Library, today: dt.date) -> dt.date:
    """The newest publication date in the library, not after `today` (`today` when undated)."""
    return library.catalog.newest_date(library.name, today) or today


def event_date(library: Library, event: str, scope: list[str] | None = None) -> dt.date | None:
    """The publication date of the earliest article that mentions every word of the event."""
    wanted = set(terms(event))
    if not wanted:
        return None
    found = library.lexical().search(event, EVENT_POOL, scope)
    chunks = library.catalog.chunks_by_id(library.name, [c for c, _ in found])
    about = {c.article_id for c in chunks.values() if wanted <= set(terms(c.text))}
    if not about:
        return None
    stored = library.catalog.get_many(library.name, sorted(about))
    dates = [s.article.date for s in stored.values() if s.article.date is not None]
    return min(dates, default=None)


def newest_first(hits: list[Hit], dates: dict[str, dt.date | None]) -> list[Hit]:
    """The relevant hits (score >= half the best) by date, newest first; the others after."""
    if not hits:
        return hits
    floor = RELEVANT_SHARE * max(h.score for h in hits)
    relevant = [h for h in hits if h.score >= floor]
    rest = [h for h in hits if h.score < floor]
    oldest = dt.date.min
    relevant.sort(key=lambda h: (dates.get(h.chunk.article_id) or oldest, h.score), reverse=True)
    return relevant + rest


def _join(note: str | None, more: str) -> str:
    return f"{note}; {more}" if note else more


def filters_dated(query: Query) -> bool:
    """Whether the user gave a date filter of their own."""
    return query.filters.date_from is not None or query.filters.date_to is not None


def in_window_first(
    hits: list[Hit], dates: dict[str, dt.date | None], window: TimeWindow
) -> list[Hit]:
    """Hits of articles published in the window (with the reporting lag) first, each part in
    its order: a preference for a month or a year, not a restriction."""
    first = window.date_from or dt.date.min
    last = window.date_to + REPORTING_LAG if window.date_to is not None else dt.date.max

    def inside(hit: Hit) -> bool:
        day = dates.get(hit.chunk.article_id)
        return day is not None and first <= day <= last

    return [h for h in hits if inside(h)] + [h for h in hits if not inside(h)]


class TimeAware:
    """Reads time in the question: narrows the date filters, and orders 'latest' newest first."""

    def __init__(self, parts: Parts, today: Callable[[], dt.date] | None = None) -> None:
        self.library: Library = parts.library
        self.today = today or (lambda: dt.datetime.now(dt.UTC).date())

    def narrow(self, text: str, query: Query) -> tuple[Query, TimeWindow | None]:
        """The query with the question's window applied to its filters, and the window."""
        if not mentions_time(text):
            return query, None
        now = query.now or library_now(self.library, self.today())
        window = read_when(text, now)
        if window is None:
            return query, None
        if window.event is not None:
            day = event_date(self.library, window.event)
            if day is None:
                note = f"could not tell when {window.event!r} happened: no article mentions it"
                return query, window.model_copy(update={"applied": False, "note": note})
            window = at_event(window, day)
            window = window.model_copy(update={"note": f"{window.event}: first reported {day}"})
        if not window.restricts():
            return query, window
        if not window.strict:
            if filters_dated(query):
                note = "your date filter wins"
                return query, window.model_copy(update={"applied": False, "note": note})
            return query, window  # a preference: applied after retrieval, in `process`
        filters = query.filters
        if filters_dated(query):
            note = "your date filter wins"
            return query, window.model_copy(update={"applied": False, "note": note})
        last = window.date_to
        if window.date_from is not None and last is not None and last < now:
            last = min(now, last + REPORTING_LAG)  # a period, not a bound: its reports count
            window = window.model_copy(
                update={"note": _join(window.note, f"reports up to {last} included")}
            )
        narrowed = filters.model_copy(update={"date_from": window.date_from, "date_to": last})
        return query.model_copy(update={"filters": narrowed}), window

    def process(self, search: Search, hits: list[Hit], k: int) -> list[Hit]:
        window = search.window
        if window is None or not window.applied:
            return hits
        preferred = window.restricts() and not window.strict
        if not (window.newest_first or preferred):
            return hits
        ids = list(dict.fromkeys(h.chunk.article_id for h in hits))
        stored = self.library.catalog.get_many(self.library.name, ids)
        dates = {aid: s.article.date for aid, s in stored.items()}
        if preferred:
            hits = in_window_first(hits, dates, window)
        return newest_first(hits, dates) if window.newest_first else hits
