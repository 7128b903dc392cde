"""The offline summarizer: the most central sentences of each section, quoted verbatim.

Each sentence of a section gets a score:
- centrality: cosine similarity of its embedding to the mean of the section's sentences,
- lead: exp(-position / lead_decay), news puts the main facts first,
- length: longer sentences carry more facts (words / 30, at most 1),
- topic: cosine similarity to the query, for a topic summary.
Sentences that cannot stand alone (headings, photo captions, fragments under `min_words` words)
are left out. Picking is greedy with maximal marginal relevance, so near-repeats are skipped;
the picked sentences are shown in article order, each with its [n].
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from assistant.answer.citations import defuse_markers
from assistant.embeddings import Vectors
from assistant.models import Citation, Summary, SummarySentence
from assistant.parts import Parts
from assistant.query import Format
from assistant.summarize.sections import chunk_at, per_section
from assistant.summarize.summarizer import SummaryJob

_ENDS_LIKE_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
# A photo caption ends with its credit: "... in Kyiv. /Valentyn Ogirenko/Reuters".
_CAPTION = re.compile(r"\s/\s?[^/\n]{2,60}/\s?[^/\n]{2,40}$|\b(?:photo|picture|image)\s*:\s", re.I)
_WORDS = re.compile(r"\w+")
# A sentence that leans on the one before it: "He added ...", "However, ...".
_DANGLING = re.compile(
    r"^[\"'“‘]?(he|she|it|they|this|these|those|his|her|its|their|but|however|also|and|so|"
    r"meanwhile|instead|as per|according to (?:the|this|that)|that|such|both|another|moreover|"
    r"furthermore|besides|still|yet|then|later|in addition|the (?:same|latter|former))\b",
    re.IGNORECASE,
)
# Key facts: figures (with what they count) and names, as the article states them.
_FIGURE = re.compile(r"(?<![\w.])[£$€]?\d[\d,.]*(?:\s?(?:%|bn|m|billion|million|km|C)\b)?")
_NAME = re.compile(r"(?<=[a-z,;:] )(?:[A-Z][\w'’-]+)(?:\s+[A-Z][\w'’-]+)*")


@dataclass(frozen=True)
class CentralityConfig:
    """Weights of the offline summarizer; tuned on BBC News Summary (eval/bench_summary.py)."""

    w_central: float = 1.0
    w_lead: float = 0.3
    lead_decay: float = 3.0
    w_length: float = 0.2
    w_query: float = 1.5
    w_dangling: float = 0.2
    w_facts: float = 0.3
    mmr_lambda: float = 0.85
    max_similarity: float = 0.9  # a sentence this similar to a picked one is a near-copy
    min_words: int = 6


DEFAULT_CONFIG = CentralityConfig()


def count_words(text: str) -> int:
    """Words as the summarizer counts them (runs of letters and digits)."""
    return len(_WORDS.findall(text))


def eligible(sentence: str, min_words: int = DEFAULT_CONFIG.min_words) -> bool:
    """Whether a sentence can stand in a summary: not a heading, caption or fragment.

    >>> eligible("Multiple strikes"), eligible("Russia attacked with 71 missiles, officials said.")
    (False, True)
    """
    text = sentence.strip()
    if count_words(text) < min_words:
        return False
    if not _ENDS_LIKE_SENTENCE.search(text):
        return False
    return _CAPTION.search(text) is None


def key_facts(sentences: Sequence[str], lead: int = 3) -> list[set[str]]:
    """Per sentence, the article's key facts it states: every figure, and the names that the
    lead states or that the article repeats (pure).

    >>> facts = key_facts(["Russia fired 71 missiles at Kyiv.", "In Kyiv 9 were hurt.", "Rain."])
    >>> [sorted(f) for f in facts]
    [['71', 'Kyiv'], ['9', 'Kyiv'], []]
    """
    figures = [{m.group(0).rstrip(".,") for m in _FIGURE.finditer(s)} for s in sentences]
    names = [set(_NAME.findall(s)) for s in sentences]
    counts: dict[str, int] = {}
    for found in names:
        for name in found:
            counts[name] = counts.get(name, 0) + 1
    key = {n for found in names[:lead] for n in found} | {n for n, c in counts.items() if c > 1}
    return [f | (n & key) for f, n in zip(figures, names, strict=True)]


def leans_back(sentence: str) -> bool:
    """Whether a sentence leans on the one before it ("He added...", "As per the proposal").

    >>> leans_back("As per the proposal, talks resume."), leans_back("Russia fired 71 missiles.")
    (True, False)
    """
    return _DANGLING.match(sentence.strip()) is not None


def sentence_scores(
    sentences: Sequence[str],
    vectors: Vectors,
    config: CentralityConfig = DEFAULT_CONFIG,
    *,
    positions: Sequence[int] | None = None,
    query_vector: Vectors | None = None,
) -> NDArray[np.float64]:
    """A score per sentence (higher is more summary-worthy); ineligible sentences get -inf."""
    n = len(sentences)
    if n == 0:
        return np.zeros(0)
    ok = np.array([eligible(s, config.min_words) for s in sentences])
    pool = ok if ok.any() else np.ones(n, dtype=bool)
    v = np.asarray(vectors, dtype=np.float64)
    centroid = v[pool].mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    central = v @ (centroid / norm) if norm > 0 else np.zeros(n)
    score = config.w_central * _rescale(central, pool)
    where = np.asarray(positions if positions is not None else range(n), dtype=np.float64)
    score += config.w_lead * np.exp(-where / config.lead_decay)
    words = np.array([count_words(s) for s in sentences], dtype=np.float64)
    score += config.w_length * np.minimum(1.0, words / 30.0)
    score -= config.w_dangling * np.array([leans_back(s) for s in sentences])
    if config.w_facts:
        facts = np.array([len(f) for f in key_facts(sentences)], dtype=np.float64)
        score += config.w_facts * (facts / facts.max() if facts.max() > 0 else facts)
    if query_vector is not None:
        relevance = v @ np.asarray(query_vector, dtype=np.float64)
        score += config.w_query * _rescale(relevance, pool)
    return np.where(pool, score, -np.inf)


def select_sentences(
    sentences: Sequence[str],
    vectors: Vectors,
    n: int,
    config: CentralityConfig = DEFAULT_CONFIG,
    *,
    positions: Sequence[int] | None = None,
    query_vector: Vectors | None = None,
    max_words: int | None = None,
) -> list[int]:
    """Indices of the n sentences that best summarise, in text order (pure).

    Greedy maximal marginal relevance over `sentence_scores`: each pick maximises
    lambda * score - (1 - lambda) * (highest cosine similarity to a sentence already picked).
    Near-copies of a picked sentence (similarity >= max_similarity) are never picked. With
    `max_words`, sentences that would take the summary over that many words are skipped.
    """
    scores = sentence_scores(
        sentences, vectors, config, positions=positions, query_vector=query_vector
    )
    candidates = [i for i in range(len(sentences)) if np.isfinite(scores[i])]
    if not candidates or n <= 0:
        return []
    finite = scores[candidates]
    low, high = float(finite.min()), float(finite.max())
    relevance = {i: (scores[i] - low) / (high - low) if high > low else 1.0 for i in candidates}
    v = np.asarray(vectors, dtype=np.float64)
    chosen: list[int] = []
    redundancy = dict.fromkeys(candidates, 0.0)
    lam = config.mmr_lambda
    words = [count_words(s) for s in sentences]
    room = max_words if max_words is not None else sum(words)
    while len(chosen) < n:
        candidates = [
            i for i in candidates if words[i] <= room and redundancy[i] < config.max_similarity
        ]
        if not candidates:
            break
        best = max(candidates, key=lambda i: lam * relevance[i] - (1 - lam) * redundancy[i])
        chosen.append(best)
        candidates.remove(best)
        room -= words[best]
        for i in candidates:
            redundancy[i] = max(redundancy[i], float(v[i] @ v[best]))
    return _no_leaning_opener(sorted(chosen), sentences, scores, words, room)


def _no_leaning_opener(
    chosen: list[int],
    sentences: Sequence[str],
    scores: NDArray[np.float64],
    words: Sequence[int],
    room: int,
) -> list[int]:
    """The summary never opens with a sentence that leans on an earlier one: such an opener
    gives way to the best other sentence that does not lean back (and still fits)."""
    while chosen and leans_back(sentences[chosen[0]]):
        opener = chosen.pop(0)
        room += words[opener]
        others = [
            i
            for i in range(len(sentences))
            if i not in chosen
            and i != opener
            and np.isfinite(scores[i])
            and not leans_back(sentences[i])
            and words[i] <= room
        ]
        if others:
            best = max(others, key=lambda i: scores[i])
            chosen = sorted([*chosen, best])
            room -= words[best]
    return chosen


def _rescale(values: NDArray[np.float64], pool: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Values mapped to 0..1 by the min and max over the pool."""
    low, high = float(values[pool].min()), float(values[pool].max())
    if high <= low:
        return np.ones_like(values)
    return np.asarray((values - low) / (high - low), dtype=np.float64)


def compose(groups: Sequence[tuple[int, Sequence[str]]], format: Format) -> str:
    """Summary text: each sentence followed by its [n], grouped by source.

    >>> compose([(1, ["A b.", "C d."]), (2, ["E f."])], "bullets")
    '- A b. [1]\\n- C d. [1]\\n\\n- E f. [2]'
    """
    blocks = []
    for number, sentences in groups:
        cited = [f"{defuse_markers(s.strip())} [{number}]" for s in sentences]
        if format == "bullets":
            blocks.append("\n".join(f"- {s}" for s in cited))
        else:
            blocks.append(" ".join(cited))
    return "\n\n".join(b for b in blocks if b)


class CentralitySummaries:
    """The offline summary engine: needs only the embedder."""

    def __init__(self, parts: Parts, config: CentralityConfig = DEFAULT_CONFIG) -> None:
        self.library = parts.library
        self.config = config

    def summarize(self, job: SummaryJob) -> Iterator[str | Summary]:
        sections, timings = job.sections, job.timings
        n = per_section(job.request.length, len(sections))
        spans = [s.sentences() for s in sections]
        texts = [
            s.article.text[a:b]
            for s, found in zip(sections, spans, strict=True)
            for a, b, _ in found
        ]
        t = time.perf_counter()
        vectors = self.library.embedder.embed(texts) if texts else np.zeros((0, 0), np.float32)
        timings["embed"] = time.perf_counter() - t
        t = time.perf_counter()
        groups: list[tuple[int, list[str]]] = []
        sentences: list[SummarySentence] = []
        citations: list[Citation] = []
        offset = 0
        for section, found in zip(sections, spans, strict=True):
            mine = texts[offset : offset + len(found)]
            picked = select_sentences(
                mine,
                vectors[offset : offset + len(found)],
                n,
                self.config,
                positions=[p for _, _, p in found],
                query_vector=job.query_vector,
            )
            offset += len(found)
            chunks = self.library.chunks(section.article.id)
            source = section.source()
            for i in picked:
                start, end, _ = found[i]
                citation = Citation(
                    number=section.number,
                    article_id=section.article.id,
                    title=source.title,
                    source=source.source,
                    url=source.url,
                    date=source.date,
                    chunk_id=chunk_at(chunks, start, end) or source.hit.chunk.id,
                    quote=mine[i],
                    start=start,
                    end=end,
                    support=1.0,
                    sentence=len(sentences),
                )
                citations.append(citation)
                sentences.append(
                    SummarySentence(
                        index=len(sentences),
                        text=mine[i],
                        article_id=section.article.id,
                        citations=[citation],
                    )
                )
            groups.append((section.number, [mine[i] for i in picked]))
        timings["rank"] = time.perf_counter() - t
        summary = Summary(
            text=compose(groups, job.request.format),
            sentences=sentences,
            citations=citations,
            sources=[s.source() for s in sections],
            engine="extractive",
            model=self.library.embedder.name,
        )
        yield summary.text
        yield summary
