"""Article -> token-sized chunks of whole sentences, with character offsets (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.models import Article, Chunk, sha256_hex
from assistant.sentences import sentence_spans
from assistant.tokens import Tokenizer

_SPACE = re.compile(r"\s+")


def chunker_signature(tokenizer_name: str, target: int, overlap: int) -> str:
    """Identifies a chunking: the same article and signature always give the same chunks."""
    return f"{tokenizer_name}:{target}:{overlap}"


def chunk_article(
    article: Article, tokenizer: Tokenizer, target: int = 200, overlap: int = 30
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `target` tokens.

    Consecutive chunks share up to `overlap` tokens of whole sentences. A sentence longer
    than `target` is cut at word boundaries, so a chunk only exceeds `target` when a single
    word does.
    """
    if overlap >= target:
        raise ValueError("overlap must be smaller than target")
    units = _units(article.text, tokenizer, target)
    signature = chunker_signature(tokenizer.name, target, overlap)
    ranges = _pack([n for _, _, n in units], target, overlap)
    spans = [(units[first][0], units[last][1]) for first, last in ranges]
    chunks = _make_chunks(article, spans, tokenizer, signature)
    return _fix_overflow(article, chunks, units, tokenizer, target, signature)


def _make_chunks(
    article: Article, spans: Sequence[tuple[int, int]], tokenizer: Tokenizer, signature: str
) -> list[Chunk]:
    """Chunks for (start, end) spans of the article, numbered in order."""
    chunks: list[Chunk] = []
    for index, (start, end) in enumerate(spans):
        text = article.text[start:end]
        chunks.append(
            Chunk(
                id=sha256_hex(article.content_hash, signature, str(index))[:32],
                article_id=article.id,
                index=index,
                text=text,
                start=start,
                end=end,
                n_tokens=len(tokenizer.encode(text)),
            )
        )
    return chunks


def _units(text: str, tokenizer: Tokenizer, target: int) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, tokens), long ones cut into pieces of at most `target`."""
    units: list[tuple[int, int, int]] = []
    for start, end in sentence_spans(text):
        n = len(tokenizer.encode(text[start:end]))
        if n <= target:
            units.append((start, end, n))
        else:
            units.extend(_split_long(text, start, end, tokenizer, target))
    return units


def _split_long(
    text: str, start: int, end: int, tokenizer: Tokenizer, target: int
) -> list[tuple[int, int, int]]:
    """Cut text[start:end] at whitespace into pieces of at most `target` tokens."""
    pieces: list[tuple[int, int, int]] = []
    piece_start, piece_end, total = -1, -1, 0
    previous_end = start
    for match in re.finditer(r"\S+", text[start:end]):
        w_start, w_end = start + match.start(), start + match.end()
        # A word's tokens include the whitespace before it, as tiktoken pre-tokenizes.
        n = len(
            tokenizer.encode(text[previous_end:w_end] if piece_start >= 0 else text[w_start:w_end])
        )
        if piece_start >= 0 and total + n > target:
            pieces.append((piece_start, piece_end, total))
            piece_start = -1
            n = len(tokenizer.encode(text[w_start:w_end]))
        if piece_start < 0:
            piece_start, total = w_start, 0
        piece_end, total, previous_end = w_end, total + n, w_end
    if piece_start >= 0:
        pieces.append((piece_start, piece_end, total))
    return pieces


def _pack(counts: Sequence[int], target: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of unit token counts into (first, last) index ranges."""
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(counts):
        last, total = first, counts[first]
        while last + 1 < len(counts) and total + counts[last + 1] + 1 <= target:
            last += 1
            total += counts[last] + 1
        ranges.append((first, last))
        if last + 1 >= len(counts):
            break
        # Start the next chunk with trailing sentences worth at most `overlap` tokens.
        # The carried sentences must leave room for the next new one, so chunks always advance.
        room = target - counts[last + 1] - 1
        nxt, carried = last + 1, 0
        while nxt - 1 > first and carried + counts[nxt - 1] + 1 <= min(overlap, room):
            nxt -= 1
            carried += counts[nxt] + 1
        first = nxt
    return ranges


def _fix_overflow(
    article: Article,
    chunks: list[Chunk],
    units: list[tuple[int, int, int]],
    tokenizer: Tokenizer,
    target: int,
    signature: str,
) -> list[Chunk]:
    """Joining sentences can, rarely, add a token: re-pack any chunk that went over."""
    if all(c.n_tokens <= target for c in chunks):
        return chunks
    fixed: list[tuple[int, int]] = []
    for chunk in chunks:
        spans = [(a, b) for a, b, _ in units if a >= chunk.start and b <= chunk.end]
        while spans:
            k = len(spans)
            while (
                k > 1
                and len(tokenizer.encode(article.text[spans[0][0] : spans[k - 1][1]])) > target
            ):
                k -= 1
            fixed.append((spans[0][0], spans[k - 1][1]))
            spans = spans[k:]
    return _make_chunks(article, fixed, tokenizer, signature)


def normalize_space(text: str) -> str:
    """Collapse runs of whitespace to one space."""
    return _SPACE.sub(" ", text).strip()
