"""Evaluation cases as files: YAML or JSONL question and summary cases, or SQuAD JSON.

A YAML file is either a list of cases or a mapping with `cases:` and optional `name:` and
`ingest:` (paths relative to the file, or `samples` for the bundled sample articles):

    name: seed
    ingest: [samples]
    cases:
      - id: missiles
        question: How many missiles and drones did Russia launch?
        facts: [["71", "seventy-one"], ["450"]]   # every fact; any alternative counts
        articles: [russia-ukraine-strikes]        # gold article: id, or source/title substring
      - id: mayor
        question: Who is the mayor of Kyiv?
        answerable: false                          # the right answer is an abstention
      - id: summary
        article: russia-ukraine-strikes            # a summary case
        facts: [["71", "450"], ["heating"]]
        must_not_contain: ["I agree", "Search Trends"]
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from assistant.errors import InputError

Fact = list[str]
SAMPLES = "samples"


def _check_facts(facts: list[Fact]) -> list[Fact]:
    cleaned = [[alt.strip() for alt in fact if alt.strip()] for fact in facts]
    if any(not fact for fact in cleaned):
        raise ValueError("every fact needs at least one non-empty alternative")
    return cleaned


class QACase(BaseModel):
    """A question with the facts a right answer carries, or an abstention when unanswerable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["qa"] = "qa"
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    facts: list[Fact] = Field(default_factory=list, description="each: acceptable alternatives")
    answerable: bool = True
    articles: list[str] = Field(
        default_factory=list, description="gold articles: ids, or source/title substrings"
    )
    tags: list[str] = Field(default_factory=list)
    asked: dt.date | None = Field(
        None, description="the day it was asked: 'this week' and 'today' are read against it"
    )

    @field_validator("facts", mode="before")
    @classmethod
    def _facts_as_lists(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [[item] if isinstance(item, str | int | float) else item for item in value]
        return value

    @field_validator("facts", mode="after")
    @classmethod
    def _nonempty_facts(cls, value: list[Fact]) -> list[Fact]:
        return _check_facts(value)

    @model_validator(mode="after")
    def _answerable_has_facts(self) -> QACase:
        if self.answerable and not self.facts:
            raise ValueError("an answerable case needs facts (or set answerable: false)")
        return self


class SummaryCase(BaseModel):
    """A summary of one article (or a few) that must carry facts and must not carry junk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["summary"] = "summary"
    id: str = Field(min_length=1)
    article: str | list[str] = Field(description="article id, or source/title substring")
    facts: list[Fact] = Field(default_factory=list)
    must_not_contain: list[str] = Field(default_factory=list)
    length: Literal["short", "medium", "long"] = "medium"
    tags: list[str] = Field(default_factory=list)

    @field_validator("facts", mode="before")
    @classmethod
    def _facts_as_lists(cls, value: Any) -> Any:
        return QACase._facts_as_lists(value)

    @field_validator("facts", mode="after")
    @classmethod
    def _nonempty_facts(cls, value: list[Fact]) -> list[Fact]:
        return _check_facts(value)

    @property
    def articles(self) -> list[str]:
        return [self.article] if isinstance(self.article, str) else list(self.article)


Case = Annotated[QACase | SummaryCase, Field(discriminator="kind")]


class Passage(BaseModel):
    """Text the dataset brings along, ingested as an article (e.g. a SQuAD paragraph)."""

    model_config = ConfigDict(frozen=True)

    source: str
    title: str
    text: str


class Dataset(BaseModel):
    """Cases plus what to ingest before running them."""

    name: str
    path: str = ""
    format: Literal["yaml", "jsonl", "squad"] = "yaml"
    split: str | None = Field(
        None, description="which split of its data this is (tune, heldout), when it says so"
    )
    cases: list[Case]
    passages: list[Passage] = Field(default_factory=list, description="articles it brings")
    ingest: list[str] = Field(default_factory=list, description="files or folders to ingest")

    @property
    def qa_cases(self) -> list[QACase]:
        return [c for c in self.cases if isinstance(c, QACase)]

    @property
    def summary_cases(self) -> list[SummaryCase]:
        return [c for c in self.cases if isinstance(c, SummaryCase)]

    def limited(self, limit: int | None) -> Dataset:
        """The first `limit` cases (all when None or 0)."""
        if not limit:
            return self
        return self.model_copy(update={"cases": self.cases[:limit]})


_CASES: TypeAdapter[list[Case]] = TypeAdapter(list[Case])


def _with_kind(raw: Any) -> Any:
    if isinstance(raw, dict) and "kind" not in raw:
        return {**raw, "kind": "summary" if "article" in raw else "qa"}
    return raw


def parse_cases(raw: list[Any], where: str) -> list[Case]:
    """Validated cases; an InputError naming the case and field that is wrong."""
    if not isinstance(raw, list):
        raise InputError(f"{where}: expected a list of cases, got {type(raw).__name__}")
    try:
        cases = _CASES.validate_python([_with_kind(item) for item in raw])
    except ValidationError as error:
        first = error.errors()[0]
        loc = list(first["loc"])
        index = loc[0] if loc and isinstance(loc[0], int) else None
        label = where
        if index is not None and isinstance(raw[index], dict):
            label += f" case {raw[index].get('id', index)!r}"
        field = ".".join(str(p) for p in loc[2:]) or "case"
        raise InputError(f"{label}: {field}: {first['msg']}") from error
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise InputError(f"{where}: case id {case.id!r} appears twice")
        seen.add(case.id)
    return cases


def split_of(name: str) -> str | None:
    """The split a dataset's name declares: 'bbc-qa-heldout' -> 'heldout', 'x-tune' -> 'tune'.

    >>> split_of("squad-heldout"), split_of("realtimeqa-tune"), split_of("seed")
    ('heldout', 'tune', None)
    """
    match = re.search(r"(?:^|[-_.])(tune|heldout|held-out|test|dev)$", name.lower())
    return match.group(1).replace("held-out", "heldout") if match else None


def slug(name: str) -> str:
    """A name usable in a library or folder name: 'squad2-tune.json' -> 'squad2-tune'."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "dataset"
    return text[:40]


def load_yaml(path: Path) -> Dataset:
    """A dataset from a YAML file: a list of cases, or a mapping with `cases:`."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{where}: not valid YAML: {problem}") from error
    meta: dict[str, Any] = {}
    if isinstance(raw, dict):
        meta, raw = raw, raw.get("cases")
        unknown = set(meta) - {"name", "description", "ingest", "cases", "split"}
        if unknown:
            raise InputError(f"{path}: unknown top-level keys {sorted(unknown)}")
    ingest = meta.get("ingest") or []
    if isinstance(ingest, str):
        ingest = [ingest]
    name = str(meta.get("name") or slug(path.stem))
    return Dataset(
        name=name,
        split=str(meta["split"]) if meta.get("split") else split_of(name),
        path=str(path),
        format="yaml",
        cases=parse_cases(raw, str(path)),
        ingest=[_resolve(path, str(item)) for item in ingest],
    )


def load_jsonl(path: Path) -> Dataset:
    """A dataset from a JSONL file: one case per line (blank lines and # comments skipped)."""
    raw: list[Any] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: not valid JSON: {error.msg}") from error
    return Dataset(
        name=slug(path.stem),
        split=split_of(path.stem),
        path=str(path),
        format="jsonl",
        cases=parse_cases(raw, str(path)),
    )


def _resolve(dataset: Path, item: str) -> str:
    if item == SAMPLES or "://" in item:
        return item
    candidate = Path(item).expanduser()
    return str(candidate if candidate.is_absolute() else (dataset.parent / candidate).resolve())


def load_dataset(path: str | Path) -> Dataset:
    """A dataset from .yaml/.yml, .jsonl, or SQuAD v1.1/v2.0 .json."""
    from assistant.evaluation.squad import is_squad, load_squad_dataset

    path = Path(path)
    if not path.is_file():
        raise InputError(f"dataset {path} not found")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_yaml(path)
    if suffix == ".jsonl":
        return load_jsonl(path)
    if suffix == ".json":
        if is_squad(path):
            return load_squad_dataset(path)
        raise InputError(f"{path}: a .json dataset must be SQuAD v1.1/v2.0 (a 'data' list)")
    raise InputError(f"{path}: unknown dataset format; use .yaml, .jsonl or SQuAD .json")
