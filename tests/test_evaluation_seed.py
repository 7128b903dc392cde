"""The seed gold set against its committed baseline (extractive engine, real local parts).

When the extractive engine, retrieval or the seed set change on purpose, refresh the baseline:

    assistant eval eval/seed_cases.yaml --engine extractive --judge lexical \\
        --baseline eval/seed_baseline.json --update-baseline
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant, samples_dir
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder
from assistant.evaluation.command import EvalOptions, evaluate
from assistant.evaluation.compare import load_report
from assistant.evaluation.datasets import load_dataset
from assistant.evaluation.metrics import match_facts
from assistant.query import Query

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "eval" / "seed_cases.yaml"
BASELINE = ROOT / "eval" / "seed_baseline.json"
SEED_ARTICLE = samples_dir() / "russia-ukraine-strikes.txt"


def test_every_seed_fact_is_in_the_seed_article(fake_assistant: Assistant) -> None:
    [item] = fake_assistant.ingest(SEED_ARTICLE).items
    assert item.article_id is not None
    text = fake_assistant.article(item.article_id).text
    for case in load_dataset(SEED).cases:
        for check in match_facts(text, case.facts):
            assert check.found, f"{case.id}: none of {check.alternatives} is in the article"


@pytest.mark.slow
def test_seed_eval_does_not_regress_against_the_committed_baseline(
    tmp_path: Path, onnx_embedder: OnnxEmbedder
) -> None:
    settings = Settings(home=tmp_path / "home", _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings, embedder=onnx_embedder)
    options = EvalOptions(
        datasets=[SEED],
        query=Query(engine="extractive"),
        judge="lexical",
        baseline=BASELINE,
        progress=False,
    )
    report = evaluate(assistant, SEED, options)
    baseline = load_report(BASELINE)
    assert report.counts["cases"] == baseline.counts["cases"], "seed set changed: refresh"
    assert report.comparison is not None
    problems = [r.reason for r in report.comparison.regressions]
    assert not problems, "; ".join(problems) + " -- see the module docstring to refresh"
    assert all(case.reasons for case in report.cases)
