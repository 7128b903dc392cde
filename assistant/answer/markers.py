"""Read citation markers in the many styles LLMs write them, and rewrite them as [n] (pure).

>>> reply = parse_markers("Russia fired 71 missiles [Source 1, 2]. Kyiv lost power (3).", 3)
>>> reply.text
'Russia fired 71 missiles [1][2]. Kyiv lost power [3].'
>>> [s.cited for s in reply.sentences]
[[1, 2], [3]]

Read: [1], [1][2], [1, 2], [1-3], [1–3], [Source 1], [source: 1], [Sources 1 and 2], (Source 2),
(1) where it can only be a citation (closing a clause, every number a source), 【1】 and
【1†source】, ^1, ^[1], <sup>1</sup>, superscript digits, [^1] footnotes (mapped through a
"[^1]: Source 2" section at the end), with **bold** around them. Numbers out of range are kept as
[n] and listed in `invalid`; marker-like text that cannot be read (e.g. "[Source A]",
"[citation needed]", "{1}") is kept verbatim and listed in `unknown`, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from assistant.sentences import sentence_spans

__all__ = ["CitedSentence", "ParsedReply", "parse_markers"]

MAX_RANGE = 20  # a range wider than this ("[1-100]") is not read as a citation


class CitedSentence(BaseModel):
    """One sentence (or bullet) of a reply with the sources it cites."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="the sentence with its markers written [n]")
    cited: list[int] = Field(description="valid source numbers, in order, without repeats")
    invalid: list[int] = Field(default_factory=list, description="numbers with no such source")


class ParsedReply(BaseModel):
    """A reply with its citation markers read and normalised."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="the reply, markers as [n], footnote section removed")
    sentences: list[CitedSentence]
    cited: list[int] = Field(description="valid source numbers in order of first appearance")
    invalid: list[int] = Field(description="out-of-range numbers, in order found")
    unknown: list[str] = Field(description="marker-like spans that could not be read, verbatim")
    footnotes: dict[str, int] = Field(
        default_factory=dict, description="footnote label -> source number, from the section"
    )


_WORDS = r"(?:sources?|src|docs?|documents?|articles?|refs?|references?|citations?|cite)"
_NUM = r"\d{1,4}"
_LIST = rf"{_NUM}(?:\s*(?:,|;|&|and|\u2013|-|to)\s*(?:{_WORDS}\s*[:#.]?\s*)?{_NUM})*"
_OPEN_BOLD = r"(?P<b>\*\*|__)?"
_CLOSE_BOLD = r"(?(b)(?:\*\*|__))"
_MARKER = re.compile(
    _OPEN_BOLD
    + r"(?:"
    + rf"\[\s*(?:{_WORDS}\s*[:#.]?\s*)?(?P<square>{_LIST})\s*\]"
    + r"|\u3010(?P<lenticular>\d{1,4})(?:[\u2020:][^\u3011]*)?\u3011"
    + rf"|\((?:{_WORDS})\s*[:#.]?\s*(?P<worded>{_LIST})\)"
    + r"|<sup>\s*\[?(?P<sup>"
    + _LIST
    + r")\]?\s*</sup>"
    + r"|\[\^(?P<footnote>[\w-]{1,12})\](?!:)"
    + r"|(?<=[A-Za-z.,;:!?%\"')\]\u201d])\^\[?(?P<caret>\d{1,3}(?:,\d{1,3})*)\]?"
    + r"|(?<=[\w.,;:!?\"')\u201d])(?<!\d)(?<![\d\s]m)(?<!cm)(?<!mm)(?<!km)(?<!ft)(?<!mi)"
    + r"(?P<super>[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+)"
    + r"|(?<=\S)(?P<space>[ \t]?)\((?P<paren>\d{1,2}(?:\s*(?:,|\u2013|-)\s*\d{1,2})*)\)"
    + r"(?=[\"'\u201d*]*(?:[.,;:!?]|\s*$))"
    + r")"
    + _CLOSE_BOLD,
    re.IGNORECASE | re.MULTILINE,
)
_UNKNOWN = re.compile(
    rf"\[\s*{_WORDS}\b[^\]\d]{{0,40}}\]"  # [Source], [Source: BBC], [citation needed]
    rf"|\[\s*{_WORDS}\s*[:#]?\s*[A-Za-z]{{1,3}}\s*\]"  # [Source A]
    rf"|\((?:{_WORDS})\s*[:#]?\s*[^)\d]{{1,40}}\)"  # (Source: Reuters)
    r"|\[\d{1,3}[a-z]\]|\[\d+[:.]\d+\]"  # [1a], [1:3]
    r"|\{\d{1,3}\}|<\d{1,3}>"  # {1}, <1>
    r"|[\u2020\u2021]",  # dagger marks
    re.IGNORECASE,
)
_SECTION = re.compile(
    r"^[ \t]*(?:#+\s*)?(?:\*\*|__)?(?:sources|references|citations|footnotes|notes)"
    r"(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_DEFINITION = re.compile(
    r"^[ \t]*(?:\[\^(?P<label>[\w-]{1,12})\]:|\^(?P<caret>\d{1,3})[:.)]?)[ \t]*(?P<body>.*)$",
    re.MULTILINE,
)
_DEFINED_NUMBER = re.compile(rf"(?:{_WORDS}\s*[:#]?\s*|\[|\u3010|^\s*)(\d{{1,4}})", re.I)
_SUPERSCRIPT = str.maketrans(
    "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079", "1230456789"
)
_SPLIT_LIST = re.compile(rf"\s*(?:,|;|&|\band\b)\s*(?:{_WORDS}\s*[:#.]?\s*)?", re.I)
_RANGE = re.compile(rf"({_NUM})\s*(?:\u2013|-|to)\s*(?:{_WORDS}\s*[:#.]?\s*)?({_NUM})", re.I)
_LIST_LINE = re.compile(r"[ \t]*(?:\d{1,2}[.)]|\[|\^|[-*\u2022])")
_BULLET = re.compile(r"^[ \t]*(?:[-*\u2022+]|\d{1,2}[.)])[ \t]+", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class _Found:
    start: int  # in the normalised text
    end: int
    numbers: tuple[int, ...]


def parse_markers(text: str, n_sources: int) -> ParsedReply:
    """Normalise a reply's citation markers to [n] and say which sentence cites what.

    >>> parse_markers("Prices rose [1–3] and fell [source: 7].", 3).invalid
    [7]
    """
    body, footnotes, bad_notes = _split_footnotes(text)
    unknown = list(bad_notes)
    pieces: list[str] = []
    found: list[_Found] = []
    position = 0
    length = 0
    for match in _MARKER.finditer(body):
        numbers = _numbers(match, n_sources, footnotes)
        if numbers is None:
            continue
        if not numbers:
            unknown.append(match.group(0))
            continue
        before = body[position : match.start()]
        if match.group("space") and not before.endswith(" "):
            before += " "
        pieces.append(before)
        length += len(before)
        written = "".join(f"[{n}]" for n in numbers)
        pieces.append(written)
        found.append(_Found(length, length + len(written), tuple(numbers)))
        length += len(written)
        position = match.end()
    pieces.append(body[position:])
    normalised = "".join(pieces)
    unknown.extend(m.group(0) for m in _UNKNOWN.finditer(normalised))
    sentences = _sentences(normalised, found, n_sources)
    cited: list[int] = []
    invalid: list[int] = []
    for item in found:
        for n in item.numbers:
            if 1 <= n <= n_sources:
                if n not in cited:
                    cited.append(n)
            else:
                invalid.append(n)
    return ParsedReply(
        text=normalised,
        sentences=sentences,
        cited=cited,
        invalid=invalid,
        unknown=unknown,
        footnotes=footnotes,
    )


def _numbers(match: re.Match[str], n_sources: int, footnotes: dict[str, int]) -> list[int] | None:
    """The source numbers a marker stands for; [] if unreadable; None if it is not a marker."""
    groups = match.groupdict()
    if groups["footnote"] is not None:
        label = groups["footnote"]
        if label in footnotes:
            return [footnotes[label]]
        return [int(label)] if label.isdigit() and not footnotes else []
    if groups["super"] is not None:
        return [int(groups["super"].translate(_SUPERSCRIPT))]
    if groups["lenticular"] is not None:
        return [int(groups["lenticular"])]
    raw = groups["square"] or groups["worded"] or groups["sup"] or groups["caret"]
    if raw is None:
        numbers = _expand(groups["paren"] or "")
        # A bare "(2)" is a citation only if every number is a source: not "(2019)", not "(12)"
        # in a reply with 3 sources.
        if not numbers or any(not 1 <= n <= n_sources for n in numbers):
            return None
        return numbers
    return _expand(raw)


def _expand(raw: str) -> list[int]:
    numbers: list[int] = []
    for part in _SPLIT_LIST.split(raw.strip()):
        if not part:
            continue
        span = _RANGE.fullmatch(part)
        if span is not None:
            lo, hi = sorted((int(span.group(1)), int(span.group(2))))
            if hi - lo > MAX_RANGE:
                return []
            numbers.extend(range(lo, hi + 1))
        elif part.isdigit():
            numbers.append(int(part))
        else:
            return []
    return list(dict.fromkeys(numbers))


def _split_footnotes(text: str) -> tuple[str, dict[str, int], list[str]]:
    """The reply without its trailing sources / footnotes section, the footnote label -> source
    mapping read from that section, and the definitions that name no source number."""
    cut = len(text)
    for heading in _SECTION.finditer(text):
        if _LIST_LINE.match(text[heading.end() :].lstrip("\n")):
            cut = heading.start()  # "Sources:" followed by a list: not part of the answer
            break
    footnotes: dict[str, int] = {}
    unreadable: list[str] = []
    for match in _DEFINITION.finditer(text):
        cut = min(cut, match.start())
        label = match.group("label") or match.group("caret")
        number = _DEFINED_NUMBER.search(match.group("body"))
        if number is not None:
            footnotes[label] = int(number.group(1))
        else:
            unreadable.append(match.group(0).strip())
    return text[:cut].rstrip(), footnotes, unreadable


def _sentences(text: str, found: list[_Found], n_sources: int) -> list[CitedSentence]:
    masked = list(text)
    for item in found:
        masked[item.start : item.end] = " " * (item.end - item.start)
    for bullet in _BULLET.finditer(text):  # "1. Rates held" is one sentence, not two
        masked[bullet.start() : bullet.end()] = " " * (bullet.end() - bullet.start())
    spans = sentence_spans("".join(masked))
    if not spans:
        return []
    starts = [a for a, _ in spans]
    numbers: list[list[int]] = [[] for _ in spans]
    ends = [b for _, b in spans]
    for item in found:
        # A marker belongs to the sentence it closes: the last one starting before it.
        index = max((i for i, a in enumerate(starts) if a <= item.start), default=0)
        numbers[index].extend(item.numbers)
        ends[index] = max(ends[index], item.end)
    sentences: list[CitedSentence] = []
    for i, start in enumerate(starts):
        ordered = list(dict.fromkeys(numbers[i]))
        sentences.append(
            CitedSentence(
                text=text[start : ends[i]].strip(),
                cited=[n for n in ordered if 1 <= n <= n_sources],
                invalid=[n for n in ordered if not 1 <= n <= n_sources],
            )
        )
    return sentences
