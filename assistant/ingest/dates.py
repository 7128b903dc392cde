"""Publication dates you can rely on (pure): which day an article was published, and how we know.

Every article gets a date and a `date_source`, tried in this order:

1. `metadata`: what the source declares: `<meta property="article:published_time">`, JSON-LD
   `datePublished`, other publication meta tags and `<time itemprop="datePublished">`, then
   trafilatura's date for HTML; front matter or a `date` field for Markdown and JSON.
2. `text`: a dateline in the title or the first ~1,000 characters of the text: "Published
   3 February 2026", "Updated 16:56, 03-Feb-2026", "Feb. 3, 2026, 4:08 p.m. ET", "2026-02-03", a
   line that is mostly a date, or an agency dateline "WASHINGTON, Feb 3 (Reuters) -" (its year
   is the latest one that is not in the future). A "published" date beats a bare dateline, which
   beats an "updated" one; dates inside sentences ("signed on Jan. 14, 2025, ...") are ignored.
3. `feed`: the date the RSS/Atom feed or news sitemap gave the item.
4. `url`: a date in the URL's path: /2026/02/03/, /2026-02-03-, /2026/feb/03/, /20260203/.
5. `ingested`: the day it was ingested (UTC).

A date is the calendar day as the source writes it, in its own time zone: "2026-02-03T23:30
-05:00" is 3 February, not 4 February in UTC. A date later than the ingest time plus one day is
never used (a typo, or a scheduled "embargo" date): the next source is tried instead.

Numeric dates with the day and month both 12 or less ("03/02/2026") are read with the page's
own hints: an unambiguous numeric date elsewhere in it ("25/12/2025" or "12/25/2025") decides;
else its written dates ("February 3, 2026" month-first, US style; "3 February 2026" day-first);
else US time zones ("ET", "PST") mean month-first; else day-first, as most of the world writes.
A reading that would be in the future gives way to the other. `<html lang>` is not a hint:
WordPress writes en-US on most English-language sites, wherever they are.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import DATE_SOURCES, DateSource

HEAD_CHARS = 1000  # how much of the text a dateline may be in
HINT_CHARS = 20_000  # how much of the text is read for day/month order hints
FUTURE_SLACK = dt.timedelta(days=1)


class DatedBy(BaseModel):
    """A publication date and where it came from."""

    model_config = ConfigDict(frozen=True)

    date: dt.date
    source: DateSource


# --- choosing ------------------------------------------------------------------------------------


def latest_allowed(now: dt.datetime | dt.date) -> dt.date:
    """The latest publication date believable at `now`: the next day (time zones run ahead)."""
    day = now.date() if isinstance(now, dt.datetime) else now
    return day + FUTURE_SLACK


def choose_date(
    *,
    now: dt.datetime,
    metadata: dt.date | None = None,
    text: str = "",
    title: str | None = None,
    feed: dt.date | None = None,
    url: str | None = None,
) -> DatedBy:
    """The publication date by the rules above; `now` is the ingest time.

    >>> now = dt.datetime(2026, 2, 4, 12, 0, tzinfo=dt.UTC)
    >>> choose_date(now=now, text="Published 3 February 2026\\n\\nA storm hit.")
    DatedBy(date=datetime.date(2026, 2, 3), source='text')
    >>> choose_date(now=now, metadata=dt.date(2027, 1, 1), feed=dt.date(2026, 2, 2)).source
    'feed'
    """
    limit = latest_allowed(now)
    if metadata is not None and metadata <= limit:
        return DatedBy(date=metadata, source="metadata")
    found = date_from_text(text, title, now=now)
    if found is not None:
        return DatedBy(date=found, source="text")
    if feed is not None and feed <= limit:
        return DatedBy(date=feed, source="feed")
    in_url = date_from_url(url, now=now)
    if in_url is not None:
        return DatedBy(date=in_url, source="url")
    day = now.date() if now.tzinfo is None else now.astimezone(dt.UTC).date()
    return DatedBy(date=day, source="ingested")


# --- values: metadata fields, feed dates ---------------------------------------------------------

_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date_value(value: object) -> dt.date | None:
    """A date from a metadata or feed value: ISO 8601, RFC 2822, or a written date.

    The day is the one written (its own time zone), never converted to UTC.

    >>> parse_date_value("Tue, 03 Feb 2026 23:30:00 -0500")
    datetime.date(2026, 2, 3)
    >>> parse_date_value("2026-02-03T23:30:00-05:00"), parse_date_value("Feb. 3, 2026")
    (datetime.date(2026, 2, 3), datetime.date(2026, 2, 3))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    iso = _ISO_DAY.match(text)
    if iso is not None:
        return _day(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (ValueError, TypeError, IndexError, OverflowError):
        pass
    for match in _matches(text):
        readings = match.readings(_Hints())
        if readings:
            return readings[0]
    return None


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# --- text: datelines -----------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<{name}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?P<{name}>(?:19|20)\d\d)(?!\d)"
_DAY = r"(?P<{name}>[0-3]?\d)(?:st|nd|rd|th)?"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2026-02-03, 2026/02/03, 2026.02.03 (with or without a time after it)
    (
        "ymd",
        re.compile(r"(?<![\d/.-])(?P<y>(?:19|20)\d\d)([-/.])(?P<m>[01]?\d)\2(?P<d>[0-3]?\d)(?!\d)"),
    ),
    # Feb. 3, 2026 / February 3rd 2026 / Tuesday, Feb 3, 2026
    (
        "mdy_named",
        re.compile(
            r"\b" + _MONTH.format(name="m") + r"\s+" + _DAY.format(name="d") + r"(?!\d)"
            r"(?:\s*,\s*|\s+)" + _YEAR.format(name="y"),
            re.IGNORECASE,
        ),
    ),
    # 3 February 2026 / 3rd of Feb, 2026 / 03-Feb-2026 / 3.Feb.2026
    (
        "dmy_named",
        re.compile(
            r"(?<![\d])" + _DAY.format(name="d") + r"(?:\s+of)?[\s./-]+"
            r"" + _MONTH.format(name="m") + r"(?:\s*,\s*|[\s./-]+)" + _YEAR.format(name="y"),
            re.IGNORECASE,
        ),
    ),
    # 03/02/2026, 3-2-2026, 03.02.2026: day and month order decided by hints
    (
        "numeric",
        re.compile(r"(?<![\d/.-])(?P<a>[0-3]?\d)([-/.])(?P<b>[0-3]?\d)\2" + _YEAR.format(name="y")),
    ),
]
# An agency dateline without a year: "WASHINGTON, Feb 3 (Reuters) -"
_AGENCY = re.compile(
    r"^[A-Z][A-Za-z .'/-]{1,40},?\s+(?:[A-Z][A-Za-z.]+,?\s+)?"
    + _MONTH.format(name="m")
    + r"\s+"
    + _DAY.format(name="d")
    + r"\s*\((?:Reuters|AP|AFP|UPI|Bloomberg|dpa|IANS|PTI|ANI|Xinhua)\)",
    re.IGNORECASE | re.MULTILINE,
)
_PUBLISHED = re.compile(
    r"\b(?:first\s+)?(?:published|posted|publication\s+date|date\s+published)\b"
    r"|\b(?:date|released|issued|dated)\s*:",
    re.IGNORECASE,
)
_UPDATED = re.compile(
    r"\b(?:last\s+)?(?:updated|modified|edited|revised|amended)\b|\bupdate\b", re.IGNORECASE
)
_US_ZONE = re.compile(r"\b(?:ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT)\b")
_TIME = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2}){1,2}\s*(?:[ap]\.?m\.?)?|\b\d{1,2}\s*[ap]\.?m\.?", re.IGNORECASE
)
_FILLER = re.compile(
    r"\b(?:on|at|by|and|the|from|of|in|am|pm|a\.m\.|p\.m\.|gmt|utc|bst|cet|cest|ist|jst|aest"
    r"|et|est|edt|ct|cst|cdt|mt|mst|mdt|pt|pst|pdt|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|read|min|mins|minutes?"
    r"|time|reading|hours?|ago|local|am|pm)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


@dataclass(frozen=True, slots=True)
class _Hints:
    """What the page says about the order of day and month in numeric dates."""

    month_first: bool = False


@dataclass(frozen=True, slots=True)
class _Match:
    """One date written in the text, with its place."""

    kind: str
    start: int
    end: int
    year: int
    first: int  # month (named and ymd kinds) or the first number (numeric)
    second: int  # day (named and ymd kinds) or the second number (numeric)

    def readings(self, hints: _Hints) -> list[dt.date]:
        """The dates this can be, most likely first."""
        if self.kind != "numeric":
            day = _day(self.year, self.first, self.second)
            return [day] if day is not None else []
        day_first = _day(self.year, self.second, self.first)
        month_first = _day(self.year, self.first, self.second)
        order = [month_first, day_first] if hints.month_first else [day_first, month_first]
        return list(dict.fromkeys(d for d in order if d is not None))


def _matches(text: str) -> Iterator[_Match]:
    """Every written date with day, month and year, in text order; overlaps keep the first."""
    found: list[_Match] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if kind == "numeric":
                first, second = int(groups["a"]), int(groups["b"])
            else:
                month = groups["m"]
                first = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
                second = int(groups["d"])
            found.append(
                _Match(
                    kind=kind,
                    start=m.start(),
                    end=m.end(),
                    year=int(groups["y"]),
                    first=first,
                    second=second,
                )
            )
    found.sort(key=lambda match: (match.start, -match.end))
    last_end = -1
    for match in found:
        if match.start >= last_end:
            last_end = match.end
            yield match


def order_hints(text: str) -> _Hints:
    """Whether numeric dates in this text are month-first (see the module docstring)."""
    sample = text[:HINT_CHARS]
    matches = list(_matches(sample))
    day_first = sum(1 for m in matches if m.kind == "numeric" and m.first > 12 >= m.second)
    month_first = sum(1 for m in matches if m.kind == "numeric" and m.second > 12 >= m.first)
    if day_first != month_first:
        return _Hints(month_first=month_first > day_first)
    us_style = sum(1 for m in matches if m.kind == "mdy_named")
    world_style = sum(1 for m in matches if m.kind == "dmy_named")
    if us_style != world_style:
        return _Hints(month_first=us_style > world_style)
    return _Hints(month_first=bool(_US_ZONE.search(sample)))


# Tiers of a dateline date, most trusted first.
_TIER_PUBLISHED = 0
_TIER_DATELINE = 1
_TIER_UPDATED = 2
_TIER_AGENCY = 3
_TIER_TITLE = 4


def date_from_text(
    text: str, title: str | None = None, *, now: dt.datetime | dt.date, head: int = HEAD_CHARS
) -> dt.date | None:
    """The publication date a dateline in the text's first `head` characters (or the title)
    gives, or None. See the module docstring for the rules.

    >>> now = dt.date(2026, 2, 4)
    >>> date_from_text("Jan. 14, 2026 Updated Feb. 4, 2026, 6:43 p.m. ET\\n\\nText.", now=now)
    datetime.date(2026, 1, 14)
    >>> date_from_text("The bill was signed on Jan. 14, 2025, in Washington.", now=now) is None
    True
    """
    limit = latest_allowed(now)
    hints = order_hints(text)
    best: tuple[int, int, dt.date] | None = None
    for tier, position, readings in _candidates(text[:head], title, now, hints):
        allowed = [day for day in readings if day <= limit]
        if allowed and (best is None or (tier, position) < best[:2]):
            best = (tier, position, allowed[0])
    return best[2] if best is not None else None


def _candidates(
    text: str, title: str | None, now: dt.datetime | dt.date, hints: _Hints
) -> Iterator[tuple[int, int, list[dt.date]]]:
    """(tier, position, readings) of every dateline-like date in the text and the title."""
    previous_end: dict[int, int] = {}  # line start -> end of the last date on that line
    for match in _matches(text):
        line_start = text.rfind("\n", 0, match.start) + 1
        line_end = text.find("\n", match.end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        before = text[previous_end.get(line_start, line_start) : match.start]
        previous_end[line_start] = match.end
        keyword = _last_keyword(before)
        readings = match.readings(hints)
        if keyword == "published":
            yield _TIER_PUBLISHED, match.start, readings
        elif keyword == "updated":
            yield _TIER_UPDATED, match.start, readings
        elif _is_dateline(line):
            yield _TIER_DATELINE, match.start, readings
    agency = _AGENCY.search(text)
    if agency is not None:
        month = _MONTHS[agency.group("m")[:3].lower()]
        day = int(agency.group("d"))
        guess = _latest_year(month, day, now)
        if guess is not None:
            yield _TIER_AGENCY, agency.start(), [guess]
    if title:
        for match in _matches(title):
            yield _TIER_TITLE, match.start, match.readings(hints)


def _last_keyword(before: str) -> str | None:
    """'published' or 'updated' when such a word leads up to the date (within 40 characters)."""
    window = before[-40:]
    published = [m.end() for m in _PUBLISHED.finditer(window)]
    updated = [m.end() for m in _UPDATED.finditer(window)]
    if not published and not updated:
        return None
    return "published" if max(published, default=-1) > max(updated, default=-1) else "updated"


def _is_dateline(line: str) -> bool:
    """A line that is mostly a date: besides dates, times, zones and weekdays, at most 8 words,
    at most one of them lower-case (a byline's name and agency are capitalised, a sentence
    is not)."""
    rest = line
    for _, pattern in _PATTERNS:
        rest = pattern.sub(" ", rest)
    rest = _TIME.sub(" ", rest)
    rest = _PUBLISHED.sub(" ", rest)
    rest = _UPDATED.sub(" ", rest)
    rest = _FILLER.sub(" ", rest)
    words = _WORD.findall(rest)
    lower = sum(1 for w in words if w[0].islower())
    return len(words) <= 8 and lower <= 1


def _latest_year(month: int, day: int, now: dt.datetime | dt.date) -> dt.date | None:
    """The latest date with this month and day that is not after `now` plus one day."""
    limit = latest_allowed(now)
    for year in (limit.year, limit.year - 1):
        candidate = _day(year, month, day)
        if candidate is not None and candidate <= limit:
            return candidate
    return None


# --- URLs ----------------------------------------------------------------------------------------

_URL_DATES = [
    re.compile(
        r"/(?P<y>(?:19|20)\d\d)/(?P<m>0?[1-9]|1[0-2])/(?P<d>0?[1-9]|[12]\d|3[01])(?:/|$|[-_.])"
    ),
    re.compile(
        r"[/_-](?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?:/|$|[-_.])"
    ),
    re.compile(
        r"/(?P<y>(?:19|20)\d\d)/(?P<m>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*/"
        r"(?P<d>0?[1-9]|[12]\d|3[01])(?:/|$)",
        re.IGNORECASE,
    ),
    re.compile(r"/(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?:/|$)"),
]


def date_from_url(url: str | None, *, now: dt.datetime | dt.date) -> dt.date | None:
    """A full date in a URL's path, or None.

    >>> date_from_url("https://e.com/news/2026/02/03/storm/", now=dt.date(2026, 3, 1))
    datetime.date(2026, 2, 3)
    >>> date_from_url("https://www.theguardian.com/world/2026/feb/03/x", now=dt.date(2026, 3, 1))
    datetime.date(2026, 2, 3)
    """
    if not url:
        return None
    path = url.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else ""
    path = path.split("?", 1)[0].split("#", 1)[0]
    for pattern in _URL_DATES:
        m = pattern.search(path)
        if m is None:
            continue
        month = m.group("m")
        number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
        day = _day(int(m.group("y")), number, int(m.group("d")))
        if day is not None and day <= latest_allowed(now):
            return day
    return None


# --- HTML metadata -------------------------------------------------------------------------------

# meta names/properties that carry a publication date, most specific first
_META_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "article_date_original",
    "publish-date",
    "publish_date",
    "publishdate",
    "published_time",
    "published-date",
    "publication_date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "citation_publication_date",
    "citation_date",
    "cxenseparse:recs:publishtime",
    "pubdate",
    "dc.date",
    "date",
)


class _MetaParser(HTMLParser):
    """Collects date meta tags, <time> elements and JSON-LD scripts (stops at nothing: JSON-LD
    may be in the body)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.times: list[str] = []
        self.scripts: list[str] = []
        self._in_ld = False
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = values.get("property") or values.get("name") or values.get("itemprop") or ""
            content = values.get("content") or values.get("datetime") or ""
            if key and content and key.lower() not in self.meta:
                self.meta[key.lower()] = content
        elif tag == "time":
            published = values.get("itemprop", "").lower() == "datepublished" or "pubdate" in values
            if published and values.get("datetime"):
                self.times.append(values["datetime"])
        elif tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self._in_ld = True
            self._buffer = []
        elif values.get("itemprop", "").lower() == "datepublished":
            found = values.get("content") or values.get("datetime")
            if found:
                self.times.append(found)

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self._buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_ld:
            self._in_ld = False
            self.scripts.append("".join(self._buffer))


def date_from_html(html: str) -> dt.date | None:
    """The publication date an HTML page declares (meta tags, JSON-LD, <time>), or None.

    >>> date_from_html('<meta property="article:published_time" content="2026-02-03T09:00Z">')
    datetime.date(2026, 2, 3)
    """
    parser = _MetaParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    for key in _META_KEYS[:2]:
        day = parse_date_value(parser.meta.get(key))
        if day is not None:
            return day
    for script in parser.scripts:
        for value in _json_ld_dates(script):
            day = parse_date_value(value)
            if day is not None:
                return day
    for key in _META_KEYS[2:]:
        day = parse_date_value(parser.meta.get(key))
        if day is not None:
            return day
    for value in parser.times:
        day = parse_date_value(value)
        if day is not None:
            return day
    return None


_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{6,40})"')


def _json_ld_dates(script: str) -> list[str]:
    """datePublished values in a JSON-LD block (regex when the JSON is broken)."""
    try:
        data = json.loads(script)
    except (json.JSONDecodeError, RecursionError):
        return _LD_DATE.findall(script)
    return list(_find_key(data, "datePublished"))


def _find_key(value: object, key: str, depth: int = 0) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(value, dict):
        found = value.get(key)
        if isinstance(found, str):
            yield found
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _find_key(child, key, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _find_key(child, key, depth + 1)


def count_sources(sources: Sequence[DateSource]) -> dict[str, int]:
    """How many dates came from each source, every source present (for reports)."""
    return {source: sum(1 for s in sources if s == source) for source in DATE_SOURCES}


# --- relative expressions in the text ------------------------------------------------------------

_WEEKDAY_NUMBER = {
    name: i
    for i, name in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
}
_RELATIVE_TEXT = re.compile(
    r"\b(?:(?P<which>last|this|next|[Ll]ast|[Tt]his|[Nn]ext)\s+)?"
    r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)(?!['’]s\b)"
    r"(?:\s+(?:morning|afternoon|evening|night))?\b"
    r"(?!,?\s+(?:the\s+)?\d|,?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d)"
    r"|\b(?P<day>[Yy]esterday|[Tt]oday|[Tt]onight|[Tt]omorrow|last\s+night|[Tt]his\s+morning)\b"
    r"|\b(?P<span_which>[Ll]ast|[Tt]his|[Nn]ext)\s+(?P<span>week|month|year)\b",
)
_NAMED_DAY = re.compile(r"\b(?:Good|Black|Super|Ash|Cyber|Easter|Palm|Holy|Bloody|Maundy)\s+$")
_UPCOMING = re.compile(
    r"\b(?:will|would|shall|is due|are due|to be|scheduled|planned|set to|expected to|"
    r"is to|are to|plans? to|next)\b",
    re.IGNORECASE,
)


class RelativeDate(BaseModel):
    """A relative expression in a text ("on Tuesday", "last month") and what it meant on the
    day the text was published."""

    model_config = ConfigDict(frozen=True)

    phrase: str
    start: int
    end: int
    first: dt.date = Field(description="its first day")
    last: dt.date = Field(description="its last day (the same for a day)")

    def label(self) -> str:
        """'3 February 2026', 'week of 26 January 2026', 'January 2026' or '2025'."""
        if self.first == self.last:
            return long_date(self.first)
        if (self.last - self.first).days == 6:
            return f"week of {long_date(self.first)}"
        if self.first.month == self.last.month and self.first.day == 1:
            return self.first.strftime("%B %Y")
        return str(self.first.year)


def long_date(day: dt.date) -> str:
    """'3 February 2026'."""
    return f"{day.day} {day.strftime('%B %Y')}"


def relative_dates(text: str, published: dt.date) -> list[RelativeDate]:
    """The relative dates of a text ("on Tuesday", "yesterday", "last month"), resolved against
    its publication date. A weekday is the latest one not after it, or the next one when the
    sentence speaks of the future ("will meet on Friday", "next Friday").

    >>> found = relative_dates("Talks on Tuesday failed.", dt.date(2026, 2, 5))
    >>> [(r.phrase, r.label()) for r in found]
    [('Tuesday', '3 February 2026')]
    """
    found: list[RelativeDate] = []
    for m in _RELATIVE_TEXT.finditer(text):
        if (m.group("span") or "") == "year" and m.group("span_which").lower() == "this":
            continue  # "this year" is plain enough
        first: dt.date | None = None
        last: dt.date | None = None
        if m.group("wd"):
            if _NAMED_DAY.search(text[: m.start()]):
                continue
            weekday = _WEEKDAY_NUMBER[m.group("wd")]
            which = (m.group("which") or "").lower()
            before = text[max(0, text.rfind(".", 0, m.start()) + 1) : m.start()]
            if which == "next" or (which != "last" and _UPCOMING.search(before)):
                first = published + dt.timedelta(days=(weekday - published.weekday()) % 7)
                if which == "next" and first == published:
                    first += dt.timedelta(days=7)
            else:
                first = published - dt.timedelta(days=(published.weekday() - weekday) % 7)
                if which == "last" and first == published:
                    first -= dt.timedelta(days=7)
            last = first
        elif m.group("day"):
            word = " ".join(m.group("day").lower().split())
            shift = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(word, 0)
            first = last = published + dt.timedelta(days=shift)
        else:
            step = {"last": -1, "this": 0, "next": 1}[m.group("span_which").lower()]
            span = m.group("span")
            if span == "week":
                first = (
                    published - dt.timedelta(days=published.weekday()) + dt.timedelta(weeks=step)
                )
                last = first + dt.timedelta(days=6)
            elif span == "month":
                index = published.year * 12 + published.month - 1 + step
                year, month = divmod(index, 12)
                first = dt.date(year, month + 1, 1)
                nxt = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
                last = nxt - dt.timedelta(days=1)
            else:
                first = dt.date(published.year + step, 1, 1)
                last = dt.date(published.year + step, 12, 31)
        found.append(
            RelativeDate(phrase=m.group(0), start=m.start(), end=m.end(), first=first, last=last)
        )
    return found


def with_dates(text: str, published: dt.date) -> str:
    """The text with each relative date followed by what it meant when it was published.

    >>> with_dates("Russia attacked on Tuesday night.", dt.date(2026, 2, 5))
    'Russia attacked on Tuesday night (3 February 2026).'
    """
    out: list[str] = []
    at = 0
    for found in relative_dates(text, published):
        if text[found.end : found.end + 2].lstrip().startswith("("):
            continue
        out.append(text[at : found.end])
        out.append(f" ({found.label()})")
        at = found.end
    out.append(text[at:])
    return "".join(out)
