import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answer.claims import (
    ClaimCheck,
    Evidence,
    Verdict,
    check_claim,
    check_sentence,
    evidence_from_text,
    split_claims,
)

SEED = "Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force said."
THURSDAY = dt.date(2026, 2, 5)

SUPPORTED = Verdict.SUPPORTED
CONTRADICTED = Verdict.CONTRADICTED
NOT_FOUND = Verdict.NOT_FOUND


def check(evidence: str, claim: str, date: dt.date | None = None) -> ClaimCheck:
    return check_claim(claim, [Evidence(number=1, text=evidence, date=date)])


def test_seed_changed_number() -> None:
    result = check(SEED, "Russia attacked with 17 missiles [1]")
    assert result.verdict == CONTRADICTED
    assert result.kind == "number"
    assert result.reason == "17 is not in [1], which says 71"
    assert result.number == 1
    assert result.evidence == SEED


def test_seed_swapped_roles() -> None:
    result = check(SEED, "Ukraine attacked Russia with 71 missiles [1]")
    assert result.verdict == CONTRADICTED
    assert result.kind == "role"
    assert "Russia attacked" in result.reason


@pytest.mark.parametrize(
    ("evidence", "claim"),
    [
        pytest.param(SEED, "Russia attacked with seventy-one missiles.", id="number-words"),
        pytest.param(
            "Officials counted twelve bodies.", "Officials counted 12 bodies.", id="twelve"
        ),
        pytest.param(
            "The firm cut 1,200 jobs.", "The firm cut 1200 jobs.", id="thousands-separator"
        ),
        pytest.param("Growth was 2.5% in May.", "Growth was 2.5 per cent in May.", id="decimal"),
        pytest.param("Sales reached $1.2bn.", "Sales reached $1,200 million.", id="bn-as-millions"),
        pytest.param(
            "Sales reached $1.2bn.", "Sales reached 1.2 billion dollars.", id="bn-spelled"
        ),
        pytest.param(
            "The club was fined £5m.", "The club was fined 5 million pounds.", id="pounds"
        ),
        pytest.param("Turnout was 76%.", "Turnout was 76 per cent.", id="percent"),
        pytest.param(
            "Temperatures fell to minus 19C in Kyiv.",
            "Temperatures fell to -19 °C in Kyiv.",
            id="temperature",
        ),
        pytest.param("Between 10 and 12 people were hurt.", "10-12 people were hurt.", id="range"),
        pytest.param(SEED, "Russia fired more than 70 missiles.", id="more-than"),
        pytest.param(
            "The fire destroyed 480 homes.", "The fire destroyed almost 500 homes.", id="almost"
        ),
        pytest.param(SEED, "Russia fired about 70 missiles.", id="about"),
        pytest.param(
            "Profits jumped 76% to $1.13bn.", "Profits jumped 76% to $1.1bn.", id="rounded"
        ),
        pytest.param(
            "It lost 464,000 subscribers.", "It lost 460,000 subscribers.", id="rounded-thousands"
        ),
        pytest.param("The single costs 79p.", "The single costs £0.79.", id="pence"),
        pytest.param(
            "Five members voted for the cut, while four wanted to hold rates.",
            "Four members voted to hold rates.",
            id="same-figure-other-noun",
        ),
        pytest.param("Drogba scored twice.", "Drogba scored two goals.", id="twice"),
        pytest.param("The boxer weighed 70kg.", "The boxer weighed 70 kilograms.", id="kg"),
        pytest.param(
            "The committee voted 5-4 for the cut.",
            "The committee voted 5-4 for the cut.",
            id="pair",
        ),
    ],
)
def test_number_normalisation_supports(evidence: str, claim: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == SUPPORTED, result.reason


@pytest.mark.parametrize(
    ("evidence", "claim", "said"),
    [
        pytest.param(SEED, "Russia fired about 90 missiles.", "71", id="about-too-far"),
        pytest.param("Turnout was 76%.", "Turnout was 67%.", "76%", id="percent-changed"),
        pytest.param("The club was fined £5m.", "The club was fined $5m.", "£5m", id="currency"),
        pytest.param(
            "Temperatures fell to minus 19C.", "Temperatures fell to -9C.", "19C", id="temperature"
        ),
        pytest.param(
            "Sales rose 2% to $11.1bn from $10.9bn.",
            "Sales rose 1% to $11.1bn from $10.9bn.",
            "2%",
            id="small-change",
        ),
        pytest.param(
            "Debt was more than 11bn euros higher.",
            "Debt was more than 14bn euros higher.",
            "11bn euros",
            id="bound-changed",
        ),
        pytest.param(
            "The plan aims to save between £190m and £265m a year.",
            "The plan aims to save between £570m and £265m a year.",
            "£190m",
            id="range-changed",
        ),
        pytest.param(
            "It has 11 nominations and is at number six.",
            "It has 6 nominations and is at number six.",
            "11",
            id="same-noun",
        ),
        pytest.param("Rates were cut to 4%.", "Rates were cut to 3.75%.", "4%", id="too-precise"),
        pytest.param("It fell to number three.", "It fell to number twelve.", "3", id="rank"),
        pytest.param("Wales won 19-16.", "Wales won 19-48.", "19-16", id="score"),
        pytest.param("He won the 4km race.", "He won the 2km race.", "4km", id="distance"),
    ],
)
def test_number_contradictions(evidence: str, claim: str, said: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == CONTRADICTED
    assert result.kind == "number"
    assert said in result.reason


@pytest.mark.parametrize(
    ("evidence", "claim", "date", "verdict"),
    [
        pytest.param(
            "The deal was signed on 3 February 2026.",
            "The deal was signed on February 3.",
            None,
            SUPPORTED,
            id="day-month",
        ),
        pytest.param(
            "The deal was signed on 3 February 2026.",
            "The deal was signed on Feb 3.",
            None,
            SUPPORTED,
            id="abbreviated-month",
        ),
        pytest.param(
            "The deal was signed on 3 February 2026.",
            "The deal was signed on Tuesday, 3 February 2026.",
            None,
            SUPPORTED,
            id="weekday-of-date",
        ),
        pytest.param(
            "The deal was signed on 3 February 2026.",
            "The deal was signed on Wednesday, 3 February 2026.",
            None,
            CONTRADICTED,
            id="wrong-weekday-of-date",
        ),
        pytest.param(
            "The deal was signed on 3 February 2026.",
            "The deal was signed on 4 February.",
            None,
            CONTRADICTED,
            id="day-changed",
        ),
        pytest.param(
            "The deal was signed on 3 February 2026.",
            "The deal was signed in 2025.",
            None,
            CONTRADICTED,
            id="year-changed",
        ),
        pytest.param(
            "The vote is due on Wednesday.",
            "The vote is due on Thursday.",
            None,
            CONTRADICTED,
            id="weekday-changed",
        ),
        pytest.param(
            "The minister resigned on Tuesday.",
            "The minister resigned on 3 February.",
            THURSDAY,
            SUPPORTED,
            id="weekday-resolved",
        ),
        pytest.param(
            "The minister resigned on Tuesday.",
            "The minister resigned on 4 February.",
            THURSDAY,
            CONTRADICTED,
            id="weekday-resolved-wrong",
        ),
        pytest.param(
            "The minister resigned yesterday.",
            "The minister resigned on Wednesday.",
            THURSDAY,
            SUPPORTED,
            id="yesterday",
        ),
        pytest.param(
            "The minister resigned yesterday.",
            "The minister resigned on Monday.",
            THURSDAY,
            CONTRADICTED,
            id="yesterday-wrong",
        ),
        pytest.param(
            "Prices rose last month.",
            "Prices rose in January.",
            THURSDAY,
            SUPPORTED,
            id="last-month",
        ),
        pytest.param(
            "Prices rose last month.",
            "Prices rose in March.",
            THURSDAY,
            CONTRADICTED,
            id="last-month-wrong",
        ),
        pytest.param(
            "Prices rose last month.",
            "Prices rose in March.",
            None,
            NOT_FOUND,
            id="unresolved-relative-date",
        ),
        pytest.param(
            "The talks start at 9am.", "The talks start at 10am.", None, CONTRADICTED, id="time"
        ),
    ],
)
def test_dates(evidence: str, claim: str, date: dt.date | None, verdict: Verdict) -> None:
    result = check(evidence, claim, date)
    assert result.verdict == verdict, result.reason
    if verdict == CONTRADICTED:
        assert result.kind == "date"


def test_claim_dates_resolve_against_answer_date() -> None:
    evidence = [Evidence(number=1, text="The minister resigned on 4 February 2026.")]
    result = check_claim("The minister resigned yesterday.", evidence, answer_date=THURSDAY)
    assert result.verdict == SUPPORTED


@pytest.mark.parametrize(
    ("evidence", "claim"),
    [
        pytest.param(
            "Chief executive Richard Parsons said results were strong.",
            "Parsons said results were strong.",
            id="surname",
        ),
        pytest.param(
            "The United States imposed new tariffs on steel.",
            "The US imposed new tariffs on steel.",
            id="us",
        ),
        pytest.param(
            "The United States imposed new tariffs on steel.",
            "America imposed new tariffs on steel.",
            id="america",
        ),
        pytest.param(
            "Britain imposed new tariffs on steel.", "The UK imposed new tariffs on steel.", id="uk"
        ),
        pytest.param(
            "The United Kingdom imposed new tariffs.", "Britain imposed new tariffs.", id="britain"
        ),
        pytest.param(
            "The Securities and Exchange Commission opened an inquiry into AOL.",
            "The SEC opened an inquiry into AOL.",
            id="acronym",
        ),
        pytest.param(
            "The SEC opened an inquiry into AOL.",
            "The Securities and Exchange Commission opened an inquiry into AOL.",
            id="acronym-spelled-out",
        ),
        pytest.param(
            SEED, "Ukrainian officials said Russia attacked with 71 missiles.", id="demonym"
        ),
        pytest.param(
            SEED,
            "In the overnight strike on Kyiv, Russia attacked with 71 missiles.",
            id="added-name",
        ),
        pytest.param(
            "Time Warner said profits rose.", "TimeWarner said profits rose.", id="spacing"
        ),
    ],
)
def test_names_that_match(evidence: str, claim: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == SUPPORTED, result.reason


@pytest.mark.parametrize(
    ("evidence", "claim"),
    [
        pytest.param(
            "Zelensky said the talks had failed.", "Putin said the talks had failed.", id="speaker"
        ),
        pytest.param(
            "Sumitomo tabled a higher offer for UFJ than its rival.",
            "Mitsubishi tabled a higher offer for UFJ than its rival.",
            id="company",
        ),
        pytest.param(
            "Alexander and Catwoman were box-office flops.",
            "Alexander and Troy were box-office flops.",
            id="list-item",
        ),
        pytest.param(
            "The Confederation of British Industry (CBI) called for a pause.",
            "The Confederation of British Industry (TUC) called for a pause.",
            id="acronym-in-brackets",
        ),
    ],
)
def test_name_contradictions(evidence: str, claim: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == CONTRADICTED
    assert result.kind == "name"


@pytest.mark.parametrize(
    ("evidence", "claim", "kind"),
    [
        pytest.param(
            "The bank raised interest rates.",
            "The bank did not raise interest rates.",
            "negation",
            id="inserted-not",
        ),
        pytest.param(
            "The bank did not raise interest rates.",
            "The bank raised interest rates.",
            "negation",
            id="removed-not",
        ),
        pytest.param(
            "The minister denied taking bribes.",
            "The minister took bribes.",
            "negation",
            id="denied",
        ),
        pytest.param(
            "The team failed to win a single game.",
            "The team won a single game.",
            "negation",
            id="failed-to",
        ),
        pytest.param(
            "He has never visited China.", "He has visited China.", "negation", id="never"
        ),
        pytest.param(
            "The company plans to buy the stadium.",
            "The company bought the stadium.",
            "modality",
            id="plans-to",
        ),
        pytest.param(
            "The central bank may raise rates next month.",
            "The central bank raised rates.",
            "modality",
            id="may",
        ),
        pytest.param(
            "Apple is expected to announce a new phone.",
            "Apple announced a new phone.",
            "modality",
            id="expected-to",
        ),
        pytest.param(
            "Apple said it would appeal against the decision.",
            "Apple appealed against the decision.",
            "modality",
            id="would",
        ),
        pytest.param(
            "The Bank of England cut interest rates to 4%.",
            "The Bank of England raised interest rates to 4%.",
            "negation",
            id="opposite-direction",
        ),
        pytest.param(
            "The pound fell 0.4% against the dollar.",
            "The pound rose 0.4% against the dollar.",
            "negation",
            id="rose-fell",
        ),
    ],
)
def test_polarity_contradictions(evidence: str, claim: str, kind: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == CONTRADICTED
    assert result.kind == kind


@pytest.mark.parametrize(
    ("evidence", "claim"),
    [
        pytest.param(
            "No decision has been made on the merger.",
            "A decision has not been made on the merger.",
            id="negation-reworded",
        ),
        pytest.param(
            "The team failed to win a single game.",
            "The team did not win a single game.",
            id="failed-as-did-not",
        ),
        pytest.param(
            "The company plans to buy the stadium.",
            "The company intends to buy the stadium.",
            id="hedge-kept",
        ),
        pytest.param(
            "Imports rose 5% while exports fell 2%.", "Imports rose 5%.", id="both-directions"
        ),
        pytest.param(
            "Mr Livingstone said he could not sincerely say sorry.",
            "Mr Livingstone said he could not say sorry.",
            id="adverb-dropped-after-not",
        ),
        pytest.param(
            "Hantuchova, who did not win a match in 2004, has won two of her three matches.",
            "Hantuchova has won two of her three matches.",
            id="negated-clause-dropped",
        ),
    ],
)
def test_polarity_rewordings_supported(evidence: str, claim: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == SUPPORTED, result.reason


@pytest.mark.parametrize(
    ("evidence", "claim", "verdict"),
    [
        pytest.param(
            "Chelsea beat Arsenal 2-1.", "Arsenal beat Chelsea 2-1.", CONTRADICTED, id="beat"
        ),
        pytest.param(
            "Chelsea beat Arsenal 2-1.",
            "Chelsea were beaten by Arsenal 2-1.",
            CONTRADICTED,
            id="passive-swapped",
        ),
        pytest.param(
            "Chelsea beat Arsenal 2-1.",
            "Arsenal were beaten by Chelsea 2-1.",
            SUPPORTED,
            id="passive-faithful",
        ),
        pytest.param(
            "Google bought YouTube for $1.65bn.",
            "YouTube bought Google for $1.65bn.",
            CONTRADICTED,
            id="bought",
        ),
        pytest.param(
            "Google bought YouTube for $1.65bn.",
            "YouTube was acquired by Google for $1.65bn.",
            SUPPORTED,
            id="acquired-passive",
        ),
        pytest.param(
            "YouTube was bought by Google in 2006.",
            "YouTube bought Google in 2006.",
            CONTRADICTED,
            id="from-passive",
        ),
        pytest.param(
            "Oracle sued Google over Java.",
            "Google sued Oracle over Java.",
            CONTRADICTED,
            id="sued",
        ),
        pytest.param(
            "The minister criticised the BBC over its coverage.",
            "The BBC criticised the minister over its coverage.",
            CONTRADICTED,
            id="criticised",
        ),
    ],
)
def test_roles(evidence: str, claim: str, verdict: Verdict) -> None:
    result = check(evidence, claim)
    assert result.verdict == verdict, result.reason
    if verdict == CONTRADICTED:
        assert result.kind == "role"


@pytest.mark.parametrize(
    ("evidence", "claim"),
    [
        pytest.param(
            "Profits rose 5% to $2bn, the company said on Friday.",
            "The company said on Friday that profits increased 5% to $2bn.",
            id="reordered-synonym",
        ),
        pytest.param(
            "The firm, which is based in London, cut 300 jobs.",
            "The firm cut 300 jobs.",
            id="dropped-clause",
        ),
        pytest.param(
            "The stadium was bought by the club in 2004.",
            "The club bought the stadium in 2004.",
            id="active-from-passive",
        ),
        pytest.param(
            "Shares in the company fell sharply on Monday.",
            "The company's shares dropped on Monday.",
            id="dropped-adverb",
        ),
        pytest.param(
            "For the full-year, TimeWarner posted a profit of $3.36bn, up 27% from 2003.",
            "TimeWarner's full-year profit was $3.36 billion, 27 per cent more than in 2003.",
            id="paraphrase",
        ),
        pytest.param(
            SEED,
            "According to the Ukrainian air force, Russia attacked with 71 missiles.",
            id="attribution-moved",
        ),
    ],
)
def test_faithful_rewordings(evidence: str, claim: str) -> None:
    result = check(evidence, claim)
    assert result.verdict == SUPPORTED, result.reason


def test_not_found() -> None:
    result = check(SEED, "The football season ended with a surprise champion.")
    assert result.verdict == NOT_FOUND
    assert result.reason == "no sentence of [1] states this"
    assert result.evidence is None


def test_no_evidence() -> None:
    assert check_claim("Russia attacked.", []).verdict == NOT_FOUND


def test_another_source_supports() -> None:
    evidence = [
        Evidence(number=1, text="Russia attacked with 71 missiles overnight."),
        Evidence(number=2, text="Russia attacked with 17 missiles overnight, officials said."),
    ]
    result = check_claim("Russia attacked with 17 missiles overnight [1][2].", evidence)
    assert result.verdict == SUPPORTED
    assert result.number == 2


def test_mismatch_counts_when_no_source_supports() -> None:
    evidence = [
        Evidence(number=1, text="The weather in Kyiv was cold."),
        Evidence(number=2, text="Russia attacked with 71 missiles overnight."),
    ]
    result = check_claim("Russia attacked with 17 missiles overnight [1][2].", evidence)
    assert result.verdict == CONTRADICTED
    assert result.number == 2
    assert result.reason == "17 is not in [2], which says 71"


def test_a_loosely_related_sentence_does_not_outvote_the_aligned_one() -> None:
    evidence = [
        Evidence(number=1, text="Sales rose 2.8% to 14.96bn euros."),
        Evidence(number=1, text="Sales in Europe were steady, the firm said."),
    ]
    assert check_claim("Sales rose 2.0% to 14.96bn euros.", evidence).verdict == CONTRADICTED


@pytest.mark.parametrize(
    ("sentence", "claims"),
    [
        pytest.param(
            "Profits rose 5% [1]; the firm hired 200 staff [2].",
            ["Profits rose 5% [1]", "the firm hired 200 staff [2]."],
            id="semicolon",
        ),
        pytest.param(
            "TimeWarner posted a profit of $3.36bn, while revenues grew 6.4% to $42.09bn [1].",
            ["TimeWarner posted a profit of $3.36bn", "revenues grew 6.4% to $42.09bn [1]."],
            id="while",
        ),
        pytest.param(
            "Russia fired 71 missiles, and Ukraine shot down 30 of them [1].",
            ["Russia fired 71 missiles", "Ukraine shot down 30 of them [1]."],
            id="and-clause",
        ),
        pytest.param(
            "He resigned on Monday and he left the country [1].",
            ["He resigned on Monday", "he left the country [1]."],
            id="and-pronoun",
        ),
        pytest.param(
            "Russia and Ukraine signed a grain deal [1].",
            ["Russia and Ukraine signed a grain deal [1]."],
            id="and-between-names",
        ),
        pytest.param(
            "The firm sells apples, pears, and bananas [1].",
            ["The firm sells apples, pears, and bananas [1]."],
            id="list",
        ),
        pytest.param(
            "Profits rose and costs fell [1].", ["Profits rose and costs fell [1]."], id="short"
        ),
    ],
)
def test_split_claims(sentence: str, claims: list[str]) -> None:
    assert split_claims(sentence) == claims


def test_check_sentence_checks_each_claim_against_its_own_source() -> None:
    evidence = [
        Evidence(number=1, text="Russia attacked with 71 missiles overnight."),
        Evidence(number=2, text="Ukraine said it shot down 30 of the missiles."),
    ]
    checks = check_sentence(
        "Russia attacked with 71 missiles [1], and Ukraine shot down 40 of them [2].", evidence
    )
    assert [c.verdict for c in checks] == [SUPPORTED, CONTRADICTED]
    assert [c.number for c in checks] == [1, 2]
    assert checks[1].reason == "40 is not in [2], which says 30"


def test_check_sentence_uses_the_sentence_markers() -> None:
    evidence = [
        Evidence(number=1, text="Russia attacked with 71 missiles overnight."),
        Evidence(number=2, text="Russia attacked with 17 missiles overnight."),
    ]
    (result,) = check_sentence("Russia attacked with 17 missiles overnight [1].", evidence)
    assert result.verdict == CONTRADICTED


WORDS = st.sampled_from(
    "government company minister shares prices workers council report market players club "
    "economy bank plans growth talks deal court officials sales profits".split()
)
VERBS = st.sampled_from("said rose fell announced agreed expects reported cut".split())
NAMES = st.sampled_from(["Russia", "Mr Blair", "Google", "Chelsea", "the European Union"])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    subject = draw(NAMES)
    verb = draw(VERBS)
    words = draw(st.lists(WORDS, min_size=2, max_size=6))
    number = draw(st.integers(min_value=2, max_value=999_999))
    unit = draw(st.sampled_from(["%", "", " jobs", "m"]))
    money = draw(st.sampled_from(["", "$", "£"])) if unit in {"", "m"} else ""
    day = draw(st.sampled_from(["", " on Monday", " in March", " in 2004"]))
    return f"{subject} {verb} {' '.join(words)} by {money}{number:,}{unit}{day}."


@settings(max_examples=200, deadline=None)
@given(sentences(), st.lists(sentences(), max_size=4))
def test_a_claim_identical_to_its_evidence_is_supported(sentence: str, others: list[str]) -> None:
    evidence = [Evidence(number=i + 2, text=s) for i, s in enumerate(others)]
    evidence.append(Evidence(number=1, text=sentence))
    assert check_claim(sentence, evidence).verdict == SUPPORTED


@settings(max_examples=200, deadline=None)
@given(sentences(), st.integers(min_value=2, max_value=9))
def test_a_number_multiplied_is_contradicted(sentence: str, factor: int) -> None:
    number = next(
        w for w in sentence.replace(",", "").split() if w[:1].isdigit() or w[1:2].isdigit()
    )
    digits = "".join(c for c in number if c.isdigit())
    changed = sentence.replace(f"{int(digits):,}", f"{int(digits) * factor:,}", 1)
    result = check_claim(changed, [Evidence(number=1, text=sentence)])
    assert result.verdict == CONTRADICTED
    assert result.kind == "number"


def test_evidence_from_text() -> None:
    text = "Russia attacked with 71 missiles. Kyiv lost power.\n\nTemperatures fell to minus 19C."
    evidence = evidence_from_text(2, text, THURSDAY)
    assert [e.text for e in evidence] == [
        "Russia attacked with 71 missiles.",
        "Kyiv lost power.",
        "Temperatures fell to minus 19C.",
    ]
    assert {(e.number, e.date) for e in evidence} == {(2, THURSDAY)}


def test_a_name_from_elsewhere_in_the_source_is_still_checked_in_its_slot() -> None:
    evidence = [
        Evidence(number=1, text="Kevin De Bruyne opened the scoring after 10 minutes."),
        Evidence(number=1, text="Bernardo Silva and Phil Foden scored in the second half."),
    ]
    result = check_claim("Phil Foden opened the scoring after 10 minutes [1].", evidence)
    assert result.verdict == CONTRADICTED
    assert result.reason == "Phil Foden is not in [1], which says Kevin De Bruyne"


@pytest.mark.parametrize(
    ("evidence", "claim"),
    [
        pytest.param(
            "The Conservatives dismissed the plan.", "The Tories dismissed the plan.", id="tories"
        ),
        pytest.param(
            "The Liberal Democrats said it was misdirected.",
            "The Lib Dems said it was misdirected.",
            id="lib-dems",
        ),
        pytest.param(
            "Manchester City beat Copenhagen 3-1.", "City beat Copenhagen 3-1.", id="short-name"
        ),
        pytest.param("The European Commission fined Apple.", "The EU fined Apple.", id="eu-body"),
    ],
)
def test_more_aliases(evidence: str, claim: str) -> None:
    assert check(evidence, claim).verdict == SUPPORTED


@pytest.mark.parametrize(
    ("claim", "values"),
    [
        pytest.param(
            "Russia attacked with 17 missiles.", ("17 missiles", "71 missiles"), id="count"
        ),
        pytest.param("The attack hit Lviv on Tuesday.", ("Lviv", "Kyiv"), id="name"),
        pytest.param("The attack hit Kyiv on Wednesday.", ("Wednesday", "Tuesday"), id="date"),
    ],
)
def test_a_contradiction_says_what_each_side_writes(claim: str, values: tuple[str, str]) -> None:
    evidence = evidence_from_text(
        1, "Russia attacked with 71 missiles, the air force said. The attack hit Kyiv on Tuesday."
    )
    check = check_claim(claim, evidence)
    assert check.verdict is Verdict.CONTRADICTED
    assert (check.claim_value, check.evidence_value) == values
