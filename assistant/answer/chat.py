"""Conversations: history + follow-up -> standalone question -> answer.

With an LLM, the follow-up is rewritten into a standalone question with prompts/condense.md and
that question is answered. Offline (extractive engine), a follow-up that leans on the
conversation ("And how many drones?", "Who signed it?", "What about Kharkiv?") carries the
previous question into retrieval: "what about X" puts X in place of the previous question's
name, anything else is retrieved together with the previous question.

>>> resolve_offline("What about Kharkiv?", [Turn(question="How cold was it in Kyiv?", answer="")])
('How cold was it in Kharkiv?', 'How cold was it in Kharkiv?')
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.citations import strip_markers
from assistant.llm import LLM
from assistant.models import Turn
from assistant.prompts import render
from assistant.query import MAX_QUESTION_CHARS
from assistant.store.lexical import terms

MAX_TURNS = 4  # turns of history the condense prompt sees
MAX_ANSWER_CHARS = 600  # of each earlier answer in that prompt
MAX_CARRY_CHARS = 400  # of the earlier question carried into offline retrieval

# Words that point back into the conversation ("that" and "there" are too often not).
PRONOUNS = frozenset(
    "it its itself they them their theirs themselves he him his himself she her hers herself "
    "this these those such".split()
)
# Words that carry no subject of their own in a question.
FILLER = frozenset(
    "who whom whose what when where which why how many much about else more other also "
    "again same then and but so".split()
)
LEADS = frozenset("and but also so".split())

_WORD = re.compile(r"[\w'’-]+")
_ABOUT = re.compile(
    r"^\s*(?:(?:and|but|so|also)[\s,]+)?(?:what|how)\s+about\s+(?P<rest>.+?)[\s?.!]*$",
    re.IGNORECASE,
)
# A name: a run of capitalised words (the sentence's first word is skipped by the caller).
_NAME = re.compile(r"[A-Z\u00C0-\u00DE][\w'’-]*(?:\s+(?:of\s+|de\s+)?[A-Z\u00C0-\u00DE][\w'’-]*)*")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_PREFIX = re.compile(
    r"^(?:standalone\s+question|rewritten\s+question|question)\s*[:\-]\s*", re.IGNORECASE
)


def names(text: str) -> list[tuple[int, int]]:
    """Spans of the names in a question (capitalised runs, never at the question's start)."""
    spans = []
    for match in _NAME.finditer(text):
        start, end = match.span()
        if start == 0:
            # "Russia launched..." starts with a name only when a second capital follows.
            words = match.group(0).split()
            if len(words) < 2:
                continue
            start += len(words[0]) + 1
        spans.append((start, end))
    return spans


def needs_context(question: str) -> bool:
    """Whether a question leans on the conversation: a pronoun, 'what about ...', a leading
    'and', or too few words of its own.

    >>> needs_context("And how many drones?"), needs_context("Who signed New START?")
    (True, False)
    """
    words = [w.lower() for w in _WORD.findall(question)]
    if not words:
        return False
    if words[0] in LEADS or _ABOUT.match(question) or any(w in PRONOUNS for w in words):
        return True
    own = [t for t in terms(question) if t not in FILLER]
    return len(own) <= 1 and not names(question)


def resolve_offline(question: str, history: Sequence[Turn]) -> tuple[str, str | None]:
    """Without an LLM: (the question to answer, the text to retrieve with, or None)."""
    if not history or not needs_context(question):
        return question, None
    last = history[-1]
    previous = _tail(last.standalone_question or last.question, MAX_CARRY_CHARS)
    about = _ABOUT.match(question)
    if about:
        rest = _ARTICLE.sub("", about.group("rest").strip())
        spans = names(previous)
        if spans and [(1, len(rest) + 1)] == names(" " + rest):  # "what about <a name>"
            start, end = spans[-1]
            replaced = previous[:start] + rest + previous[end:]
            return replaced, replaced
        combined = f"{previous} {question}"
        return combined, combined
    return question, f"{previous} {question}"


def format_history(history: Sequence[Turn]) -> str:
    """The last turns as 'User: ... / Assistant: ...' lines, answers without markers."""
    lines = []
    for turn in history[-MAX_TURNS:]:
        answer = strip_markers(turn.answer)
        if len(answer) > MAX_ANSWER_CHARS:
            answer = answer[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"User: {turn.question}")
        lines.append(f"Assistant: {answer}")
    return "\n".join(lines)


def clean_condensed(reply: str) -> str:
    """The question in an LLM's condense reply: its first line, without labels or quotes;
    '' when there is none or it is too long to be a question."""
    for line in reply.strip().splitlines():
        text = _PREFIX.sub("", line.strip()).strip().strip("\"'“”`").strip()
        if text:
            return text if len(text) <= MAX_QUESTION_CHARS else ""
    return ""


def condense(question: str, history: Sequence[Turn], llm: LLM) -> str:
    """The follow-up rewritten by the LLM as a standalone question (the follow-up itself when
    the reply holds no usable question)."""
    if not history:
        return question
    prompt = render("condense", history=format_history(history), question=question)
    reply = llm.complete([{"role": "user", "content": prompt}])
    return clean_condensed(reply.text) or question


def _tail(text: str, limit: int) -> str:
    """The end of a long text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[-limit:].split(" ", 1)[-1]
