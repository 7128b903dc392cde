"""Split text into sentence spans (pure). Offsets point into the text given."""

from __future__ import annotations

import re

# Words that end with a full stop without ending a sentence.
_ABBREVIATIONS_TEXT = """mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep
    rev hon pres vol vols fig figs pp ed eds approx dept univ corp inc ltd co bros vs etc al
    jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())
# Abbreviations only when a number follows: "No. 10", "pp. 12".
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "p", "art"})

# A sentence ends at . ! ? or … (with closing quotes or brackets), before whitespace and a
# character that can start a sentence.
_END = re.compile(r"""([.!?…]+["'”’)\]]*)(\s+)(?=["'“‘(\[]?[\dA-Z\u00C0-\u024F\u0400-\u04FF])""")
_PARAGRAPH = re.compile(r"\n\s*\n|\n")
_WORD_BEFORE = re.compile(r"(\S+)$")


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of the text, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _PARAGRAPH.finditer(text):
        spans.extend(_trimmed(text, start, match.start()))
        start = match.end()
    spans.extend(_trimmed(text, start, len(text)))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of the text; lines are never joined into one sentence.

    >>> text = "Mr. Smith went to Kyiv. He left at 9 a.m. on Monday! Why?"
    >>> [text[a:b] for a, b in sentence_spans(text)]
    ['Mr. Smith went to Kyiv.', 'He left at 9 a.m. on Monday!', 'Why?']
    """
    spans: list[tuple[int, int]] = []
    for p_start, p_end in paragraph_spans(text):
        spans.extend(_split_paragraph(text, p_start, p_end))
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of the text as strings."""
    return [text[a:b] for a, b in sentence_spans(text)]


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    piece_start = start
    for match in _END.finditer(text, start, end):
        stop = match.end(1)
        if _is_abbreviation(text, piece_start, match.start(1), match.group(1), text[match.end()]):
            continue
        spans.append((piece_start, stop))
        piece_start = match.end(2)
    if piece_start < end:
        spans.extend(_trimmed(text, piece_start, end))
    return spans


def _is_abbreviation(text: str, start: int, dot: int, ending: str, following: str) -> bool:
    if not ending.startswith(".") or ending.startswith(".."):
        return False
    word = _WORD_BEFORE.search(text, start, dot)
    if word is None:
        return False
    token = word.group(1).lstrip("\"'“‘([").lower()
    if token in ABBREVIATIONS or (token in NUMBER_ABBREVIATIONS and following.isdigit()):
        return True
    # Initials such as "J." or "U.S" (single letters joined by dots).
    return bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", token))


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []
