"""Run a dataset's cases through the real Assistant and score each one, with reasons."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.answer.citations import strip_markers
from assistant.embeddings import EmbeddingSimilarity
from assistant.errors import AssistantError, InputError, NotFoundError
from assistant.evaluation.datasets import SAMPLES, Dataset, QACase, SummaryCase, slug
from assistant.evaluation.judges import LexicalJudge, LLMJudge
from assistant.evaluation.metrics import (
    CitedSentence,
    Judge,
    aggregate,
    baseline_metrics,
    by_tag,
    citation_quality,
    citation_reasons,
    cited_sentences,
    counts,
    exact_match,
    fact_recall,
    first_matching_sentence,
    forbidden_found,
    match_facts,
    missing_facts,
    reliability,
    retrieval_hit,
    token_f1,
)
from assistant.evaluation.results import CaseResult, CitationCheck, RunReport
from assistant.models import Answer, Article, FlagKind, IngestReport, Summary, Usage
from assistant.query import Query

if TYPE_CHECKING:
    from assistant.api import Assistant

JudgeMode = Literal["auto", "lexical", "llm"]
Progress = Callable[[int, int, CaseResult], None]


@dataclass
class NamedJudge:
    """A judge and the name its metrics are reported under ('lexical' or 'llm')."""

    name: str
    judge: Judge


@dataclass
class Judges:
    """The judges of a run; the LLM judge's token use is read after the run."""

    items: list[NamedJudge] = field(default_factory=list)
    llm: LLMJudge | None = None

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.items]


def default_library(dataset: Dataset) -> str:
    """The library a dataset's own articles go into: 'eval-<dataset name>'."""
    return f"eval-{slug(dataset.name)}"[:63].rstrip("-._")


def prepare_library(
    assistant: Assistant,
    dataset: Dataset,
    *,
    library: str | None = None,
    ingest: Sequence[str | Path] = (),
) -> tuple[str, IngestReport | None]:
    """The library to ask, after ingesting what the dataset brings or names (idempotent).

    SQuAD paragraphs, the dataset's `ingest:` paths and `ingest` go into `library`, by default
    'eval-<dataset name>'. With nothing to ingest, `library` (or the configured one) is used
    as it is and must exist.
    """
    from assistant.api import samples_dir
    from assistant.ingest.loaders import load_text

    paths = [samples_dir() if str(p) == SAMPLES else p for p in [*dataset.ingest, *ingest]]
    if not paths and not dataset.passages:
        name = library or assistant.settings.library
        assistant.library(name, must_exist=True)
        return name, None
    name = library or default_library(dataset)
    report = assistant.ingest(*paths, library=name) if paths else None
    if dataset.passages:
        documents = [load_text(p.text, title=p.title, source=p.source) for p in dataset.passages]
        passages = assistant.library(name).ingest_documents(documents)
        if report is None:
            report = passages
        else:
            report.items.extend(passages.items)
            report.seconds += passages.seconds
    if report is not None and not report.ok:
        failed = "; ".join(f"{i.source}: {i.reason}" for i in report.failed[:3])
        raise InputError(f"ingesting the dataset's articles failed: {failed}")
    return name, report


def resolve_articles(
    specs: Sequence[str], articles: Sequence[Article]
) -> tuple[list[str], list[str]]:
    """Gold article specs -> (article ids, specs that match nothing).

    A spec is an article id, a source, or a substring of a source or title (case-insensitive);
    exact id/source matches win over substrings, so 'squad:X#1' never means 'squad:X#10'.
    """
    ids: list[str] = []
    unresolved: list[str] = []
    for spec in specs:
        exact = [a.id for a in articles if spec in (a.id, a.source, a.url)]
        if not exact:
            folded = spec.casefold()
            exact = [
                a.id
                for a in articles
                if a.id.startswith(spec)
                or folded in a.source.casefold()
                or folded in a.title.casefold()
            ]
        if exact:
            ids.extend(i for i in exact if i not in ids)
        else:
            unresolved.append(spec)
    return ids, unresolved


def build_judges(assistant: Assistant, mode: JudgeMode = "auto") -> Judges:
    """The lexical/embedding judge always; the LLM judge when asked, or when an LLM is set up."""
    similarity = EmbeddingSimilarity(assistant.embedder)
    judges = Judges(items=[NamedJudge("lexical", LexicalJudge(similarity))])
    if mode == "llm" or (mode == "auto" and assistant.engine_name("auto") == "openai"):
        judges.llm = LLMJudge(assistant.llm)
        judges.items.append(NamedJudge("llm", judges.llm))
    return judges


def _check_citations(
    text: str, passages: Mapping[int, str], judges: Judges
) -> tuple[list[CitationCheck], list[str]]:
    sentences = cited_sentences(text, passages)
    checks = [citation_quality(sentences, j.judge, j.name) for j in judges.items]
    return checks, [r for check in checks for r in citation_reasons(check)]


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_qa(
    assistant: Assistant,
    case: QACase,
    *,
    query: Query,
    articles: Sequence[Article],
    judges: Judges,
    squad: bool = False,
) -> CaseResult:
    """Ask one question (with the query's options) and score the answer; with `squad`, its
    short answer also gets SQuAD's exact match and F1 (an abstention scores 1 when right)."""
    result = CaseResult(
        id=case.id, kind="qa", prompt=case.question, tags=case.tags, answerable=case.answerable
    )
    started = time.perf_counter()
    try:
        asked = query.model_copy(update={"now": case.asked}) if case.asked else query
        answer = assistant.ask(case.question, asked)
    except AssistantError as error:
        result.error = str(error)
        result.reasons.append(f"error: {error}")
        result.facts = match_facts("", case.facts)
        result.fact_recall = fact_recall(result.facts) if case.answerable else None
        return result
    result.latency_s = round(time.perf_counter() - started, 4)
    result.timings = answer.timings
    usage = answer.usage or Usage()
    result.prompt_tokens, result.completion_tokens = usage.prompt_tokens, usage.completion_tokens
    result.answer, result.abstained = answer.text, answer.abstained
    result.short_answer, result.confidence = answer.short_answer, answer.confidence
    result.contradicted = any(f.kind is FlagKind.CONTRADICTED for f in answer.flags)
    result.facts = match_facts("" if answer.abstained else answer.text, case.facts)
    if squad:
        result.short_em, result.short_f1 = short_scores(case, answer)
    first = first_matching_sentence(case.question, [h.chunk.text for h in answer.hits])
    baseline = match_facts(first, case.facts)
    result.baseline_fact_recall = fact_recall(baseline) if case.answerable else None
    result.baseline_correct = case.answerable and bool(first) and all(f.found for f in baseline)
    reasons = result.reasons
    if case.answerable:
        result.fact_recall = fact_recall(result.facts)
        result.correct = not answer.abstained and all(f.found for f in result.facts)
        if answer.abstained:
            reasons.append("abstained on an answerable question")
        else:
            reasons.extend(missing_facts(result.facts))
        if result.correct:
            reasons.append(f"all {len(result.facts)} fact(s) found")
        gold, unknown = resolve_articles(case.articles, articles)
        if unknown:
            reasons.append(f"gold article(s) {unknown} are not in library {query.library!r}")
        hit, share, why = retrieval_hit(
            [h.chunk.article_id for h in answer.hits],
            [h.chunk.text for h in answer.hits],
            gold if case.articles else [],
            case.facts,
        )
        if case.articles and unknown and not gold:
            hit, why = False, "no gold article could be found in the library"
        result.retrieved, result.facts_retrieved = hit, share
        if why:
            reasons.append(f"retrieval: {why}")
    else:
        result.correct = answer.abstained
        reasons.append(
            "abstained, as it should"
            if answer.abstained
            else f"answered an unanswerable question: {_short(answer.text)!r}"
        )
    if not answer.abstained:
        passages = {s.number: s.hit.chunk.text for s in answer.sources}
        result.citations, why_not = _check_citations(answer.text, passages, judges)
        reasons.extend(why_not)
    return result


def short_scores(case: QACase, answer: Answer) -> tuple[float, float]:
    """SQuAD exact match and F1 of the answer's short answer (its whole text when it has none).

    Unanswerable: 1.0 for an abstention, else 0.0. Answerable: 0.0 for an abstention.
    """
    if not case.answerable:
        return float(answer.abstained), float(answer.abstained)
    if answer.abstained:
        return 0.0, 0.0
    golds = [alternative for fact in case.facts for alternative in fact]
    guess = answer.short_answer or strip_markers(answer.text)
    return exact_match(guess, golds), token_f1(guess, golds)


def run_summary(
    assistant: Assistant,
    case: SummaryCase,
    *,
    query: Query,
    articles: Sequence[Article],
    judges: Judges,
) -> CaseResult:
    """Summarize the case's article(s) (library, engine, model of the query) and score it."""
    library = query.library or ""
    result = CaseResult(
        id=case.id,
        kind="summary",
        prompt=f"summary ({case.length}) of {', '.join(case.articles)}",
        tags=case.tags,
    )
    result.facts = match_facts("", case.facts)
    result.fact_recall = fact_recall(result.facts)
    ids, unknown = resolve_articles(case.articles, articles)
    if unknown:
        result.error = f"article(s) {unknown} are not in library {library!r}"
        result.reasons.append(f"error: {result.error}")
        return result
    started = time.perf_counter()
    try:
        summary = assistant.summarize(
            *ids,
            library=query.library,
            length=case.length,
            engine=query.engine,
            model=query.model,
        )
    except AssistantError as error:
        result.error = str(error)
        result.reasons.append(f"error: {error}")
        return result
    result.latency_s = round(time.perf_counter() - started, 4)
    result.timings = dict(summary.timings)
    if summary.usage is not None:
        result.prompt_tokens = summary.usage.prompt_tokens
        result.completion_tokens = summary.usage.completion_tokens
    result.answer = summary.text
    result.facts = match_facts(summary.text, case.facts)
    result.fact_recall = fact_recall(result.facts)
    result.forbidden = forbidden_found(summary.text, case.must_not_contain)
    result.correct = all(f.found for f in result.facts) and not result.forbidden
    result.reasons.extend(missing_facts(result.facts))
    result.reasons.extend(f"contains banned text {item!r}" for item in result.forbidden)
    if result.correct:
        result.reasons.append(f"all {len(result.facts)} fact(s) found, nothing banned")
    sentences = summary_sentences(summary)
    result.citations = [citation_quality(sentences, j.judge, j.name) for j in judges.items]
    result.reasons.extend(r for check in result.citations for r in citation_reasons(check))
    return result


def summary_sentences(summary: Summary) -> list[CitedSentence]:
    """A summary's sentences with, per [n], the quotes that sentence's citations resolved to."""
    if not summary.sentences:
        quotes: dict[int, list[str]] = {}
        for citation in summary.citations:
            quotes.setdefault(citation.number, []).append(citation.quote)
        passages = {n: "\n".join(dict.fromkeys(q)) for n, q in quotes.items()}
        return cited_sentences(summary.text, passages)
    out = []
    for sentence in summary.sentences:
        by_number: dict[int, list[str]] = {}
        for citation in sentence.citations:
            by_number.setdefault(citation.number, []).append(citation.quote)
        passages = {n: "\n".join(dict.fromkeys(q)) for n, q in by_number.items()}
        out.append(CitedSentence(text=sentence.text, passages=passages))
    return out


def run_dataset(
    assistant: Assistant,
    dataset: Dataset,
    *,
    library: str,
    query: Query | None = None,
    judges: Judges | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Every case of the dataset through the assistant, scored; the report without a baseline.

    `query` carries the options every question is asked with (engine, model, retriever,
    post-processors, k); its library is `library`.
    """
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    query = (query or Query()).model_copy(update={"library": library})
    k = query.k or assistant.settings.top_k
    query = query.model_copy(update={"k": k})
    judges = judges or build_judges(assistant, "lexical")
    try:
        articles = assistant.articles(library)
    except NotFoundError:
        articles = []
    cases: list[CaseResult] = []
    for number, case in enumerate(dataset.cases, start=1):
        if isinstance(case, QACase):
            result = run_qa(
                assistant,
                case,
                query=query,
                articles=articles,
                judges=judges,
                squad=dataset.format == "squad",
            )
        else:
            result = run_summary(assistant, case, query=query, articles=articles, judges=judges)
        cases.append(result)
        if progress:
            progress(number, len(dataset.cases), result)
    resolved = assistant.engine_name(query.engine)
    tuned: Sequence[str] | None = getattr(assistant.answerer(query).engine, "tuned_on", None)
    answered = [c for c in cases if c.kind == "qa" and not c.abstained and c.confidence is not None]
    bins, _ = reliability(
        [c.confidence for c in answered if c.confidence is not None], [c.correct for c in answered]
    )
    report = RunReport(
        dataset=dataset.name,
        dataset_path=dataset.path,
        dataset_format=dataset.format,
        engine=resolved,
        model=assistant.chat_llm(query.model).model if resolved == "openai" else None,
        retriever=query.retriever,
        postprocess=query.postprocessors(),
        split=dataset.split,
        tuned_on=None if tuned is None else dataset.name in tuned,
        engine_tuned_on=list(tuned or []),
        baselines=baseline_metrics(cases),
        reliability=bins if answered else [],
        judges=judges.names,
        k=k,
        library=library,
        started_at=started_at,
        seconds=round(time.perf_counter() - started, 2),
        metrics=aggregate(cases),
        counts=counts(cases),
        by_tag=by_tag(cases),
        cases=cases,
    )
    if judges.llm is not None:
        report.counts["judge_calls"] = judges.llm.calls
        report.counts["judge_tokens"] = judges.llm.usage.total_tokens
    return report
