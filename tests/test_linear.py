"""The reader's model file: linear models as JSON, written reproducibly, hash-checked at load."""

from pathlib import Path

import numpy as np
import pytest

from assistant.answer.linear import (
    LinearModel,
    ReaderModel,
    dump_model,
    load_model,
    sha256_bytes,
    sigmoid,
    softmax,
)
from assistant.answer.reader import MODEL_PATH, READER_SHA256, bundled_model
from assistant.errors import ConfigError


def test_the_shipped_file_matches_its_hash_and_loads() -> None:
    assert sha256_bytes(MODEL_PATH.read_bytes()) == READER_SHA256
    model = bundled_model()
    assert model.name == "reader-v1" and 0.0 < model.threshold < 1.0
    assert model.shortlist_size > 0 and model.max_chars > 0
    assert MODEL_PATH.stat().st_size < 50_000  # small enough to read in a diff
    assert MODEL_PATH.with_suffix(".md").is_file()  # its card


def test_a_corrupted_file_fails_clearly(tmp_path: Path) -> None:
    data = bytearray(MODEL_PATH.read_bytes())
    data[100] ^= 1
    damaged = tmp_path / "reader-v1.json"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="sha256 .* expected .*damaged or replaced"):
        load_model(damaged, READER_SHA256)


def test_a_missing_or_foreign_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_model(tmp_path / "nothing.json", None)
    other = tmp_path / "other.json"
    other.write_text('{"name": "x"}')
    with pytest.raises(ConfigError, match="not a reader model"):
        load_model(other, None)


def test_the_same_model_writes_the_same_bytes() -> None:
    model = bundled_model()
    assert dump_model(model) == MODEL_PATH.read_bytes()
    again = ReaderModel.from_json(model.to_json())
    assert dump_model(again) == dump_model(model)


def test_linear_scores_standardise_then_weigh() -> None:
    linear = LinearModel(
        features=("a", "b"),
        mean=np.array([1.0, 0.0]),
        scale=np.array([2.0, 1.0]),
        coef=np.array([1.0, -1.0]),
        intercept=0.5,
    )
    assert linear.score_rows([{"a": 3.0, "b": 1.0}, {"a": 1.0}]).tolist() == [0.5, 0.5]
    assert linear.scores(np.zeros((0, 2))).shape == (0,)
    with pytest.raises(ValueError, match="one value per feature"):
        LinearModel.from_json({"features": ["a"], "mean": [0, 1], "scale": [1], "coef": [1]})


def test_probabilities() -> None:
    assert sigmoid(0.0) == 0.5 and 0.0 < sigmoid(-1000.0) < 1e-12
    p = softmax(np.array([1.0, 1.0, 1000.0]))
    assert p.sum() == pytest.approx(1.0) and p[2] == pytest.approx(1.0)
