"""Dates in answers (pure): "as of" on figures that change, older values shown as superseded,
and relative dates ("on Tuesday") resolved against their source's publication date.

Runs after the citations are checked, for every engine alike:

- when the question asks about something that changes (a toll, a count, a price, a rate, a
  poll, a score; or "latest"), the first sentence quoting a figure from a source opens with
  "As of 3 February 2026:", its source's date ("How many missiles did Russia launch?" asks
  about one event, and gets no "as of");
- when another retrieved source, published on another day, gives a different value for the
  same fact (the claim checker aligns the sentences and finds the numbers differ), the newer
  value leads and the older follows as "Earlier: “...” [2], 1 February 2026.", both cited;
- "on Tuesday", "yesterday", "last month" in a sentence are followed by the date they meant
  for the source it cites: "on Tuesday (3 February 2026)".

>>> asks_about_change("What is the latest death toll?"), asks_about_change("Who is the PM?")
(True, False)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field

from assistant.answer.citations import answer_sentences, cite, source_sentences, strip_markers
from assistant.answer.claims import Evidence, Verdict, check_claim, has_figure
from assistant.ingest.dates import long_date, relative_dates, with_dates
from assistant.models import Article, Citation, Flag, Source, Summary, Superseded, TimeWindow

_CHANGING = re.compile(
    r"\b(?:deaths?|dead|die|died|toll|tolls|killed|casualt(?:y|ies)|injur(?:ed|ies|y)|wounded|"
    r"missing|displaced|evacuated|victims|cases|infections|arrests|price|prices|priced|costs?|"
    r"fares?|rates?|inflation|unemployment|yields?|polls?|polling|approval|scores?|standings|"
    r"counts?|counted|total|tally|so\s+far|turnout|debt|deficit|population|temperature)\b",
    re.IGNORECASE,
)
_QUOTE_END = re.compile(r"[\s.;:,!?]+$")


def asks_about_change(question: str) -> bool:
    """Whether a question asks about something that changes over time (counts, prices, ...)."""
    return bool(_CHANGING.search(question))


@dataclass
class Dated:
    """An answer's text and citations once dated."""

    text: str
    citations: list[Citation]
    flags: list[Flag]
    as_of: dt.date | None = None
    superseded: list[Superseded] = field(default_factory=list)


@dataclass
class _Note:
    text: str
    citations: list[Citation]


def _citation(source: Source, quote: str, start: int, end: int, reason: str) -> Citation:
    return cite(source, quote, start, end, support=1.0, sentence=0, reason=reason)


def _shown(quote: str) -> str:
    """A quoted sentence as it sits inside “...”: no closing full stop, no [n] of its own."""
    return _QUOTE_END.sub("", strip_markers(quote).replace("[", "(").replace("]", ")"))


def _rival(
    claim: str,
    own: Citation,
    cited: set[str],
    sources: Sequence[Source],
    articles: Mapping[str, Article],
) -> tuple[Source, str, int, int, str, str] | None:
    """The source of another day that gives a different value for the claim's fact: the newest
    such source if newer than `own`, else the newest older one. (source, quote, start, end,
    claim value, its value)."""
    best: tuple[Source, str, int, int, str, str] | None = None
    for source in sources:
        if source.date is None or source.date == own.date or source.hit.chunk.article_id in cited:
            continue
        if not _published(articles, source.hit.chunk.article_id):
            continue
        quotes = source_sentences(source, articles.get(source.hit.chunk.article_id))
        evidence = [Evidence(number=source.number, text=q, date=source.date) for q, _, _ in quotes]
        check = check_claim(claim, evidence)
        if check.verdict is not Verdict.CONTRADICTED or check.kind != "number":
            continue
        where = next(((q, a, b) for q, a, b in quotes if q == check.evidence), None)
        if where is None:
            continue
        if best is None or (best[0].date is not None and source.date > best[0].date):
            best = (
                source,
                *where,
                check.claim_value or "",
                check.evidence_value or "",
            )
    return best


def date_answer(
    question: str,
    text: str,
    citations: Sequence[Citation],
    flags: Sequence[Flag],
    sources: Sequence[Source],
    articles: Mapping[str, Article],
    window: TimeWindow | None = None,
) -> Dated:
    """The answer with 'as of', superseded values and resolved relative dates (see above)."""
    unchanged = Dated(text, list(citations), list(flags))
    if not citations:
        return unchanged
    published = {aid for aid in articles if _published(articles, aid)}
    sentences = answer_sentences(text)
    by_index: dict[int, list[Citation]] = {}
    for c in citations:
        by_index.setdefault(c.sentence, []).append(c)
    changing = asks_about_change(question) or bool(window and window.newest_first)
    rewritten = list(sentences)
    cites: dict[int, list[Citation]] = {i: list(v) for i, v in by_index.items()}
    notes: list[_Note] = []
    superseded: list[Superseded] = []
    moved: dict[int, int] = {}  # flags of a sentence that became an "Earlier" note
    for i, sentence in enumerate(sentences):
        own_cites = by_index.get(i)
        if not own_cites or own_cites[0].date is None:
            continue
        claim = strip_markers(sentence)
        if not has_figure(claim):
            continue
        own = own_cites[0]
        if not _published(articles, own.article_id):
            continue
        cited = {c.article_id for c in own_cites}
        found = _rival(claim, own, cited, sources, articles)
        if found is None or own.date is None:
            continue
        source, quote, start, end, claim_value, rival_value = found
        assert source.date is not None
        reason = f"the same fact as [{own.number}], other value"
        if source.date > own.date:
            lead = _citation(source, quote, start, end, f"newer than [{own.number}]")
            rewritten[i] = f"{strip_markers(quote)} [{source.number}]"
            cites[i] = [lead.model_copy(update={"sentence": i})]
            note = f"Earlier: “{_shown(claim)}” [{own.number}], {long_date(own.date)}."
            notes.append(_Note(note, list(own_cites)))
            moved[i] = len(sentences) + len(notes) - 1
            superseded.append(
                Superseded(
                    newer=source.number,
                    newer_date=source.date,
                    newer_value=rival_value,
                    older=own.number,
                    older_date=own.date,
                    older_value=claim_value,
                    older_quote=own.quote,
                )
            )
        else:
            older = _citation(source, quote, start, end, reason)
            note = f"Earlier: “{_shown(quote)}” [{source.number}], {long_date(source.date)}."
            notes.append(_Note(note, [older]))
            superseded.append(
                Superseded(
                    newer=own.number,
                    newer_date=own.date,
                    newer_value=claim_value,
                    older=source.number,
                    older_date=source.date,
                    older_value=rival_value,
                    older_quote=quote,
                )
            )
    as_of: dt.date | None = None
    dated_sources: set[int] = set()
    for i, sentence in enumerate(rewritten):
        lead_cites = cites.get(i)
        if not lead_cites or lead_cites[0].date is None:
            continue
        first = lead_cites[0]
        if first.date is None or first.article_id not in published:
            continue
        sentence = with_dates(sentence, first.date)
        wanted = (changing or superseded) and first.number not in dated_sources
        if wanted and has_figure(strip_markers(sentence)):
            sentence = f"As of {long_date(first.date)}: {sentence}"
            dated_sources.add(first.number)
            as_of = as_of or first.date
        rewritten[i] = sentence
    if rewritten == sentences and not notes:
        return Dated(text, _with_relative(citations, published), list(flags))
    final = " ".join([*rewritten, *(n.text for n in notes)])
    if len(answer_sentences(final)) != len(rewritten) + len(notes):
        return Dated(text, _with_relative(citations, published), list(flags))  # misnumbered
    out: list[Citation] = []
    for i in range(len(rewritten)):
        out.extend(c.model_copy(update={"sentence": i}) for c in cites.get(i, []))
    for j, added in enumerate(notes):
        index = len(rewritten) + j
        out.extend(c.model_copy(update={"sentence": index}) for c in added.citations)
    shifted = [
        f.model_copy(update={"sentence": moved[f.sentence]}) if f.sentence in moved else f
        for f in flags
    ]
    return Dated(final, _with_relative(out, published), shifted, as_of, superseded)


def _published(articles: Mapping[str, Article], article_id: str) -> bool:
    """Whether the article's date is a publication date (not just the day it was ingested)."""
    article = articles.get(article_id)
    return article is not None and article.date is not None and article.date_source != "ingested"


def _with_relative(citations: Sequence[Citation], published: Set[str]) -> list[Citation]:
    """Citations with the relative dates of their quotes resolved (`Citation.dates`), for the
    articles in `published`."""
    out = []
    for c in citations:
        if c.date is None or c.article_id not in published:
            out.append(c)
            continue
        found = {r.phrase: r.first for r in relative_dates(c.quote, c.date)}
        out.append(c.model_copy(update={"dates": found}) if found else c)
    return out


def date_summary(summary: Summary, published: Set[str]) -> Summary:
    """A summary whose relative dates ("on Tuesday") are followed in its text by the day they
    meant for the article each sentence cites, and whose citations carry them
    (`Citation.dates`). Only articles in `published` (dated by the source, not by the ingest
    day) are resolved; each `SummarySentence.text` stays the quote it is."""
    text = summary.text
    sentences = []
    for sentence in summary.sentences:
        cited = [c for c in sentence.citations if c.date is not None and c.article_id in published]
        if not cited or cited[0].date is None:
            sentences.append(sentence)
            continue
        shown = with_dates(sentence.text, cited[0].date)
        if shown != sentence.text and sentence.text in text:
            text = text.replace(sentence.text, shown, 1)
        sentences.append(
            sentence.model_copy(update={"citations": _with_relative(sentence.citations, published)})
        )
    return summary.model_copy(
        update={
            "text": text,
            "sentences": sentences,
            "citations": _with_relative(summary.citations, published),
        }
    )
