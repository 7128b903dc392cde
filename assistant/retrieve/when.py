"""Time in a question (pure): "latest", "this week", "since Monday", "before the talks".

`read_when(question, now)` finds the first time expression of a question and returns the
`TimeWindow` it asks for: a range of publication dates, an order (newest first), or an event
whose date the library must supply ("before the talks": see `TimeWindow.event`). `now` is the
day the question is read against; the retrieval step (assistant/retrieve/timing.py) passes the
newest article date of the library, so "this week" in an archive means its last week.

>>> now = dt.date(2026, 2, 5)  # a Thursday
>>> read_when("What happened since Monday?", now).span()
'2026-02-02 onwards'
>>> read_when("What is the latest death toll?", now).newest_first
True
>>> read_when("Who won the match?", now) is None
True

"This week" is the seven days up to `now`; "last week" the Monday-to-Sunday week before this
one's Monday. A month or weekday without a year is the latest one not after `now` ("in
December", asked in February 2026, is December 2025); "on" a day and month without a year is
the nearest one ("on February 8" asked on 30 January is ahead), "since" or "before" one the
latest. Windows are on publication dates. A month or longer ("in January", "last year") is a
preference, not a restriction (`TimeWindow.strict` False): its articles first, others may
follow, since January's events are reported in February too. "This year's Games" is no window.

A window that ended over a year ago ("in 1980", "50 years ago": history, told by today's
articles) or starts after `now` (an event to come) is not read as one. Only the asking sentence
is read: in "Jesse Jackson died this week. Which office did he run for?" the time belongs to
the context, and the answer may be in any article.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal

from assistant.models import TimeWindow
from assistant.numbers import UNITS

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
# Counts a time phrase may use: "two weeks", "a few days", "a couple of months".
NUMBER_WORDS = {
    **{word: n for word, n in UNITS.items() if 1 <= n <= 12},
    "a": 1,
    "an": 1,
    "few": 3,
    "couple of": 2,
}

Relation = Literal["before", "after", "since", "until"]


def at_event(window: TimeWindow, day: dt.date) -> TimeWindow:
    """The window once its event is dated: 'before the talks' ends the day before them."""
    if window.relation == "before":
        return window.model_copy(update={"date_to": day - dt.timedelta(days=1)})
    if window.relation == "until":
        return window.model_copy(update={"date_to": day})
    return window.model_copy(update={"date_from": day})  # "after": its own day's news too


# --- calendar arithmetic ------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    """The Monday of the day's week."""
    return day - dt.timedelta(days=day.weekday())


def month_end(year: int, month: int) -> dt.date:
    """The last day of a month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clipped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def last_weekday(weekday: int, now: dt.date) -> dt.date:
    """The latest day with this weekday (0 = Monday) not after `now`."""
    return now - dt.timedelta(days=(now.weekday() - weekday) % 7)


def _latest_month(month: int, now: dt.date) -> int:
    """The year of the latest such month not after `now`."""
    return now.year if month <= now.month else now.year - 1


def _safe_day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


# --- patterns -----------------------------------------------------------------------------------

_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ORD = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_COUNT = r"(?:\d{1,3}|" + "|".join(NUMBER_WORDS) + ")"
_UNIT = r"(?:days?|weeks?|months?|years?)"

# A point or period in time, as a named group alternative; `_period` reads the match.
_WHEN = (
    rf"(?:the\s+)?(?P<nth>first|second|third|fourth|last)\s+week\s+of\s+(?P<mw>{_MONTH})"
    rf"(?:\s+(?P<yw>{_YEAR}))?"
    rf"|(?P<iso>{_YEAR}-\d\d-\d\d)"
    rf"|(?:the\s+)?(?P<d1>{_ORD})\s+(?:of\s+)?(?P<m1>{_MONTH})(?:,?\s+(?P<y1>{_YEAR}))?"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>{_ORD})(?!\d)(?:,?\s+(?P<y2>{_YEAR}))?"
    rf"|(?P<m3>{_MONTH})(?:\s+(?P<y3>{_YEAR}))?"
    rf"|(?P<year>{_YEAR})"
    rf"|(?P<wdlast>last\s+)?(?P<wd>{_WEEKDAY})"
    r"|(?P<today>today|yesterday|tonight|this\s+morning|this\s+evening)"
    r"|(?P<which>this|last|past|previous|the)\s+(?P<span>week(?:end)?|month|year)"
    rf"|(?P<n>{_COUNT})\s+(?P<unit>{_UNIT})\s+ago"
)

_LATEST = re.compile(
    r"\b(?:latest|most\s+recent(?:ly)?|newest|most\s+up[- ]to[- ]date|currently|current|"
    r"right\s+now|so\s+far|as\s+of\s+now|recently|recent|still|now)\b",
    re.IGNORECASE,
)
_LAST_N = re.compile(
    rf"\b(?:in|over|during|within|for)?\s*(?:the\s+)?(?:last|past|previous)\s+(?P<n>{_COUNT})\s+"
    rf"(?P<unit>{_UNIT})\b",
    re.IGNORECASE,
)
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?P<a>(?:the\s+)?{_ORD}(?:\s+(?:of\s+)?{_MONTH})?|{_MONTH}\s+{_ORD}"
    rf"|{_MONTH}|{_WEEKDAY})(?:,?\s+{_YEAR})?\s+(?:and|to|until|till|through)\s+"
    rf"(?P<b>(?:the\s+)?{_ORD}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?|{_MONTH}\s+{_ORD}"
    rf"(?:,?\s+{_YEAR})?|{_MONTH}(?:\s+{_YEAR})?|{_WEEKDAY}|today|yesterday|now)\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    rf"\b(?P<rel>since|before|after|until|till|by|prior\s+to|earlier\s+than|later\s+than|"
    rf"as\s+of|on|in|during|from|over|at)\s+"
    r"(?:(?P<part>(?:the\s+)?(?:start|beginning|end|middle)\s+of|early|late|mid-?)\s*)?"
    rf"(?P<when>{_WHEN})\b(?!['’]s\b)",
    re.IGNORECASE,
)
_BARE = re.compile(
    r"\b(?P<when>today|yesterday|tonight|this\s+morning|this\s+evening|"
    r"(?:this|last|past|previous)\s+(?:week(?:end)?|month|year)|"
    rf"last\s+{_WEEKDAY}|"
    rf"{_COUNT}\s+{_UNIT}\s+ago|earlier\s+this\s+(?:week|month|year))\b(?!['’]s\b)",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?P<rel>since|before|after|until|prior\s+to|ahead\s+of|in\s+the\s+run-up\s+to|"
    r"following)\s+(?P<event>(?:the|his|her|their|its)\s+[^\W\d][\w'’-]*"
    r"(?:\s+(?!(?:did|does|do|was|were|is|are|has|have|had|will|would|could|can|and|or|but|"
    r"what|who|when|how|why|where|which|that|than|to|if)\b)[\w'’-]+){0,5})",
    re.IGNORECASE,
)
# "named after the founder", "looked after the children": not time.
_NOT_TIME_BEFORE = re.compile(
    r"\bhow\s+(?:long|soon|quickly|many\s+\w+|much\s+time)\s*$|"
    r"\b(?:named|called|look(?:s|ed|ing)?|go(?:es|ne)?|went|chas(?:e|es|ed|ing)|seek(?:s|ing)?|"
    r"sought|came|come|comes|appear(?:s|ed|ing)?|testif(?:y|ies|ied|ying)|brought|bring|"
    r"stand(?:s|ing)?|stood|put|lie|lay)\s*$",
    re.IGNORECASE,
)
_NOT_EVENTS = frozenset(
    """court courts judge judges jury committee parliament congress senate house tribunal
    panel camera cameras audience crowd public lawmakers board council commission cut""".split()
)
_EVENT_STOP = re.compile(r"\s+(?:in|on|at|of|with|for|this|last|next)\s*$", re.IGNORECASE)


# --- reading ------------------------------------------------------------------------------------


def _count(text: str) -> int:
    text = " ".join(text.lower().split())
    return int(text) if text.isdigit() else NUMBER_WORDS.get(text, 1)


def _span(unit: str, n: int, now: dt.date) -> dt.date:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return now - dt.timedelta(days=n)
    if unit == "week":
        return now - dt.timedelta(weeks=n)
    if unit == "month":
        return add_months(now, -n)
    return _safe_day(now.year - n, now.month, now.day) or dt.date(now.year - n, now.month, 28)


def _period(
    groups: dict[str, str | None], now: dt.date, ahead: bool = False
) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the point or period `_WHEN` matched; a day and month without
    a year is the latest one not after `now`, or with `ahead` the nearest one."""
    if groups.get("nth"):
        month = MONTHS[str(groups["mw"]).lower().rstrip(".")]
        year = int(str(groups["yw"])) if groups.get("yw") else _latest_month(month, now)
        end = month_end(year, month)
        nth = str(groups["nth"]).lower()
        if nth == "last":
            return end - dt.timedelta(days=6), end
        start = dt.date(year, month, 1) + dt.timedelta(weeks=_NTH[nth])
        return start, start + dt.timedelta(days=6)
    if groups.get("iso"):
        day = dt.date.fromisoformat(str(groups["iso"]))
        return day, day
    for d, m, y in (("d1", "m1", "y1"), ("d2", "m2", "y2")):
        if groups.get(d) and groups.get(m):
            month = MONTHS[str(groups[m]).lower().rstrip(".")]
            number = int(re.sub(r"\D", "", str(groups[d])))
            if groups.get(y):
                year = int(str(groups[y]))
            else:  # the nearest such day: "on February 8" asked on 30 January is ahead
                candidates = [_safe_day(now.year + shift, month, number) for shift in (-1, 0, 1)]
                options = [c for c in candidates if c is not None and (ahead or c <= now)]
                if not options:
                    return None
                year = min(options, key=lambda c: (abs((c - now).days), c > now)).year
            found = _safe_day(year, month, number)
            return (found, found) if found else None
    if groups.get("m3"):
        month = MONTHS[str(groups["m3"]).lower().rstrip(".")]
        year = int(str(groups["y3"])) if groups.get("y3") else _latest_month(month, now)
        return dt.date(year, month, 1), month_end(year, month)
    if groups.get("year"):
        year = int(str(groups["year"]))
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if groups.get("wd"):
        day = last_weekday(WEEKDAYS[str(groups["wd"]).lower()], now)
        if groups.get("wdlast") and day == now:
            day -= dt.timedelta(weeks=1)  # "last Thursday", said on a Thursday
        return day, day
    if groups.get("today"):
        rel = " ".join(str(groups["today"]).lower().split())
        day = now - dt.timedelta(days=1) if rel == "yesterday" else now
        return day, day
    if groups.get("span"):
        which = str(groups["which"]).lower()
        span = str(groups["span"]).lower()
        if which == "the":
            if span != "weekend":
                return None  # "in the week", "in the month": no particular one
            which = "this"
        back = 0 if which == "this" else 1
        if span == "week":
            if which in ("past", "this"):  # "this week" on a Monday still means the last days
                return now - dt.timedelta(days=6), now
            start = week_start(now) - dt.timedelta(weeks=back)
            return start, start + dt.timedelta(days=6)
        if span == "weekend":
            saturday = last_weekday(5, now)
            if which != "this" and now.weekday() in (5, 6):
                saturday -= dt.timedelta(weeks=1)
            return saturday, saturday + dt.timedelta(days=1)
        if span == "month":
            if which == "past":
                return add_months(now, -1) + dt.timedelta(days=1), now
            first = add_months(now.replace(day=1), -back)
            return first, month_end(first.year, first.month)
        if which == "past":
            return _span("year", 1, now) + dt.timedelta(days=1), now
        year = now.year - back
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if groups.get("unit"):
        n = _count(str(groups["n"]))
        unit = str(groups["unit"]).lower().rstrip("s")
        start = _span(unit, n, now)
        if unit == "day":
            return start, start
        length = {"week": 6, "month": 30, "year": 364}[unit]
        return start, min(now, start + dt.timedelta(days=length))
    return None


_NTH = {"first": 0, "second": 1, "third": 2, "fourth": 3}
PART_DAYS = 10  # "early March": its first ten days; "late March": its last ten


def _part(part: str, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The part of a period: 'the start of March', 'early March', 'late March', 'mid-March'."""
    part = part.lower()
    span = dt.timedelta(days=PART_DAYS - 1)
    if (last - first).days < 2 * PART_DAYS:
        return first, last
    if any(w in part for w in ("start", "beginning", "early")):
        return first, first + span
    if any(w in part for w in ("end", "late")):
        return last - span, last
    return first + dt.timedelta(days=PART_DAYS), last - dt.timedelta(days=PART_DAYS)


def _clip(window: TimeWindow, now: dt.date) -> TimeWindow:
    """A window that would end after `now` ends at `now` ('this week' on a Thursday)."""
    a, b = window.date_from, window.date_to
    if a is not None and b is not None and a <= now < b:
        return window.model_copy(update={"date_to": now})
    return window


def _relative(match: re.Match[str], now: dt.date) -> TimeWindow | None:
    ahead = match.group("rel").lower() in ("on", "in", "at", "over", "during")
    period = _period(match.groupdict(), now, ahead)
    if period is None:
        return None
    first, last = period
    rel = " ".join(match.group("rel").lower().split())
    if rel in ("at", "over") and not (match.group("part") or match.group("span")):
        return None  # "at 2019 levels", "over 2 March"? not a time window
    if match.group("part"):
        first, last = _part(match.group("part"), first, last)
    phrase = " ".join(match.group(0).split())
    if rel in ("since", "from"):
        return TimeWindow(phrase=phrase, date_from=first)
    if rel in ("before", "prior to", "earlier than"):
        return TimeWindow(phrase=phrase, date_to=first - dt.timedelta(days=1))
    if rel in ("until", "till", "by", "as of"):
        return TimeWindow(phrase=phrase, date_to=last)
    if rel in ("after", "later than"):
        return TimeWindow(phrase=phrase, date_from=last + dt.timedelta(days=1))
    day = match.group("wd") or match.group("d1") or match.group("d2") or match.group("iso")
    if rel == "on" and not (day or match.group("today")):
        return None  # "on May", "on this week": not a date as written
    if rel == "in" and (match.group("wd") or match.group("today")):
        return None  # "in Monday's vote", "in today's": leave it to the bare forms
    return _clip(TimeWindow(phrase=phrase, date_from=first, date_to=last), now)


def _read_dates(question: str, now: dt.date) -> TimeWindow | None:
    between = _BETWEEN.search(question)
    if between is not None:
        a = _read_point(between.group("a"), now, between.group(0))
        b = _read_point(between.group("b"), now, between.group(0))
        if a is not None and b is not None:
            if a[0] > b[1] and not re.search(_YEAR, between.group("a")):
                a = (_year_earlier(a[0]), _year_earlier(a[1]))
            phrase = " ".join(between.group(0).split())
            return _clip(TimeWindow(phrase=phrase, date_from=a[0], date_to=b[1]), now)
    for match in _RELATIVE.finditer(question):
        may = (match.group("m3") or "").lower().startswith("may")
        if may and match.group("rel").lower() not in ("in", "since", "before", "after", "until"):
            continue  # "... may ..." the verb
        window = _relative(match, now)
        if window is not None:
            return window
    last_n = _LAST_N.search(question)
    if last_n is not None:
        n, unit = _count(last_n.group("n")), last_n.group("unit")
        phrase = " ".join(last_n.group(0).split())
        start = _span(unit, n, now) + dt.timedelta(days=1)
        return TimeWindow(phrase=phrase, date_from=start, date_to=now)
    bare = _BARE.search(question)
    if bare is not None:
        text = " ".join(bare.group("when").lower().split())
        phrase = " ".join(bare.group(0).split())
        if text == "earlier this week":  # since this week's Monday
            return TimeWindow(phrase=phrase, date_from=week_start(now), date_to=now)
        if text.startswith("earlier this "):
            text = text.removeprefix("earlier ")
        period = _read_point(text, now, phrase)
        if period is not None:
            return _clip(TimeWindow(phrase=phrase, date_from=period[0], date_to=period[1]), now)
    return None


def _year_earlier(day: dt.date) -> dt.date:
    return _safe_day(day.year - 1, day.month, day.day) or day.replace(year=day.year - 1, day=28)


_POINT = re.compile(rf"^(?:{_WHEN})$", re.IGNORECASE)


def _read_point(text: str, now: dt.date, context: str) -> tuple[dt.date, dt.date] | None:
    text = " ".join(text.split())
    if text.lower() == "now":
        return now, now
    match = _POINT.match(text)
    if match is None:
        # "between 3 and 5 March": the month is the other end's
        day = re.fullmatch(rf"(?:the\s+)?({_ORD})", text, re.IGNORECASE)
        month = re.search(_MONTH, context[len(text) :], re.IGNORECASE) if day else None
        if day and month:
            return _read_point(f"{day.group(1)} {month.group(0)}", now, "")
        return None
    return _period(match.groupdict(), now)


def _read_event(question: str) -> TimeWindow | None:
    for match in _EVENT.finditer(question):
        if _NOT_TIME_BEFORE.search(question[: match.start()]):
            continue
        event = _EVENT_STOP.sub("", match.group("event")).strip(" ,.;:?!")
        words = event.lower().split()
        if len(words) < 2 or words[1] in _NOT_EVENTS or _POINT.match(" ".join(words[1:])):
            continue
        rel = " ".join(match.group("rel").lower().split())
        relation: Relation = (
            "since"
            if rel in ("since", "following")
            else "after"
            if rel == "after"
            else "until"
            if rel == "until"
            else "before"
        )
        phrase = f"{match.group('rel')} {event}"
        return TimeWindow(phrase=" ".join(phrase.split()), event=event, relation=relation)
    return None


def mentions_time(question: str) -> bool:
    """Whether the asking sentence has anything `read_when` might read (cheap: no `now`).

    >>> mentions_time("Who won?"), mentions_time("Who won on Sunday?")
    (False, True)
    """
    text = asking_sentence(question)
    patterns = (_LATEST, _LAST_N, _BETWEEN, _RELATIVE, _BARE, _EVENT)
    return any(p.search(text) is not None for p in patterns)


HISTORY = dt.timedelta(days=366)


def _about_publication(window: TimeWindow, now: dt.date) -> bool:
    """Whether a window can be one of publication dates: not one that ended over a year ago
    ("in 1980", "50 years ago": the question is about history, told by today's articles),
    nor one that starts after now ("on February 8", asked before it: an event to come)."""
    if window.date_to is not None and window.date_to < now - HISTORY:
        return False
    return window.date_from is None or window.date_from <= now


def read_when(question: str, now: dt.date) -> TimeWindow | None:
    """The time window a question asks for, read against the day `now`; None if it names none.

    Dates and periods come first ("since 3 March", "in January", "last month", "yesterday");
    then an event ("before the talks", left for the library to date); "latest", "most recent"
    or "currently" add newest-first ordering to either, or stand alone.

    >>> now = dt.date(2026, 3, 10)
    >>> read_when("What did the minister say last month?", now).span()
    '2026-02-01 to 2026-02-28'
    >>> read_when("How many missiles were fired before the talks?", now).event
    'the talks'
    """
    window = _read(question, now)
    return window.model_copy(update={"now": now}) if window is not None else None


LONG_PERIOD = 27  # days: a period this long is a preference, not a restriction


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]*[A-Z])")


def asking_sentence(question: str) -> str:
    """The sentence of a question that asks: the last one with a '?', else the last one.

    >>> asking_sentence("Jackson died this week. Which office did he run for?")
    'Which office did he run for?'
    """
    parts = [p.strip() for p in _SENTENCE_END.split(" ".join(question.split())) if p.strip()]
    asking = [p for p in parts if p.endswith("?")]
    return (asking or parts or [question])[-1]


def _read(question: str, now: dt.date) -> TimeWindow | None:
    text = asking_sentence(question)
    latest = _LATEST.search(text)
    window = _read_dates(text, now)
    if window is not None and not _about_publication(window, now):
        window = None
    first, last = (window.date_from, window.date_to) if window else (None, None)
    if window is not None and first and last and (last - first).days >= LONG_PERIOD:
        window = window.model_copy(update={"strict": False})
    window = window or _read_event(text)
    if latest is not None:
        word = latest.group(0).lower()
        if word in ("still", "now", "current") and window is None:
            return None  # too weak alone: "the current account", "now that ..."
        if window is None:
            return TimeWindow(phrase=latest.group(0), newest_first=True)
        if word not in ("still", "now", "current"):
            return window.model_copy(
                update={"newest_first": True, "phrase": f"{latest.group(0)}, {window.phrase}"}
            )
    return window
