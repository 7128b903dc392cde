from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import (
    BUNDLED_MODEL_SHA256,
    OnnxEmbedder,
    OpenAIEmbedder,
    bundled_model_files,
)
from assistant.errors import ConfigError, ProviderError


def test_bundled_model_gives_unit_vectors_that_mean_something(onnx_embedder: OnnxEmbedder) -> None:
    texts = [
        "The cat sat on the mat.",
        "A kitten was resting on a rug.",
        "Stock markets fell sharply on Monday.",
    ]
    v = onnx_embedder.embed(texts)
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_batching_and_order_do_not_change_vectors(onnx_embedder: OnnxEmbedder) -> None:
    texts = ["short", "a somewhat longer sentence about the weather in Kyiv", "mid length text"]
    together = onnx_embedder.embed(texts)
    alone = np.stack([onnx_embedder.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_long_text_is_truncated_at_256_wordpieces(onnx_embedder: OnnxEmbedder) -> None:
    assert onnx_embedder.count_wordpieces(["word " * 400])[0] > 256
    head = " ".join(f"w{i}" for i in range(300))
    v1 = onnx_embedder.embed([head])[0]
    v2 = onnx_embedder.embed([head + " entirely different ending text " * 30])[0]
    assert np.allclose(v1, v2, atol=1e-4)  # the tail past the window is not read


def test_empty_input(onnx_embedder: OnnxEmbedder) -> None:
    assert onnx_embedder.embed([]).shape[0] == 0


def test_hash_check_rejects_a_changed_model(tmp_path: Path) -> None:
    model, tokenizer = bundled_model_files()
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    embedder = OnnxEmbedder(fake, tokenizer, name="x", expected_sha256=BUNDLED_MODEL_SHA256)
    with pytest.raises(ConfigError, match="sha256"):
        embedder.embed(["hello"])


def test_model_dir_of_your_own(tmp_path: Path) -> None:
    model, tokenizer = bundled_model_files()
    (tmp_path / "model.onnx").symlink_to(model)
    (tmp_path / "tokenizer.json").symlink_to(tokenizer)
    own = OnnxEmbedder.from_dir(tmp_path)
    assert own.name == f"onnx:{BUNDLED_MODEL_SHA256[:12]}"
    assert own.embed(["hello"]).shape == (1, 384)


def test_model_dir_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model.onnx"):
        OnnxEmbedder.from_dir(tmp_path)


def test_openai_embedder_against_local_server(openai_server) -> None:  # type: ignore[no-untyped-def]
    import openai

    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=0)
    embedder = OpenAIEmbedder(client, model="test-embedding", batch=2)
    v = embedder.embed(["heating cut in Kyiv", "heating cut in Kharkiv", "football results"])
    assert v.shape == (3, 64)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    assert embedder.name == "openai:test-embedding"
    assert len([r for r in openai_server.requests if r.path.endswith("/embeddings")]) == 2


def test_openai_embedder_error_is_a_provider_error(openai_server) -> None:  # type: ignore[no-untyped-def]
    import openai

    client = openai.OpenAI(base_url=openai_server.base_url + "/nowhere", api_key="k", max_retries=0)
    with pytest.raises(ProviderError, match="embedding request"):
        OpenAIEmbedder(client).embed(["x"])


def test_hash_check_rejects_a_changed_tokenizer(tmp_path: Path) -> None:
    from assistant.embeddings import BUNDLED_TOKENIZER_SHA256

    model, tokenizer = bundled_model_files()
    changed = tmp_path / "tokenizer.json"
    changed.write_text(tokenizer.read_text(encoding="utf-8").replace("[UNK]", "[UNKNOWN]", 1))
    embedder = OnnxEmbedder(
        model,
        changed,
        name="x",
        expected_sha256=BUNDLED_MODEL_SHA256,
        expected_tokenizer_sha256=BUNDLED_TOKENIZER_SHA256,
    )
    with pytest.raises(ConfigError, match="tokenizer.json has sha256"):
        embedder.embed(["hello"])


# Token vectors (the reader's alignment features)


def test_token_vectors_pool_to_the_embedding_and_point_at_their_words(
    onnx_embedder: OnnxEmbedder,
) -> None:
    texts = ["How many drones did Russia launch?", "Russia attacked with 450 drones."]
    pooled = onnx_embedder.embed(texts)
    [question, sentence] = onnx_embedder.token_vectors(texts)
    assert question.pooled @ pooled[0] > 0.999 and sentence.pooled @ pooled[1] > 0.999
    assert sentence.vectors.shape == (len(sentence.offsets), 384)
    assert np.allclose(np.linalg.norm(sentence.vectors, axis=1), 1.0, atol=1e-4)
    words = [texts[1][a:b] for a, b in sentence.offsets]
    assert words[:3] == ["Russia", "attacked", "with"] and "drones" in words
    drones = question.vectors[[texts[0][a:b] for a, b in question.offsets].index("drones")]
    assert words[int(np.argmax(sentence.vectors @ drones))] == "drones"


def test_token_vectors_of_a_text_embedded_last_need_no_new_model_run(
    onnx_embedder: OnnxEmbedder,
) -> None:
    text = "Where were the talks held this week?"
    onnx_embedder.embed([text])
    first = onnx_embedder.token_vectors([text])[0]
    again = onnx_embedder.token_vectors([text, "Another sentence entirely."])
    assert again[0] is first and again[1].pooled.shape == (384,)
    assert onnx_embedder.token_vectors([]) == []
