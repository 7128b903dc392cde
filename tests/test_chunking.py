from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_article
from assistant.models import Article, sha256_hex
from assistant.sentences import sentence_spans
from assistant.tokens import default_tokenizer

TOKENIZER = default_tokenizer()


def article(text: str) -> Article:
    return Article(id="a1", source="test", title="t", text=text, content_hash=sha256_hex(text))


words = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=12
)
sentence = st.builds(
    lambda ws, end: " ".join(ws).capitalize() + end,
    st.lists(words, min_size=1, max_size=60),
    st.sampled_from([".", "!", "?", ""]),
)
paragraph = st.builds(" ".join, st.lists(sentence, min_size=1, max_size=8))
texts = st.builds("\n\n".join, st.lists(paragraph, min_size=1, max_size=8))
sizes = st.tuples(st.integers(20, 120), st.integers(0, 19))

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(texts, sizes)
def test_offsets_reproduce_text(text: str, size: tuple[int, int]) -> None:
    target, overlap = size
    a = article(text)
    for chunk in chunk_article(a, TOKENIZER, target, overlap):
        assert a.text[chunk.start : chunk.end] == chunk.text
        assert chunk.n_tokens == len(TOKENIZER.encode(chunk.text))


@PROPERTY
@given(texts, sizes)
def test_no_chunk_over_limit_unless_one_word(text: str, size: tuple[int, int]) -> None:
    target, overlap = size
    for chunk in chunk_article(article(text), TOKENIZER, target, overlap):
        if chunk.n_tokens > target:
            assert len(chunk.text.split()) == 1, chunk.text


@PROPERTY
@given(texts, sizes)
def test_chunks_cover_every_sentence(text: str, size: tuple[int, int]) -> None:
    target, overlap = size
    chunks = chunk_article(article(text), TOKENIZER, target, overlap)
    covered = [False] * len(text)
    for chunk in chunks:
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    for start, end in sentence_spans(text):
        assert all(covered[i] or text[i].isspace() for i in range(start, end))
    assert [c.index for c in chunks] == list(range(len(chunks)))


@PROPERTY
@given(texts, sizes)
def test_chunks_move_forward(text: str, size: tuple[int, int]) -> None:
    target, overlap = size
    chunks = chunk_article(article(text), TOKENIZER, target, overlap)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start > before.start and after.end > before.end


def test_overlap_repeats_whole_sentences() -> None:
    text = " ".join(f"Sentence number {i} says something about topic {i}." for i in range(40))
    chunks = chunk_article(article(text), TOKENIZER, target=60, overlap=20)
    assert len(chunks) > 2
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start < before.end  # they share text
        assert text[after.start : before.end].endswith(".")


def test_ids_are_stable_and_depend_on_content_and_settings() -> None:
    a = article("One sentence here. Another one there. " * 30)
    first = chunk_article(a, TOKENIZER, 50, 10)
    assert [c.id for c in first] == [c.id for c in chunk_article(a, TOKENIZER, 50, 10)]
    assert first[0].id != chunk_article(a, TOKENIZER, 60, 10)[0].id
    b = article("A different text. " * 30)
    assert first[0].id != chunk_article(b, TOKENIZER, 50, 10)[0].id


def test_sentence_longer_than_target_is_cut_at_words() -> None:
    text = "word " * 500 + "end."
    chunks = chunk_article(article(text), TOKENIZER, target=40, overlap=0)
    assert len(chunks) > 10
    assert all(c.n_tokens <= 40 for c in chunks)


def test_special_token_text_is_ordinary_text() -> None:
    chunks = chunk_article(article("Text with <|endoftext|> inside it."), TOKENIZER, 50, 0)
    assert chunks[0].text == "Text with <|endoftext|> inside it."
