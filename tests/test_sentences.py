import pytest

from assistant.sentences import paragraph_spans, sentence_spans, sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("One. Two.", ["One.", "Two."], id="simple"),
        pytest.param(
            "Mr. Smith left. He came back.", ["Mr. Smith left.", "He came back."], id="title-abbrev"
        ),
        pytest.param(
            "See No. 10 today. Then go.", ["See No. 10 today.", "Then go."], id="number-abbrev"
        ),
        pytest.param("He said no. Then left.", ["He said no.", "Then left."], id="no-is-a-word"),
        pytest.param("J. R. Smith won. Next.", ["J. R. Smith won.", "Next."], id="initials"),
        pytest.param(
            "It cost $10.5bn. Shares fell.", ["It cost $10.5bn.", "Shares fell."], id="decimal"
        ),
        pytest.param(
            '"Go," he said. "Now!" She ran.', ['"Go," he said.', '"Now!"', "She ran."], id="quotes"
        ),
        pytest.param(
            "Wait... and then? Yes.", ["Wait... and then?", "Yes."], id="ellipsis-lowercase"
        ),
        pytest.param(
            "Heading\nBody text here.", ["Heading", "Body text here."], id="lines-stay-apart"
        ),
        pytest.param(
            "Temperatures hit –20°C. Kyiv froze.",
            ["Temperatures hit –20°C.", "Kyiv froze."],
            id="unicode",
        ),
        pytest.param("", [], id="empty"),
        pytest.param("   \n\n  ", [], id="blank"),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_spans_point_into_text() -> None:
    text = "  First line.  Second one!\n\nThird?  "
    for start, end in sentence_spans(text):
        piece = text[start:end]
        assert piece == piece.strip() and piece


def test_paragraph_spans() -> None:
    text = "a b\n\n  c d \nz"
    assert [text[a:b] for a, b in paragraph_spans(text)] == ["a b", "c d", "z"]
