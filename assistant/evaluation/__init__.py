"""Offline evaluation: check the assistant's answers against gold facts and write a report.

datasets.py  case models; YAML / JSONL loaders      squad.py    SQuAD v1.1 / v2.0 reader
normalize.py text normalisation for fact matching   metrics.py  pure scoring functions
judges.py    citation support judges (lexical, LLM)  runner.py   cases -> real Assistant
results.py   result and report models                report.py   JSON / Markdown / HTML
compare.py   baseline comparison                     command.py  `assistant eval`
"""

from assistant.evaluation.datasets import Dataset, QACase, SummaryCase, load_dataset
from assistant.evaluation.results import CaseResult, RunReport

__all__ = ["CaseResult", "Dataset", "QACase", "RunReport", "SummaryCase", "load_dataset"]
