"""The reader's model file: linear models over named features, applied with numpy.

A model file is JSON written by eval/train_reader.py: four linear models (shortlist, ranker,
span, confidence), each with its feature names, the standardisation it was fitted with
(mean and scale), coefficients and intercept, plus the reader's settings (how many sentences
get token vectors, the default abstention threshold). Loading checks the file's sha256
against the one the code expects, so a damaged or swapped file fails loudly, not quietly.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from assistant.errors import ConfigError

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class LinearModel:
    """score(x) = ((x - mean) / scale) @ coef + intercept, over the named features."""

    features: tuple[str, ...]
    mean: Matrix
    scale: Matrix
    coef: Matrix
    intercept: float = 0.0

    def matrix(self, rows: Sequence[Mapping[str, float]]) -> Matrix:
        """Rows of named features as a matrix in this model's feature order (missing: 0)."""
        return np.asarray(
            [[row.get(name, 0.0) for name in self.features] for row in rows], dtype=np.float64
        ).reshape(len(rows), len(self.features))

    def scores(self, x: Matrix) -> Matrix:
        """The linear score of each row of a matrix in feature order."""
        if x.shape[0] == 0:
            return np.zeros(0)
        out: Matrix = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return out

    def score_rows(self, rows: Sequence[Mapping[str, float]]) -> Matrix:
        """The linear score of each row of named features."""
        return self.scores(self.matrix(rows))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [_round(v) for v in self.mean],
            "scale": [_round(v) for v in self.scale],
            "coef": [_round(v) for v in self.coef],
            "intercept": _round(self.intercept),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearModel:
        features = tuple(str(f) for f in data["features"])
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays):
            raise ValueError("mean, scale and coef must have one value per feature")
        return cls(features, arrays[0], arrays[1], arrays[2], float(data.get("intercept", 0.0)))


def _round(value: float) -> float:
    """Six significant digits: small files, and the same file from the same fit."""
    value = float(value)
    if value == 0.0 or not math.isfinite(value):
        return 0.0
    return float(f"{value:.6g}")


def sigmoid(x: Matrix | float) -> Matrix:
    """The logistic function, elementwise."""
    out: Matrix = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -30, 30)))
    return out


def softmax(x: Matrix) -> Matrix:
    """Probabilities from scores (an empty input stays empty)."""
    if x.size == 0:
        return x
    e = np.exp(x - x.max())
    out: Matrix = e / e.sum()
    return out


@dataclass(frozen=True)
class ReaderModel:
    """Everything the reader learned, with the settings chosen on tune data."""

    name: str
    shortlist: LinearModel
    """Cheap features: which sentences get token vectors."""
    ranker: LinearModel
    """All features: which sentence answers."""
    span: LinearModel
    """Span features: which words of it are the short answer."""
    confidence: LinearModel
    """Question features: the logit of the probability that the answer is right."""
    shortlist_size: int
    max_chars: int
    """Sentences are cut to this many characters for the encoder (keeps its call short)."""
    threshold: float
    """Default abstention threshold on the probability (chosen on tune data)."""
    second_ratio: float
    """A runner-up sentence joins the answer when its ranker probability is at least this
    share of the best one's (and it comes from the same article)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "shortlist_size": self.shortlist_size,
            "max_chars": self.max_chars,
            "threshold": _round(self.threshold),
            "second_ratio": _round(self.second_ratio),
            "shortlist": self.shortlist.to_json(),
            "ranker": self.ranker.to_json(),
            "span": self.span.to_json(),
            "confidence": self.confidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReaderModel:
        return cls(
            name=str(data["name"]),
            shortlist=LinearModel.from_json(data["shortlist"]),
            ranker=LinearModel.from_json(data["ranker"]),
            span=LinearModel.from_json(data["span"]),
            confidence=LinearModel.from_json(data["confidence"]),
            shortlist_size=int(data["shortlist_size"]),
            max_chars=int(data["max_chars"]),
            threshold=float(data["threshold"]),
            second_ratio=float(data["second_ratio"]),
        )


def dump_model(model: ReaderModel) -> bytes:
    """The model file's bytes: sorted keys, fixed layout, so the same model gives the same file."""
    text = json.dumps(model.to_json(), indent=1, sort_keys=True)
    return (text + "\n").encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_model(path: Path, expected_sha256: str | None) -> ReaderModel:
    """Read a model file, after checking its sha256 (None: unchecked, for your own file)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"reader model file {path} cannot be read ({error}); reinstall"
        ) from error
    actual = sha256_bytes(data)
    if expected_sha256 is not None and actual != expected_sha256:
        raise ConfigError(
            f"reader model file {path} has sha256 {actual}, expected {expected_sha256}: the file "
            "is damaged or replaced; reinstall the package, or retrain it with "
            "eval/train_reader.py and update READER_SHA256"
        )
    try:
        return ReaderModel.from_json(json.loads(data))
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"reader model file {path} is not a reader model: {error}") from error
