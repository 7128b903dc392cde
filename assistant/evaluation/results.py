"""What an evaluation run produces: a result with reasons per case, and the run's report."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class ReliabilityBin(BaseModel):
    """Answers whose confidence fell in [low, high): how many, how sure, how often right."""

    low: float
    high: float
    count: int
    confidence: float | None
    accuracy: float | None


class FactCheck(BaseModel):
    """One gold fact: its alternatives and whether (and as what) the text carried it."""

    alternatives: list[str]
    found: bool
    matched: str | None = None


class Verdict(BaseModel):
    """A support judgement: does the premise support the claim?"""

    supported: bool
    score: float | None = Field(None, description="0..1 when the judge has a score")
    reason: str = ""
    error: bool = Field(False, description="the judge failed; counted as unsupported")


class SentenceCheck(BaseModel):
    """One answer sentence, what it cites, and the judge's verdicts on it."""

    index: int
    text: str
    citations: list[int] = Field(default_factory=list)
    supported: bool = False
    unneeded: list[int] = Field(default_factory=list, description="citations removable (ALCE)")
    reason: str = ""


class CitationCheck(BaseModel):
    """ALCE citation recall and precision of one answer, by one judge."""

    judge: str
    recall: float | None = None
    precision: float | None = None
    n_citations: int = 0
    judge_errors: int = 0
    sentences: list[SentenceCheck] = Field(default_factory=list)


class CaseResult(BaseModel):
    """One case: what came back, each score, and the reasons behind them."""

    id: str
    kind: Literal["qa", "summary"]
    prompt: str = Field(description="the question, or 'summary of <article>'")
    tags: list[str] = Field(default_factory=list)
    answerable: bool = True
    answer: str = ""
    short_answer: str | None = Field(None, description="the engine's short answer, if any")
    abstained: bool = False
    correct: bool = False
    confidence: float | None = Field(None, description="the engine's probability of being right")
    short_em: float | None = Field(None, description="SQuAD exact match of the short answer")
    short_f1: float | None = Field(None, description="SQuAD F1 of the short answer")
    baseline_correct: bool | None = Field(
        None, description="would quoting the top hit's first matching sentence be right"
    )
    baseline_fact_recall: float | None = None
    contradicted: bool = Field(False, description="the claim checker flagged a cited claim")
    facts: list[FactCheck] = Field(default_factory=list)
    fact_recall: float | None = None
    retrieved: bool | None = Field(None, description="gold article (or facts) in top k")
    facts_retrieved: float | None = Field(None, description="share of facts in the top k chunks")
    citations: list[CitationCheck] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list, description="must_not_contain found")
    latency_s: float | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasons: list[str] = Field(default_factory=list)
    error: str | None = None

    def citation(self, judge: str) -> CitationCheck | None:
        """The citation check by a judge ('lexical' or 'llm'), when there is one."""
        return next((c for c in self.citations if c.judge == judge), None)


class Regression(BaseModel):
    """A headline metric that got worse than the baseline by more than the tolerance."""

    metric: str
    baseline: float | None
    current: float | None
    delta: float | None
    higher_is_better: bool = True
    reason: str


class Comparison(BaseModel):
    """This run against a baseline run."""

    baseline: str
    tolerance: float
    deltas: dict[str, float | None] = Field(default_factory=dict)
    regressions: list[Regression] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    flipped_wrong: list[str] = Field(
        default_factory=list, description="cases right in the baseline, wrong now"
    )
    flipped_right: list[str] = Field(
        default_factory=list, description="cases wrong in the baseline, right now"
    )

    @property
    def ok(self) -> bool:
        return not self.regressions


class RunReport(BaseModel):
    """A whole evaluation run: settings, headline metrics, per-tag metrics and every case."""

    dataset: str
    dataset_path: str = ""
    dataset_format: str = ""
    engine: str
    model: str | None = None
    retriever: str = "hybrid"
    postprocess: list[str] = Field(default_factory=list)
    split: str | None = Field(None, description="the dataset's split (tune, heldout), if named")
    tuned_on: bool | None = Field(
        None, description="whether the engine was tuned on this dataset (None: unknown)"
    )
    engine_tuned_on: list[str] = Field(
        default_factory=list, description="the datasets the engine says it was tuned on"
    )
    baselines: dict[str, dict[str, float | None]] = Field(
        default_factory=dict, description="headline metrics of trivial answerers, same cases"
    )
    reliability: list[ReliabilityBin] = Field(
        default_factory=list, description="confidence bins of the answered cases"
    )
    judges: list[str] = Field(default_factory=list)
    k: int
    library: str
    started_at: dt.datetime
    seconds: float = 0.0
    ingest_seconds: float = 0.0
    metrics: dict[str, float | None] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    by_tag: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    cases: list[CaseResult] = Field(default_factory=list)
    comparison: Comparison | None = None
