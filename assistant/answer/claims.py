"""Check a cited claim against the sentences of its sources (pure: no I/O, no clock).

Word overlap says "Russia attacked with 17 missiles [1]" is well supported by "Russia attacked
with 71 missiles"; this module aligns each claim to its best source sentence and compares what
must match: numbers and quantities, dates, names, negation, modality and who did what to whom.

>>> ev = [Evidence(number=1, text="Russia attacked with 71 missiles, the air force said.")]
>>> check_claim("Russia attacked with 17 missiles", ev).reason
'17 is not in [1], which says 71'

Reused: number words ("seventy-one") are read with `assistant.evaluation.normalize`
(`words_to_number` and its word tables), stems with `assistant.lexical.stem` and its stopwords,
sentences with `assistant.sentences`. Rules are conservative: a false flag is worse than a miss.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from assistant.numbers import TENS, UNITS, words_to_number
from assistant.sentences import sentences
from assistant.store.lexical import STOPWORDS, stem

__all__ = [
    "ClaimCheck",
    "Evidence",
    "Verdict",
    "check_claim",
    "check_sentence",
    "evidence_from_text",
    "has_figure",
    "split_claims",
]

ALIGN_MIN = 0.5  # share of the claim's content words a sentence must hold to be compared
ALIGN_MARGIN = 0.15  # a sentence supports only if aligned within this of the best-aligned one
PLAIN_MIN = 0.75  # ... or this share of its words other than names (3 or more)
CONFLICT_PLAIN_MIN = 0.3  # a sentence contradicts only if it shares this much beyond names
STRONG_ALIGN = 0.75  # so aligned that a differing figure anywhere in it is a rival
MAX_CANDIDATES = 8  # aligned sentences compared in full, best first
PREFILTER = 0.2  # sentences sharing fewer of the claim's words (as written) are not analysed


class Verdict(StrEnum):
    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    NOT_FOUND = "not_found"


class Evidence(BaseModel):
    """One candidate sentence from a cited source."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(description="the [n] it came from")
    text: str = Field(description="the sentence, verbatim")
    date: dt.date | None = Field(None, description="the article's date, for relative dates")


class ClaimCheck(BaseModel):
    """The verdict on one claim, with the sentence that decided it."""

    model_config = ConfigDict(frozen=True)

    claim: str
    verdict: Verdict
    reason: str = Field(description="e.g. '17 is not in [1], which says 71'")
    number: int | None = Field(description="the source that decided it")
    evidence: str | None = Field(description="the aligned source sentence")
    kind: str | None = Field(
        description="what mismatched: number, date, name, negation, modality or role"
    )
    claim_value: str | None = Field(
        None, description="the mismatched item as the claim writes it, e.g. '17 missiles'"
    )
    evidence_value: str | None = Field(
        None, description="what the evidence writes in its place, e.g. '71 missiles'"
    )


# ---------------------------------------------------------------------------------------------
# Word lists

_CHARS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": " - ",
        "\u2212": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)

_FUNCTION_WORDS = STOPWORDS | frozenset(
    """also about after against all almost along already although always among another any
    around because before being below between both can cannot could did does doing down during
    each either even ever every few further however just last least less many may might more
    most much must near nearly neither never next no nor not now off often once only other our
    out over per perhaps same several shall should since some still such then though through
    thus too under until up upon us very via well what whether while within without would yet
    ones here him himself herself itself themselves my me mine your yours ours hers theirs
    told says say said according meanwhile instead still despite amid""".split()
)

# Words grouped so that faithful rewordings align; used for alignment and verb matching.
_SYNONYM_GROUPS = {
    "rise": """rise rises rose risen rising raise raises raised raising increase increases
        increased increasing climb climbs
        climbed climbing jump jumps jumped jumping grow grows grew grown growing gain gains gained
        soar soars soared surge surges surged""",
    "fall": """fall falls fell fallen falling drop drops dropped dropping decline declines
        declined declining decrease decreases decreased slip slips slipped slump slumps slumped
        plunge plunges plunged dip dips dipped tumble tumbled sink sank lower lowers lowered
        lowering reduce reduces reduced reducing cut cuts cutting axe axes axed axing slash
        slashes slashed""",
    "say": "say says said saying state states stated tell tells told add adds added",
    "buy": """buy buys bought buying purchase purchases purchased purchasing acquire acquires
        acquired acquiring""",
    "company": "company companies firm firms",
    "profit": "profit profits earnings",
    "beat": """beat beats beaten beating defeat defeats defeated defeating thrash thrashed
        trounce trounced""",
    "criticise": """criticise criticises criticised criticising criticize criticizes criticized
        criticizing condemn condemns condemned slam slams slammed""",
    "attack": "attack attacks attacked attacking",
    "sue": "sue sues sued suing",
    "replace": "replace replaces replaced replacing",
    "sack": "sack sacks sacked sacking dismiss dismissed",
    "hire": "hire hires hired hiring appoint appoints appointed appointing",
    "accuse": "accuse accuses accused accusing",
    "blame": "blame blames blamed blaming",
    "back": "back backs backed backing endorse endorses endorsed support supports supported",
    "overtake": "overtake overtakes overtook overtaken overtaking",
    "invade": "invade invades invaded invading",
    "kill": "kill kills killed killing",
    "arrest": "arrest arrests arrested arresting",
    "praise": "praise praises praised praising",
    "sign": "sign signs signed signing",
    "join": "join joins joined joining",
    "big": "big bigger biggest large larger largest",
    "small": "small smaller smallest",
    "win": "win wins won winning",
    "lose": "lose loses lost losing",
    "sell": "sell sells sold selling",
    "investigation": "investigation investigations probe probes inquiry inquiries",
    "complain": "complaint complaints complain complains complained complaining",
    "decision": "decision decisions ruling rulings",
    "breach": "breach breaches breached breaching break breaks broke broken breaking",
    "match": "match matches game games",
    "technology": "technology technologies tech",
    "start": "start starts started starting begin begins began begun beginning",
}
_SYNONYM = {w: head for head, words in _SYNONYM_GROUPS.items() for w in words.split()}

# Canonical verbs whose subject and object cannot be swapped without changing the meaning.
_ROLE_VERBS = frozenset(
    """buy beat criticise attack sue replace sack hire accuse blame back overtake invade kill
    arrest praise sign join""".split()
)

_IRREGULAR = {
    "made": "make",
    "gave": "give",
    "given": "give",
    "went": "go",
    "gone": "go",
    "came": "come",
    "saw": "see",
    "seen": "see",
    "left": "leave",
    "held": "hold",
    "met": "meet",
    "paid": "pay",
    "led": "lead",
    "took": "take",
    "taken": "take",
    "spent": "spend",
    "began": "begin",
    "begun": "begin",
    "brought": "bring",
    "thought": "think",
    "found": "find",
    "got": "get",
    "ran": "run",
    "kept": "keep",
    "felt": "feel",
    "became": "become",
    "built": "build",
    "sent": "send",
    "struck": "strike",
    "knew": "know",
    "known": "know",
    "chose": "choose",
    "fought": "fight",
    "drew": "draw",
    "drawn": "draw",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "stood": "stand",
    "meant": "mean",
    "shown": "show",
    "sought": "seek",
    "threw": "throw",
    "won't": "will",
    "is": "be",
    "was": "be",
    "were": "be",
    "are": "be",
    "been": "be",
    "being": "be",
    "has": "have",
    "had": "have",
    "having": "have",
    "did": "do",
    "does": "do",
    "men": "man",
    "women": "woman",
    "children": "child",
}
_PAST_IRREGULAR = frozenset(
    """rose fell said told added won lost bought sold made gave went came saw left held met paid
    led took spent began brought found got ran kept felt became built sent struck knew chose
    fought drew wrote spoke stood meant sought threw grew sank overtook beat""".split()
)

_NEGATION_WORDS = frozenset({"not", "never", "no", "cannot", "neither", "nor", "nobody", "none"})
_NEGATION_VERBS = frozenset(
    """fail fails failed failing refuse refuses refused refusing decline declines declined
    declining deny denies denied denying unable""".split()
)
_MODAL_WORDS = frozenset({"may", "might", "could", "possibly", "perhaps", "likely", "probably"})
_MODAL_BEFORE_TO = frozenset(
    """expected set due plan plans planned planning aim aims aimed aiming hope hopes hoped hoping
    want wants wanted intend intends intended intending seek seeks seeking try tries trying
    threaten threatens threatened threatening promise promises promised pledge pledges pledged
    vow vows vowed offer offers offered propose proposes proposed considering consider""".split()
)
_FUTURE = frozenset({"will", "would", "shall", "to", "'ll"})
_SKIP_IN_SCOPE = frozenset(
    """be is are was were been being have has had do does did to yet even also ever always really
    so too currently still the a an any longer more much necessarily immediately""".split()
)

_TITLES = frozenset(
    "mr mrs ms miss dr sir dame lord lady prof president minister prime chancellor".split()
)
_NAME_JOINERS = frozenset({"of", "de", "la", "du", "von", "van", "der", "&", "and"})
_ALIAS_PHRASES = {
    "liberal democrats": "libdems",
    "liberal democrat": "libdems",
    "lib dems": "libdems",
    "lib dem": "libdems",
    "conservative party": "conservatives",
    "tory party": "conservatives",
    "labour party": "labour",
    "united states of america": "us",
    "united states": "us",
    "united kingdom": "uk",
    "great britain": "uk",
    "european union": "eu",
    "united nations": "un",
    "soviet union": "ussr",
}
_ALIAS_WORDS = {
    "eu": "europe",
    "tories": "conservatives",
    "tory": "conservatives",
    "conservative": "conservatives",
    "usa": "us",
    "america": "us",
    "american": "us",
    "americans": "us",
    "britain": "uk",
    "british": "uk",
    "gb": "uk",
    "briton": "uk",
    "britons": "uk",
    "scottish": "scotland",
    "scots": "scotland",
    "welsh": "wales",
    "english": "england",
    "irish": "ireland",
    "french": "france",
    "german": "germany",
    "germans": "germany",
    "dutch": "netherlands",
    "holland": "netherlands",
    "swiss": "switzerland",
    "chinese": "china",
    "japanese": "japan",
    "spanish": "spain",
    "swedish": "sweden",
    "danish": "denmark",
    "polish": "poland",
    "greek": "greece",
    "turkish": "turkey",
    "european": "europe",
    "europeans": "europe",
    "israeli": "israel",
    "israelis": "israel",
    "afghan": "afghanistan",
    "iraqi": "iraq",
    "iraqis": "iraq",
    "pakistani": "pakistan",
    "thai": "thailand",
    "filipino": "philippines",
    "kremlin": "russia",
}
_DEMONYM_SUFFIXES = ("ians", "ian", "ans", "an", "ese", "ish", "is", "i")
_COUNTRY_SUFFIXES = ("ia", "a", "e", "y")

_MONTHS = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}

# ---------------------------------------------------------------------------------------------
# Regular expressions (compiled once)

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,\u2013-]\s*\d+)*\]")
_DOTTED = re.compile(r"\b((?:[A-Z]\.){2,})(?=\W|$)")
_A_SCALE = re.compile(r"\b(?:a|one)\s+(hundred|thousand|million|billion)\b", re.IGNORECASE)
_TIMES_WORDS = {"twice": "2 times", "thrice": "3 times", "a dozen": "12"}
_TIMES = re.compile(r"\b(?:twice|thrice|a dozen)\b", re.IGNORECASE)
_HALF_SCALE = re.compile(r"\bhalf\s+a\s+(million|billion)\b", re.IGNORECASE)
_NUMBER_WORD = "|".join(sorted([*UNITS, *TENS], key=len, reverse=True))
_SCALE_WORD = "hundred|thousand|million|billion"
_WORD_NUMBER = re.compile(
    rf"\b(?:{_NUMBER_WORD})\b(?:(?:[\s-]+|\s+and\s+)(?:{_NUMBER_WORD}|{_SCALE_WORD})\b)*",
    re.IGNORECASE,
)
_ONE_BLOCKERS_AFTER = frozenset({"of", "another", "day", "by", "who", "that", "which", "or"})
_ONE_BLOCKERS_BEFORE = frozenset(
    {"the", "no", "any", "every", "each", "which", "this", "that", "such", "someone", "anyone"}
)
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|[^\W\d_]+(?:['-][^\W\d_]+)*|[$£€¥%°]|[^\w\s]")

_QUANTITY = re.compile(
    r"(?P<approx>\b(?:(?:more|fewer|less)\s+than|just\s+(?:over|under)|over|above|under|below|"
    r"at\s+least|almost|nearly|about|around|roughly|approximately|some|an\s+estimated|up\s+to|"
    r"close\s+to)\s+|~\s*)?"
    r"(?P<sign>minus\s+|(?<![\w.-])-(?=[$£€¥]?\d))?"
    r"(?P<cur>US\$|A\$|C\$|HK\$|[$£€¥])?\s?"
    r"(?P<num>(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.,])\d+(?:\.\d+)?)"
    r"(?P<scale>\s?(?:trillion|billion|million|thousand|hundred)\b|(?:bn|tn|trn|mn|m|k)\b)?"
    r"(?P<unit>\s?(?:%|per\s?cent\b|percentage\s+points?\b|°\s?[CF]\b|"
    r"degrees?(?:\s+(?:celsius|centigrade|fahrenheit|[CF]\b))?|[CF]\b|dollars?\b|"
    r"pounds?(?:\s+sterling)?\b|euros?\b|yen\b|sterling\b|pence\b|p\b|(?:swiss\s+)?francs?\b|"
    r"rupees?\b|yuan\b|roubles?\b|rubles?\b|krona\b|kronor\b|pesos?\b|"
    r"km\b|kilomet(?:re|er)s?\b|kg\b|kilos?\b|kilograms?\b|mph\b|kph\b|km/h\b|cm\b|mm\b|"
    r"ft\b|lbs?\b|secs?\b|mbps\b|gbps\b|gb\b|mb\b|tb\b|ghz\b|mhz\b))?",
    re.IGNORECASE,
)
_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "trn": 1e12,
}
_CURRENCY_SYMBOLS = {
    "$": "usd",
    "us$": "usd",
    "a$": "aud",
    "c$": "cad",
    "hk$": "hkd",
    "£": "gbp",
    "€": "eur",
    "¥": "jpy",
}
_MEASURES = {
    "kilometre": "km",
    "kilometer": "km",
    "kilo": "kg",
    "kilogram": "kg",
    "kph": "km/h",
    "lb": "lb",
    "sec": "s",
}
_MONEY = frozenset({"usd", "aud", "cad", "hkd", "gbp", "eur", "jpy", "chf", "inr", "cny", "rub"})
_MONEY |= {"sek", "mxn"}
_CURRENCY_WORDS = {
    "dollar": "usd",
    "pound": "gbp",
    "sterling": "gbp",
    "euro": "eur",
    "yen": "jpy",
    "pence": "gbp-p",
    "p": "gbp-p",
    "franc": "chf",
    "swiss": "chf",
    "rupee": "inr",
    "yuan": "cny",
    "rouble": "rub",
    "ruble": "rub",
    "krona": "sek",
    "kronor": "sek",
    "peso": "mxn",
}

_MONTH_NAME = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_WEEKDAY_NAME = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b(?:(?P<wd1>{_WEEKDAY_NAME}),?\s+)?(?:the\s+)?(?P<d1>{_DAY})(?!\d)\s+(?:of\s+)?"
    rf"(?P<m1>{_MONTH_NAME})(?:,?\s+(?P<y1>\d{{4}}))?(?!\w)"
    rf"|\b(?:(?P<wd2>{_WEEKDAY_NAME}),?\s+)?(?P<m2>{_MONTH_NAME})\s+(?P<d2>{_DAY})(?![\d,.]\d)"
    rf"(?:,?\s+(?P<y2>\d{{4}}))?(?!\w)"
    rf"|\b(?P<m3>{_MONTH_NAME})(?:,?\s+(?P<y3>\d{{4}})(?!\w))?(?![\w.])"
    rf"|\b(?P<wd4>{_WEEKDAY_NAME})s?\b"
    r"|\b(?P<rel>yesterday|today|tomorrow|tonight)\b"
    r"|\b(?P<which>last|this|next)\s+(?P<span>week|month|year)\b",
)
_CALENDAR = frozenset(_MONTHS) | frozenset(_WEEKDAYS)
# Words that belong to a number ("19 degrees Celsius", "5 million pounds"): compared as
# quantities, not as words.
_UNIT_WORDS = frozenset(
    """degree degrees celsius centigrade fahrenheit per cent percent percentage point points
    hundred thousand million billion trillion bn mn m k tn pound pounds dollar dollars euro
    euros pence p yen sterling""".split()
)
_MAY_CONTEXT = re.compile(
    r"(?:\b(?:in|on|of|since|until|by|early|late|mid|last|next|this|from|to|between)\s+)$"
)
_TIME = re.compile(
    r"\b(?P<h>[01]?\d|2[0-3])(?:[:.](?P<mi>[0-5]\d))?\s?(?P<ap>[ap])\.?m\b\.?"
    r"|\b(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(
    r"\s*;\s+"
    r"|,\s+(?:while|whereas)\s+"
    r"|,\s+(?:and|but)\s+(?=(?:he|she|it|they|we|i|the|its|their|his|her|this|these|those|also)"
    r"\b|[A-Z])"
    r"|\s+(?:and|but)\s+(?=(?:he|she|it|they|we)\s)"
)
_WORD_CHAR = re.compile(r"\w")
_FIGURES = re.compile(
    rf"\d|\b(?i:{_NUMBER_WORD}|twice|dozen|yesterday|today|tomorrow|last|next|this)\b|"
    rf"\b(?:{_MONTH_NAME}|{_WEEKDAY_NAME})",
)
_RAW_WORD = re.compile(r"[^\W\d_]{2,}")
_RANK = re.compile(r"(?:\bnumber|\bno\.?|\bnum\.?|#)\s*$", re.IGNORECASE)
_NEVER_NAMES = frozenset({"i", "celsius", "fahrenheit", "centigrade"})


# ---------------------------------------------------------------------------------------------
# Analysed text


class _Token(NamedTuple):  # a tuple: built for every word of every sentence, so kept cheap
    text: str
    low: str
    lemma: str
    at: int  # position in the sentence's tokens
    start: int
    end: int
    is_word: bool
    cap: bool


@dataclass(frozen=True, slots=True)
class _Name:
    surface: str
    key: tuple[str, ...]  # lowercase tokens, titles and "the" dropped, aliases applied
    first: int  # token indices
    last: int
    initial: bool  # one capitalised word at the start of the sentence: maybe not a name


@dataclass(frozen=True, slots=True)
class _Quantity:
    surface: str
    lo: float
    hi: float
    unit: str  # "", "%", "pp", "c", "f", "km", "rank", or a currency code ("usd", "gbp")
    noun: str | None  # the word after a bare count: "missile" in "71 missiles"
    index: int  # token index, for context
    scale: float = 1.0  # the scale word written after it (1e6 for "m")
    value: float = 0.0  # the number as written, scaled
    approx: str = ""  # "", "about", "almost", "more", "less", "range" or "pair" ("3-1")
    tolerance: float = 0.0  # rounding: half a unit of the last digit written
    label: str = ""  # the surface with the noun after it as written: "71 missiles"


@dataclass(frozen=True, slots=True)
class _Date:
    surface: str
    index: int
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    hour: int | None = None
    minute: int | None = None
    options: tuple[dt.date, ...] = ()  # resolved full dates for a relative expression


@dataclass(frozen=True, slots=True)
class _Polarity:
    cue: str  # the words that negate or hedge, as written
    cue_index: int
    target: int  # token index of the word in scope
    lemma: str


@dataclass(frozen=True, slots=True)
class _Role:
    verb: str  # canonical verb
    agent: _Head
    patient: _Head | None
    surface: str


@dataclass(frozen=True, slots=True)
class _Head:
    text: str
    name: _Name | None
    lemma: str
    first: int
    last: int


@dataclass(slots=True)
class _Analysis:
    text: str
    tokens: list[_Token]
    names: list[_Name]
    quantities: list[_Quantity]
    dates: list[_Date]
    negations: list[_Polarity]
    modals: list[_Polarity]
    roles: list[_Role]
    content: dict[str, float] = field(default_factory=dict)  # alignment terms -> weight
    name_tokens: frozenset[str] = frozenset()
    lemmas: frozenset[str] = frozenset()
    lowercase_lemmas: frozenset[str] = frozenset()  # lemmas of words written in lowercase
    runs: tuple[tuple[str, frozenset[str]], ...] = ()  # initials of capitalised runs, their words
    name_at: dict[int, _Name] = field(default_factory=dict)


@lru_cache(maxsize=65536)
def _lemma(low: str) -> str:
    """A word's comparison form: synonym group head, else base form lightly stemmed."""
    if low.endswith("'s"):
        low = low[:-2]
    if low in _SYNONYM:
        return _SYNONYM[low]
    word = _IRREGULAR.get(low) or stem(low)
    if word == low and low.isalpha():  # short forms the stemmer leaves: "taking", "owned"
        for suffix in ("ing", "ed"):
            base = low[: -len(suffix)]
            if low.endswith(suffix) and len(base) >= 3 and any(v in base for v in "aeiouy"):
                word = base
                break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # "take", "taking" -> "tak"
    if len(word) > 3 and word[-1] == word[-2] and word[-1] in "bdgmnprt":
        word = word[:-1]
    return word


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_CHARS)
    text = _MARKER.sub("", text)
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    text = _HALF_SCALE.sub(r"0.5 \1", text)
    text = _TIMES.sub(lambda m: _TIMES_WORDS[m.group(0).lower()], text)
    text = _A_SCALE.sub(r"1 \1", text)
    return _WORD_NUMBER.sub(_spell, text)


def _spell(match: re.Match[str]) -> str:
    raw = match.group(0)
    if raw.lower() == "one":
        before = match.string[: match.start()].split()
        after = match.string[match.end() :].split()
        if (before and before[-1].lower() in _ONE_BLOCKERS_BEFORE) or (
            after and after[0].lower().strip(".,;:") in _ONE_BLOCKERS_AFTER
        ):
            return raw
        if after and after[0].startswith("'"):
            return raw
    parts = re.split(r"\s+and\s+", raw, flags=re.IGNORECASE)
    words = [w.lower() for w in re.split(r"[\s-]+", raw) if w]
    numbers = words_to_number(words)
    if len(numbers) == 1:
        return str(numbers[0])
    return " and ".join(
        " ".join(str(n) for n in words_to_number([w.lower() for w in re.split(r"[\s-]+", p)]))
        for p in parts
    )


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for index, match in enumerate(_TOKEN.finditer(text)):
        raw = match.group()
        low = raw.lower()
        is_word = raw[0].isalpha()
        start, end = match.span()
        lemma = _lemma(low) if is_word else low
        tokens.append(
            _Token(raw, low, lemma, index, start, end, is_word, is_word and raw[0].isupper())
        )
    return tokens


def _token_at(tokens: Sequence[_Token], offset: int) -> int:
    for token in tokens:
        if token.end > offset:
            return token.at
    return max(len(tokens) - 1, 0)


def _alias_key(words: Sequence[str]) -> tuple[str, ...]:
    joined = " ".join(words)
    for phrase, alias in _ALIAS_PHRASES.items():
        if joined == phrase:
            return (alias,)
        if f" {phrase} " in f" {joined} ":
            joined = f" {joined} ".replace(f" {phrase} ", f" {alias} ").strip()
    return tuple(_ALIAS_WORDS.get(w, w) for w in joined.split())


def _sentence_start(tokens: Sequence[_Token], index: int) -> bool:
    before = [t for t in tokens[:index] if t.text not in "\"'(["]
    return not before or before[-1].text in {".", ":", "!", "?", "-"}


def _names(tokens: Sequence[_Token]) -> list[_Name]:
    names: list[_Name] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.cap or token.low in _NEVER_NAMES or token.low.rstrip(".") in _CALENDAR:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens):
            nxt = tokens[j + 1]
            if nxt.cap:
                j += 1
            elif (
                nxt.low in _NAME_JOINERS
                and j + 2 < len(tokens)
                and (tokens[j + 2].cap or (tokens[j + 2].low == "the" and j + 3 < len(tokens)))
                and nxt.low != "and"
            ):
                k = j + 2 if tokens[j + 2].cap else j + 3
                if not tokens[k].cap:
                    break
                j = k
            else:
                break
        span = list(tokens[i : j + 1])
        while (
            span
            and span[0].low.removesuffix("'s") in _FUNCTION_WORDS
            and not (span[0].text.isupper() and len(span[0].text) > 1)  # "US" is a name
        ):
            span = span[1:]  # "The", "While", "He": not part of a name, wherever they stand
        words = [
            t.low[:-2] if t.low.endswith("'s") else t.low
            for t in span
            if t.low not in {"the", "of", "de", "&"} and t.low not in _TITLES
        ]
        if span and words:
            names.append(
                _Name(
                    surface=" ".join(
                        t.text for t in span if t.low not in _TITLES or t is span[-1]
                    ).removesuffix("'s"),
                    key=_alias_key(words),
                    first=span[0].at,
                    last=span[-1].at,
                    initial=len(span) == 1 and _sentence_start(tokens, span[0].at),
                )
            )
        i = j + 1
    return names


_HYPHEN_NOUN = re.compile(r"-([A-Za-z]{2,})\b")


def _quantities(
    text: str, tokens: Sequence[_Token], masked: list[tuple[int, int]]
) -> tuple[list[_Quantity], list[_Date]]:
    found: list[tuple[int, int, _Quantity]] = []
    years: list[_Date] = []
    for match in _QUANTITY.finditer(text):
        num_start = match.start("num")
        if any(a <= num_start < b for a, b in masked):
            continue
        end = match.end()
        if end < len(text) and _WORD_CHAR.match(text[end]) and not match.group("unit"):
            continue  # "1990s", "3rd", "4x4"
        rank = _RANK.search(text, max(0, num_start - 12), num_start) is not None
        raw = match.group("num")
        value = float(raw.replace(",", ""))
        cur = (match.group("cur") or "").lower()
        scale_word = (match.group("scale") or "").strip().lower()
        unit_word = re.sub(r"\s+", " ", (match.group("unit") or "").strip().lower())
        approx = re.sub(r"\s+", " ", (match.group("approx") or "").strip().lower())
        sign = -1.0 if match.group("sign") else 1.0
        if (
            not cur
            and not scale_word
            and not unit_word
            and not approx
            and re.fullmatch(r"(?:19|20)\d\d", raw)
        ):
            index = _token_at(tokens, num_start)
            years.append(_Date(surface=raw, index=index, year=int(raw)))
            continue
        unit = "rank" if rank else _unit(cur, unit_word)  # "number six", "No. 10": a position
        scale = _SCALES.get(scale_word, 1.0)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        tolerance = 0.49 * 10.0**-decimals * scale
        if not scale_word and not decimals:
            digits = raw.replace(",", "")
            zeros = len(digits) - len(digits.rstrip("0"))
            if zeros >= 3 and len(digits) > zeros:  # "460,000" may round 464,000
                tolerance = min(0.49 * 10.0**zeros, 0.05 * value)
        if unit == "gbp-p":
            unit, scale, tolerance = "gbp", 0.01, tolerance / 100
        centre = sign * value * scale
        lo, hi = _approximate(approx, centre, tolerance)
        index = _token_at(tokens, num_start)
        end_token = _token_at(tokens, end - 1) if end > 0 else index
        noun = None
        surface = match.group(0).strip()
        label = surface
        joined = _HYPHEN_NOUN.match(text, end) if not unit else None
        if joined is not None:  # "four-year conflict": a count of years, not of anything else
            noun = _lemma(joined.group(1).lower())
        elif not unit and end_token + 1 < len(tokens):
            nxt = tokens[end_token + 1]
            if nxt.is_word and nxt.low not in _FUNCTION_WORDS:
                noun = nxt.lemma
                label = f"{surface} {nxt.text}"
        found.append(
            (
                match.start(),
                match.end(),
                _Quantity(
                    surface=surface,
                    lo=lo,
                    hi=hi,
                    unit=unit,
                    noun=noun,
                    index=index,
                    scale=scale,
                    value=centre,
                    approx=_approx_kind(approx),
                    tolerance=tolerance,
                    label=label,
                ),
            )
        )
    return _merge_ranges(text, found), years


def _unit(currency: str, unit_word: str) -> str:
    if currency:
        return _CURRENCY_SYMBOLS.get(currency, currency)
    if not unit_word:
        return ""
    if unit_word == "%" or unit_word.startswith("per"):
        return "%"
    if unit_word.startswith("percentage"):
        return "pp"
    if unit_word.startswith("°") or unit_word in {"c", "f"} or unit_word.startswith("degree"):
        if unit_word.endswith(("f", "fahrenheit")):
            return "f"
        return "c" if unit_word.endswith(("c", "celsius", "centigrade")) else ""
    base = unit_word.split()[0].rstrip("s") if unit_word not in {"pence", "p"} else unit_word
    if base in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[base]
    return _MEASURES.get(base, base)


_ABOUT = frozenset({"about", "around", "roughly", "approximately", "some", "an estimated", "~"})
_ABOUT |= {"close to"}
_ALMOST = frozenset({"almost", "nearly", "just under"})
_MORE = frozenset({"more than", "over", "above", "at least", "just over"})
APPROX_SPREAD = 0.1  # "about 70" is 63..77
BOUND_SPREAD = 0.25  # "more than 70" is 70..87.5: a bound is read as a figure near it


def _approx_kind(approx: str) -> str:
    if not approx:
        return ""
    if approx in _ABOUT:
        return "about"
    if approx in _ALMOST:
        return "almost"
    return "more" if approx in _MORE else "less"


def _approximate(approx: str, centre: float, tolerance: float) -> tuple[float, float]:
    """The interval a figure stands for; bounds stay near their number (see BOUND_SPREAD)."""
    lo, hi = centre - tolerance, centre + tolerance
    size = abs(centre)
    if not approx:
        return lo, hi
    if approx in _ABOUT:
        return lo - size * APPROX_SPREAD, hi + size * APPROX_SPREAD
    if approx in _ALMOST:
        return lo - size * APPROX_SPREAD, hi
    if approx in _MORE:
        return lo, hi + size * BOUND_SPREAD
    return lo - size * BOUND_SPREAD, hi  # up to, fewer than, less than, under, below


def _is_pair(a: _Quantity, b: _Quantity) -> bool:
    """Two plain whole numbers joined by a dash: a score ("3-1", "17-17") or a span ("30-40")."""
    plain = not (a.unit or b.unit or a.approx or b.approx) and a.scale == b.scale == 1.0
    return plain and a.value.is_integer() and b.value.is_integer() and 0 <= b.value < 1000


def _merge_ranges(text: str, found: list[tuple[int, int, _Quantity]]) -> list[_Quantity]:
    merged: list[_Quantity] = []
    i = 0
    while i < len(found):
        start, end, q = found[i]
        if i + 1 < len(found):
            n_start, n_end, nq = found[i + 1]
            between = text[end:n_start]
            is_dash = re.fullmatch(r"\s*-\s*", between) is not None
            is_between = re.fullmatch(r"\s+and\s+", between) is not None and re.search(
                r"\bbetween\s+$", text[:start]
            )
            if is_dash and _is_pair(q, nq):
                merged.append(
                    _Quantity(
                        surface=text[start:n_end].strip(),
                        lo=min(q.value, nq.value),
                        hi=max(q.value, nq.value),
                        unit=q.unit,
                        noun=nq.noun,
                        index=q.index,
                        value=nq.value,
                        approx="pair",
                    )
                )
                i += 2
                continue
            if (is_dash or is_between) and (not q.unit or not nq.unit or q.unit == nq.unit):
                lo, hi = q.lo, nq.hi
                if q.scale == 1.0 and nq.scale > 1.0:  # "£5-6m": the scale is written once
                    lo *= nq.scale
                merged.append(
                    _Quantity(
                        surface=text[start:n_end].strip(),
                        lo=min(lo, hi),
                        hi=max(lo, hi),
                        unit=nq.unit or q.unit,
                        noun=nq.noun or q.noun,
                        index=q.index,
                        scale=nq.scale,
                        value=nq.value,
                        approx="range",
                        tolerance=max(
                            q.tolerance * (nq.scale if q.scale == 1.0 else 1.0), nq.tolerance
                        ),
                    )
                )
                i += 2
                continue
        merged.append(q)
        i += 1
    return merged


def _dates(
    text: str, tokens: Sequence[_Token], base: dt.date | None
) -> tuple[list[_Date], list[tuple[int, int]]]:
    dates: list[_Date] = []
    spans: list[tuple[int, int]] = []
    for match in _TIME.finditer(text):
        hour = int(match.group("h") or match.group("h24"))
        minute = int(match.group("mi") or match.group("m24") or 0)
        if (match.group("ap") or "").lower() == "p" and hour < 12:
            hour += 12
        if (match.group("ap") or "").lower() == "a" and hour == 12:
            hour = 0
        index = _token_at(tokens, match.start())
        dates.append(_Date(surface=match.group(0).strip(), index=index, hour=hour, minute=minute))
        spans.append(match.span())
    for match in _DATE.finditer(text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        groups = match.groupdict()
        month_raw = groups["m1"] or groups["m2"] or groups["m3"]
        if (
            month_raw
            and month_raw.rstrip(".") == "May"
            and not (groups["d1"] or groups["d2"] or groups["y3"])
            and not _MAY_CONTEXT.search(text[: match.start()])
        ):
            continue  # "may" the verb
        index = _token_at(tokens, match.start())
        surface = match.group(0).strip().rstrip(".,")
        if groups["rel"] or groups["which"]:
            resolved = _relative(groups, base)
            if resolved is not None:
                dates.append(
                    _Date(
                        surface=surface,
                        index=index,
                        year=resolved[0],
                        month=resolved[1],
                        day=resolved[2],
                    )
                )
            spans.append(match.span())
            continue
        weekday_raw = groups["wd1"] or groups["wd2"] or groups["wd4"]
        weekday = _WEEKDAYS[weekday_raw.lower()] if weekday_raw else None
        day_raw = groups["d1"] or groups["d2"]
        day = int(re.sub(r"\D", "", day_raw)) if day_raw else None
        year_raw = groups["y1"] or groups["y2"] or groups["y3"]
        month = _MONTHS[month_raw.rstrip(".").lower()] if month_raw else None
        options: tuple[dt.date, ...] = ()
        if weekday is not None and month is None and base is not None:
            back = (base.weekday() - weekday) % 7
            options = (base - dt.timedelta(days=back), base + dt.timedelta(days=(7 - back) % 7))
        dates.append(
            _Date(
                surface=surface,
                index=index,
                year=int(year_raw) if year_raw else None,
                month=month,
                day=day,
                weekday=weekday,
                options=options,
            )
        )
        spans.append(match.span())
    return dates, spans


def _relative(groups: dict[str, str | None], base: dt.date | None) -> tuple[int, int, int] | None:
    if base is None:
        return None
    rel = groups["rel"]
    if rel:
        shift = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}[rel]
        day = base + dt.timedelta(days=shift)
        return day.year, day.month, day.day
    step = {"last": -1, "this": 0, "next": 1}[groups["which"] or "this"]
    if groups["span"] == "year":
        return base.year + step, 0, 0
    if groups["span"] == "month":
        month = base.month + step
        year = base.year + (month - 1) // 12
        return year, (month - 1) % 12 + 1, 0
    return None


def _polarities(tokens: Sequence[_Token]) -> tuple[list[_Polarity], list[_Polarity]]:
    negations: list[_Polarity] = []
    modals: list[_Polarity] = []
    for token in tokens:
        low = token.low
        kind: list[_Polarity] | None = None
        cue = token.text
        if low in _NEGATION_WORDS or low.endswith("n't"):
            kind = negations
        elif low in _NEGATION_VERBS:
            if low.startswith(("deny", "deni")) or low == "unable":
                kind = negations
            elif _next_text(tokens, token.at) == "to":
                kind = negations
                cue = f"{token.text} to"
        elif low in _MODAL_WORDS or low in {"will", "would", "shall"}:
            kind = modals
        elif low in _MODAL_BEFORE_TO and _next_text(tokens, token.at) == "to":
            kind = modals
            cue = f"{token.text} to"
        if kind is None:
            continue
        if low == "no" and _next_text(tokens, token.at) == "longer":
            cue = "no longer"
        window = 3 if low == "no" and cue != "no longer" else 6
        target = _scope(tokens, token.at, window)
        if target is not None:
            kind.append(
                _Polarity(
                    cue=cue,
                    cue_index=token.at,
                    target=target,
                    lemma=tokens[target].lemma,
                )
            )
    return negations, modals


def _next_text(tokens: Sequence[_Token], index: int) -> str:
    return tokens[index + 1].low if index + 1 < len(tokens) else ""


def _scope(tokens: Sequence[_Token], index: int, window: int) -> int | None:
    for token in tokens[index + 1 : index + 1 + window]:
        if not token.is_word:
            if token.text in {",", ";", ":"}:
                return None
            continue
        if token.low in _SKIP_IN_SCOPE or token.low in _NEGATION_WORDS:
            continue
        if token.low in _SCOPE_SKIP or token.low.endswith("n't"):
            continue
        if token.low.endswith("ly") and len(token.low) > 4 and token.low not in _MODAL_WORDS:
            continue  # "could not sincerely say": the negation is of "say"
        return token.at
    return None


# Words a negation or hedge reaches past ("did not even say"); verbs like "say" stay in scope.
_SCOPE_SKIP = (_FUNCTION_WORDS - {"say", "says", "said", "told"}) | frozenset(
    "only quite fully entirely necessarily immediately previously actually".split()
)


def _roles(tokens: Sequence[_Token], name_at: dict[int, _Name]) -> list[_Role]:
    roles: list[_Role] = []
    for token in tokens:
        verb = _SYNONYM.get(token.low)
        if verb is None or verb not in _ROLE_VERBS:
            continue
        i = token.at
        before = tokens[i - 1].low if i > 0 else ""
        if before in _PASSIVE_AUX:
            by = next(
                (j for j in range(i + 1, min(i + 4, len(tokens))) if tokens[j].low == "by"), 0
            )
            if not by:
                continue
            agent = _head_after(tokens, by, name_at)
            aux = i - 1
            while aux > 0 and tokens[aux - 1].low in _PASSIVE_AUX | {"has", "have", "had"}:
                aux -= 1
            patient = _head_before(tokens, aux, name_at)
            if agent is None or patient is None:
                continue
            lo, hi = patient.first, agent.last
        else:
            agent = _head_before(tokens, i, name_at)
            if agent is None:
                continue
            patient = _head_after(tokens, i + 1 if _next_text(tokens, i) == "over" else i, name_at)
            lo, hi = agent.first, patient.last if patient is not None else i
        roles.append(
            _Role(
                verb=verb,
                agent=agent,
                patient=patient,
                surface=" ".join(t.text for t in tokens[lo : hi + 1]),
            )
        )
    return roles


_PASSIVE_AUX = frozenset({"was", "were", "been", "being", "is", "are", "be", "get", "got"})
_HEAD_SKIP_BEFORE = frozenset(
    """has have had will would also reportedly allegedly then recently finally successfully
    later first previously already""".split()
)
_HEAD_SKIP_AFTER = frozenset(
    "the a an its their his her our rival fellow local former bottom top struggling".split()
)


def _head_before(tokens: Sequence[_Token], index: int, name_at: dict[int, _Name]) -> _Head | None:
    j = index - 1
    while j >= 0 and tokens[j].low in _HEAD_SKIP_BEFORE:
        j -= 1
    if j < 0 or not tokens[j].is_word:
        return None
    if j in name_at:
        name = name_at[j]
        return _Head(name.surface, name, name.key[-1], name.first, name.last)
    if tokens[j].low in _FUNCTION_WORDS or tokens[j].low.endswith("ly"):
        return None
    return _Head(tokens[j].text, None, tokens[j].lemma, j, j)


def _head_after(tokens: Sequence[_Token], index: int, name_at: dict[int, _Name]) -> _Head | None:
    j = index + 1
    while j < len(tokens) and tokens[j].low in _HEAD_SKIP_AFTER:
        j += 1
    run: list[_Token] = []
    while j < len(tokens) and len(run) < 4:
        token = tokens[j]
        if j in name_at:
            name = name_at[j]
            return _Head(name.surface, name, name.key[-1], name.first, name.last)
        if not token.is_word or token.low in _FUNCTION_WORDS or token.low in _SYNONYM:
            break
        run.append(token)
        j += 1
    if not run:
        return None
    return _Head(run[-1].text, None, run[-1].lemma, run[0].at, run[-1].at)


def _unit_of_number(tokens: Sequence[_Token], token: _Token) -> bool:
    """ "pounds" in "5 million pounds", "Celsius" in "19 degrees Celsius" (not "the pound")."""
    i = token.at
    while i > 0 and tokens[i].low in _UNIT_WORDS:
        i -= 1
        if tokens[i].text[0].isdigit():
            return True
    return False


@lru_cache(maxsize=4096)
def _skim(raw: str) -> _Analysis:
    """Words, names and alignment terms only: enough to rank sentences against a claim."""
    text = _prepare(raw)
    tokens = _tokenize(text)
    names = _names(tokens)
    name_at = {i: n for n in names for i in range(n.first, n.last + 1)}
    content: dict[str, float] = {}
    name_tokens: set[str] = set()
    for name in names:
        for word in name.key:
            name_tokens.add(word)
            content[word] = 2.0 if not name.initial else 1.0
    for token in tokens:
        if token.at in name_at or not token.is_word or token.low in _FUNCTION_WORDS:
            continue
        if token.low.endswith("n't") or len(token.low) < 2 or _unit_of_number(tokens, token):
            continue
        content.setdefault(token.lemma, 1.0)
    lowercase = frozenset(
        t.lemma for t in tokens if t.is_word and not t.cap and t.low not in _FUNCTION_WORDS
    )
    lemmas = frozenset(t.lemma for t in tokens if t.is_word) | frozenset(name_tokens)
    parts = {  # "year-earlier" also answers to "year" and "earlier"
        _lemma(part) for t in tokens if "-" in t.low for part in t.low.split("-") if part
    }
    runs = tuple(
        (letters, frozenset(tokens[i].low for i in span))
        for letters, span in _initial_runs(tokens)
        if len(letters) >= 2
    )
    analysis = _Analysis(
        text=text,
        tokens=tokens,
        names=names,
        quantities=[],
        dates=[],
        negations=[],
        modals=[],
        roles=[],
        content=content,
        name_tokens=frozenset(name_tokens),
        lemmas=lemmas,
        lowercase_lemmas=lowercase,
        name_at=name_at,
        runs=runs,
    )
    # "Securities and Exchange Commission" also answers to "SEC".
    analysis.lemmas = lemmas | parts | {letters for letters, _ in runs}
    return analysis


@lru_cache(maxsize=4096)
def _analyse(raw: str, base: dt.date | None) -> _Analysis:
    """The skim plus numbers, dates, negations, hedges and roles (dates resolved from base)."""
    skim = _skim(raw)
    text, tokens = skim.text, skim.tokens
    dates, masked = _dates(text, tokens, base)
    quantities, years = _quantities(text, tokens, masked)
    dates.extend(years)
    negations, modals = _polarities(tokens)
    return replace(
        skim,
        quantities=quantities,
        dates=dates,
        negations=negations,
        modals=modals,
        roles=_roles(tokens, skim.name_at),
    )


# ---------------------------------------------------------------------------------------------
# Comparison


@dataclass(frozen=True, slots=True)
class _Mismatch:
    kind: str
    claim: str
    evidence: str
    reason: str  # with {n} for the source number


_PRIORITY = {"role": 0, "number": 1, "date": 2, "negation": 3, "modality": 4, "name": 5}
# Verbs of opposite direction: "rates rose" / "rates fell", "raised rates" / "cut rates".
_OPPOSITE = {
    "rise": frozenset({"fall", "cut"}),
    "fall": frozenset({"rise"}),
    "cut": frozenset({"rise"}),
}


def _has(lemmas: frozenset[str], term: str) -> bool:
    if term in lemmas:
        return True
    return "-" in term and all(_lemma(p) in lemmas for p in term.split("-") if p)


def _coverage(claim: _Analysis, evidence: _Analysis) -> tuple[float, float]:
    """(share of the claim's weighted content words in the evidence, the same without names)."""
    total = sum(claim.content.values())
    if not total:
        return 0.0, 0.0
    have = evidence.lemmas
    for letters, words in claim.runs:
        if letters in have:  # the claim spells out an acronym of the evidence
            have = have | words
    got = sum(w for term, w in claim.content.items() if _has(have, term))
    plain = [t for t in claim.content if t not in claim.name_tokens]
    share = sum(1 for t in plain if _has(have, t)) / len(plain) if plain else got / total
    return got / total, share


def _context(analysis: _Analysis, index: int, radius: int = 4) -> set[str]:
    tokens = analysis.tokens
    lo, hi = max(0, index - radius), min(len(tokens), index + radius + 1)
    return {
        t.lemma
        for t in tokens[lo:hi]
        if t.is_word and t.low not in _FUNCTION_WORDS and t.at != index
    }


def _overlap(a: _Quantity, b: _Quantity) -> bool:
    """Whether claim figure a agrees with evidence figure b. The claim may round (its own
    last digit sets the tolerance); an exact evidence figure is taken as exact, so "3.75%"
    does not pass for "4%"."""
    if "rank" in {a.unit, b.unit} and a.unit != b.unit:
        return False
    if "pair" in {a.approx, b.approx}:  # a score or a span: both ends as written
        if a.approx == b.approx:
            return a.lo == b.lo and a.hi == b.hi
        if a.approx == "range" or b.approx == "range":
            return abs(a.lo - b.lo) < 1e-9 and abs(a.hi - b.hi) < 1e-9
        return b.lo <= a.value <= b.hi if b.approx == "pair" else a.lo <= b.value <= a.hi
    if a.unit != b.unit and {a.unit, b.unit} != {"%", "pp"}:
        if a.unit and b.unit:
            return False
        # One side names no unit ("1bn Swiss francs"): only a close value counts.
        return abs(a.value - b.value) <= 0.02 * max(abs(a.value), abs(b.value))
    if a.approx and a.approx == b.approx:
        # Two bounds, estimates or ranges of the same sort: their figures must agree.
        slack = max(a.tolerance, b.tolerance) + 1e-9
        if a.approx == "range":
            return abs(a.lo - b.lo) <= 2 * slack and abs(a.hi - b.hi) <= 2 * slack
        return abs(a.value - b.value) <= slack
    lo, hi = (b.value, b.value) if not b.approx else (b.lo, b.hi)
    return a.lo <= hi + 1e-9 and lo <= a.hi + 1e-9


def _same_kind(a: _Quantity, b: _Quantity) -> bool:
    if a.unit != b.unit:
        return {a.unit, b.unit} == {"%", "pp"} or (a.unit in _MONEY and b.unit in _MONEY)
    if a.noun in _TIME_NOUNS or b.noun in _TIME_NOUNS:  # "71 missiles" is no rival of "4-year"
        return a.noun == b.noun
    return bool(a.unit or not a.noun or not b.noun or a.noun == b.noun)


_TIME_NOUNS = frozenset("second minute hour day week month year decade century time".split())


def _quantity_mismatch(
    claim: _Analysis, evidence: _Analysis, strong: bool
) -> tuple[_Mismatch | None, int]:
    unverified = 0
    for q in claim.quantities:
        if any(_overlap(q, e) for e in evidence.quantities):
            continue
        rivals = [e for e in evidence.quantities if _same_kind(q, e)]
        context = _context(claim, q.index)
        near = [e for e in rivals if context & _context(evidence, e.index)]
        if q.noun:
            near += [e for e in rivals if e.noun == q.noun and e not in near]
        if not near and strong and rivals:
            near = rivals
        if not near:
            unverified += 1
            continue
        best = max(
            near,
            key=lambda e: (
                e.noun is not None and e.noun == q.noun,
                len(context & _context(evidence, e.index)),
                -abs(math.log((abs(e.value) + 1) / (abs(q.value) + 1))),
            ),
        )
        return (
            _Mismatch(
                kind="number",
                claim=q.label or q.surface,
                evidence=best.label or best.surface,
                reason=f"{q.surface} is not in [{{n}}], which says {best.surface}",
            ),
            unverified,
        )
    return None, unverified


def _date_options(d: _Date) -> list[_Date]:
    options = [d]
    for day in d.options:
        options.append(
            _Date(
                surface=d.surface,
                index=d.index,
                year=day.year,
                month=day.month,
                day=day.day,
                weekday=day.weekday(),
            )
        )
    return options


def _date_fields(d: _Date) -> dict[str, int]:
    fields = {
        "year": d.year,
        "month": d.month or None,
        "day": d.day or None,
        "weekday": d.weekday,
        "hour": d.hour,
        "minute": d.minute if d.hour is not None else None,
    }
    if d.year and d.month and d.day and d.weekday is None:
        with contextlib.suppress(ValueError):  # "30 February"
            fields["weekday"] = dt.date(d.year, d.month, d.day).weekday()
    return {k: v for k, v in fields.items() if v is not None}


def _dates_agree(a: _Date, b: _Date) -> bool | None:
    """True if compatible, False if they conflict, None if they share nothing to compare."""
    verdicts: list[bool] = []
    for x in _date_options(a):
        fx = _date_fields(x)
        for y in _date_options(b):
            fy = _date_fields(y)
            shared = fx.keys() & fy.keys()
            if not shared:
                continue
            if all(fx[k] == fy[k] for k in shared):
                return True
            verdicts.append(False)
    return False if verdicts else None


def _date_mismatch(
    claim: _Analysis, evidence: _Analysis, strong: bool
) -> tuple[_Mismatch | None, int]:
    unverified = 0
    for d in claim.dates:
        results = [(e, _dates_agree(d, e)) for e in evidence.dates]
        if any(r is True for _, r in results):
            continue
        rivals = [e for e, r in results if r is False]
        context = _context(claim, d.index)
        near = [e for e in rivals if context & _context(evidence, e.index)]
        if not near and strong:
            near = rivals
        if not near:
            unverified += 1
            continue
        best = max(near, key=lambda e: len(context & _context(evidence, e.index)))
        return (
            _Mismatch(
                kind="date",
                claim=d.surface,
                evidence=best.surface,
                reason=f"{d.surface} is not in [{{n}}], which says {best.surface}",
            ),
            unverified,
        )
    return None, unverified


def _stem_name(word: str) -> str:
    for suffix in _DEMONYM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    for suffix in _COUNTRY_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _names_match(a: _Name, b: _Name) -> bool:
    """Same entity, leniently: "Parsons" / "Richard Parsons", "City" / "Manchester City",
    "TimeWarner" / "Time Warner", "SEC" / "Securities Exchange Commission", "Russian" / "Russia"."""
    if a.key == b.key or "".join(a.key) == "".join(b.key):
        return True
    sa, sb = set(a.key), set(b.key)
    if sa <= sb or sb <= sa:
        return True
    for x, y in ((a, b), (b, a)):
        if len(x.key) == 1 and len(y.key) >= 2 and x.surface.isupper():
            initials = [w[0] for w in y.key if w not in {"and", "for", "&"}]
            letters = "".join(initials)
            if x.key[0] in letters:
                return True
    stems_a = {_stem_name(w) for w in a.key}
    stems_b = {_stem_name(w) for w in b.key}
    return stems_a <= stems_b or stems_b <= stems_a


def _name_window(analysis: _Analysis, name: _Name) -> tuple[set[str], set[str]]:
    """Up to two content words on each side of a name (appositive commas crossed)."""
    tokens = analysis.tokens

    def side(indices: Iterable[int]) -> set[str]:
        found: set[str] = set()
        for i in indices:
            if not 0 <= i < len(tokens) or tokens[i].text in {'"', ";", ":"}:
                break
            t = tokens[i]
            if t.is_word and t.low not in STOPWORDS and not name.first <= i <= name.last:
                found.add(t.lemma)
                if len(found) >= 2:
                    break
        return found

    return (
        side(range(name.first - 1, name.first - 7, -1)),
        side(range(name.last + 1, name.last + 7)),
    )


def _real_names(analysis: _Analysis, vocabulary: frozenset[str]) -> list[_Name]:
    return [
        n
        for n in analysis.names
        if not (n.initial and (n.key[0] in vocabulary or _lemma(n.key[0]) in vocabulary))
    ]


def _initial_runs(tokens: Sequence[_Token]) -> list[tuple[str, range]]:
    """Initials of each run of capitalised words ("Securities and Exchange Commission": sec)."""
    runs: list[tuple[str, range]] = []
    letters: list[str] = []
    start = last = -1
    for token in [*tokens, None]:
        if token is not None and not letters and token.low in _FUNCTION_WORDS:
            continue  # "The Securities and Exchange Commission": sec, not tsec
        if token is not None and token.cap and not token.text.isupper():
            if not letters:
                start = token.at
            letters.append(token.low[0])
            last = token.at
        elif token is not None and letters and token.low in {"of", "and", "for", "the", "&"}:
            continue
        elif letters:
            runs.append(("".join(letters), range(start, last + 1)))
            letters = []
    return runs


def _acronyms(analysis: _Analysis) -> set[str]:
    return {n.key[0] for n in analysis.names if len(n.key) == 1 and n.surface.isupper()}


def _spelled_out(name: _Name, analysis: _Analysis, acronyms: set[str]) -> bool:
    """Whether a name is one of the acronyms, spelled out in the analysed text."""
    return any(
        name.first in span and any(a in letters for a in acronyms if len(a) >= 2)
        for letters, span in _initial_runs(analysis.tokens)
    )


def _name_mismatch(
    claim: _Analysis, evidence: _Analysis, vocabulary: frozenset[str]
) -> _Mismatch | None:
    """A claim name missing from the evidence, standing where the evidence has another name."""
    claim_names = _real_names(claim, vocabulary)
    evidence_names = _real_names(evidence, vocabulary)
    spelled = [letters for letters, _ in evidence.runs]
    missing = [
        c
        for c in claim_names
        if not any(_names_match(c, e) for e in evidence.names)
        and not set(c.key) <= evidence.lowercase_lemmas
        and not (c.surface.isupper() and any(c.key[0] in letters for letters in spelled))
        and not _spelled_out(c, claim, _acronyms(evidence))
    ]
    if not missing:
        return None
    windows = {id(n): _name_window(claim, n) for n in claim.names}
    for c in missing:
        c_left, c_right = windows[id(c)]
        for e in evidence_names:
            e_left, e_right = _name_window(evidence, e)
            if not ((c_left & e_left) or (c_right & e_right)):
                continue
            # The evidence name is in the claim too, in the same place: nothing was replaced.
            if any(
                _names_match(other, e)
                and ((windows[id(other)][0] & e_left) or (windows[id(other)][1] & e_right))
                for other in claim.names
            ):
                continue
            return _Mismatch(
                kind="name",
                claim=c.surface,
                evidence=e.surface,
                reason=f"{c.surface} is not in [{{n}}], which says {e.surface}",
            )
    return None


def _near(analysis: _Analysis, index: int, cues: Sequence[_Polarity], radius: int = 5) -> bool:
    return any(abs(p.cue_index - index) <= radius for p in cues)


def _polarity_counts(analysis: _Analysis, lemma: str) -> tuple[int, int]:
    """Occurrences of a word: (negated, not negated)."""
    targets = {p.target for p in analysis.negations}
    hits = [t.at for t in analysis.tokens if t.is_word and t.lemma == lemma]
    negated = sum(1 for i in hits if i in targets)
    return negated, len(hits) - negated


def _cue_context(analysis: _Analysis, cue: _Polarity) -> set[str]:
    tokens = analysis.tokens
    lo, hi = max(0, cue.cue_index - 4), min(len(tokens), cue.cue_index + 8)
    return {
        t.lemma
        for t in tokens[lo:hi]
        if t.is_word and t.low not in _SCOPE_SKIP and t.at != cue.cue_index
    }


def _unpaired(mine: _Analysis, other: _Analysis) -> list[_Polarity]:
    """Negations of one text with no counterpart in the other. A counterpart negates the same
    word, or a word next to it: "no decision was made" / "a decision was not made"."""
    free = list(other.negations)
    rest: list[_Polarity] = []
    for cue in mine.negations:
        twin = next((o for o in free if o.lemma == cue.lemma), None)
        if twin is None:
            rest.append(cue)
        else:
            free.remove(twin)
    unpaired: list[_Polarity] = []
    for cue in rest:
        near = _cue_context(mine, cue)
        twin = next(
            (o for o in free if o.lemma in near or cue.lemma in _cue_context(other, o)), None
        )
        if twin is None:
            unpaired.append(cue)
        else:
            free.remove(twin)
    return unpaired


def _negation_mismatch(claim: _Analysis, evidence: _Analysis) -> _Mismatch | None:
    for p in _unpaired(claim, evidence):  # the claim negates what the evidence affirms
        c_neg, c_pos = _polarity_counts(claim, p.lemma)
        e_neg, e_pos = _polarity_counts(evidence, p.lemma)
        if e_pos > c_pos and c_neg > e_neg:
            said = next(t.text for t in evidence.tokens if t.lemma == p.lemma)
            wrote = f"{p.cue} {claim.tokens[p.target].text}"
            return _Mismatch(
                kind="negation",
                claim=wrote,
                evidence=said,
                reason=f"[{{n}}] says '{said}', not '{wrote}'",
            )
    for p in _unpaired(evidence, claim):  # the claim affirms what the evidence negates
        e_neg, e_pos = _polarity_counts(evidence, p.lemma)
        c_neg, c_pos = _polarity_counts(claim, p.lemma)
        if c_pos > e_pos and e_neg > c_neg:
            wrote = f"{p.cue} {evidence.tokens[p.target].text}"
            said = next(t.text for t in claim.tokens if t.lemma == p.lemma)
            return _Mismatch(
                kind="negation",
                claim=said,
                evidence=wrote,
                reason=f"[{{n}}] says '{wrote}'",
            )
    return None


def _direction_mismatch(claim: _Analysis, evidence: _Analysis) -> _Mismatch | None:
    """The claim says up where the evidence says down about the same thing (or the reverse)."""
    for token in claim.tokens:
        opposite = _OPPOSITE.get(token.lemma)
        if opposite is None or token.lemma in evidence.lemmas:
            continue
        if opposite & claim.lemmas:
            continue  # the claim says both: "imports rose and exports fell"
        around = _neighbours(claim, token.at)
        for other in evidence.tokens:
            if other.lemma in opposite and around & _neighbours(evidence, other.at):
                return _Mismatch(
                    kind="negation",
                    claim=token.text,
                    evidence=other.text,
                    reason=f"[{{n}}] says '{other.text}', not '{token.text}'",
                )
    return None


def _neighbours(analysis: _Analysis, index: int) -> set[str]:
    tokens = analysis.tokens
    lo, hi = max(0, index - 3), min(len(tokens), index + 4)
    return {
        t.lemma
        for t in tokens[lo:hi]
        if t.is_word and t.low not in _FUNCTION_WORDS and t.at != index
    }


def _is_stated(analysis: _Analysis, token: _Token) -> bool:
    """Whether a verb is stated as done: a past form with no hedge or future just before."""
    low = token.low
    if not (low.endswith("ed") or low in _PAST_IRREGULAR):
        return False
    for prior in analysis.tokens[max(0, token.at - 3) : token.at]:
        if prior.low in _FUTURE or prior.low in _MODAL_WORDS or prior.low in _MODAL_BEFORE_TO:
            return False
    return not _near(analysis, token.at, analysis.negations, 3)


def _modality_mismatch(claim: _Analysis, evidence: _Analysis) -> _Mismatch | None:
    for p in evidence.modals:
        stated = [t for t in claim.tokens if t.lemma == p.lemma and _is_stated(claim, t)]
        if not stated or claim.modals:
            continue
        if any(t.lemma == p.lemma and _is_stated(evidence, t) for t in evidence.tokens):
            continue
        wrote = f"{p.cue} {evidence.tokens[p.target].text}"
        return _Mismatch(
            kind="modality",
            claim=stated[0].text,
            evidence=wrote,
            reason=f"[{{n}}] only says '{wrote}', not '{stated[0].text}'",
        )
    return None


def _heads_match(a: _Head | None, b: _Head | None) -> bool:
    if a is None or b is None:
        return False
    if a.name is not None and b.name is not None:
        return _names_match(a.name, b.name)
    if a.name is not None:
        return b.lemma in a.name.key or b.lemma == a.lemma
    if b.name is not None:
        return a.lemma in b.name.key or a.lemma == b.lemma
    return a.lemma == b.lemma


def _role_mismatch(claim: _Analysis, evidence: _Analysis) -> _Mismatch | None:
    for c in claim.roles:
        for e in evidence.roles:
            if c.verb != e.verb or c.patient is None:
                continue
            if _heads_match(c.agent, e.agent) and _heads_match(c.patient, e.patient):
                return None
            swapped = _heads_match(c.patient, e.agent) and (
                _heads_match(c.agent, e.patient)
                or (e.patient is None and not _heads_match(c.agent, e.agent))
            )
            if swapped:
                return _Mismatch(
                    kind="role",
                    claim=c.surface,
                    evidence=e.surface,
                    reason=f"[{{n}}] says '{e.surface}', not '{c.surface}'",
                )
    return None


@dataclass(frozen=True, slots=True)
class _Outcome:
    evidence: Evidence
    coverage: float
    plain: float  # coverage without names
    mismatch: _Mismatch | None
    unverified: int


def _compare(
    claim: _Analysis,
    item: Evidence,
    evidence: _Analysis,
    coverage: tuple[float, float],
    vocab: frozenset[str],
) -> _Outcome:
    strong = coverage[0] >= STRONG_ALIGN
    quantity, q_unverified = _quantity_mismatch(claim, evidence, strong)
    date, d_unverified = _date_mismatch(claim, evidence, strong)
    found = [
        m
        for m in (
            _role_mismatch(claim, evidence),
            quantity,
            date,
            _negation_mismatch(claim, evidence) or _direction_mismatch(claim, evidence),
            _modality_mismatch(claim, evidence),
            _name_mismatch(claim, evidence, vocab),
        )
        if m is not None
    ]
    found.sort(key=lambda m: _PRIORITY[m.kind])
    return _Outcome(
        evidence=item,
        coverage=coverage[0],
        plain=coverage[1],
        mismatch=found[0] if found else None,
        unverified=q_unverified + d_unverified,
    )


def _items_everywhere(claim: _Analysis, evidence: Sequence[Evidence]) -> bool:
    """Whether each number and date of the claim appears in some evidence sentence (only
    sentences that write a digit, a number word or a calendar word are analysed)."""
    analyses = [_analyse(e.text, e.date) for e in evidence if _FIGURES.search(e.text)]
    for q in claim.quantities:
        if not any(_overlap(q, e) for a in analyses for e in a.quantities):
            return False
    return all(any(_dates_agree(d, e) for a in analyses for e in a.dates) for d in claim.dates)


def _sources(evidence: Sequence[Evidence]) -> str:
    numbers = sorted({e.number for e in evidence})
    return ", ".join(f"[{n}]" for n in numbers)


@lru_cache(maxsize=8192)
def _raw_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _RAW_WORD.findall(text.lower()) if w not in _FUNCTION_WORDS)


def check_claim(
    claim: str, evidence: Sequence[Evidence], *, answer_date: dt.date | None = None
) -> ClaimCheck:
    """Compare one claim with the evidence sentences of the sources it cites.

    Supported if some well-aligned sentence agrees on every number, date, name, polarity and
    role; contradicted if the aligned sentences disagree and none supports it; else not found.
    """
    text = _MARKER.sub("", claim).strip()
    parsed = _analyse(text, answer_date)
    if not evidence:
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.NOT_FOUND,
            reason="no source is cited",
            number=None,
            evidence=None,
            kind=None,
        )
    # A sentence sharing few of the claim's words as written cannot align: skip analysing it.
    wanted = _raw_words(text)
    floor = PREFILTER * len(wanted)
    close = [i for i, e in enumerate(evidence) if len(wanted & _raw_words(e.text)) >= floor]
    skims = {i: _skim(evidence[i].text) for i in close}
    vocabulary = parsed.lowercase_lemmas.union(*(a.lowercase_lemmas for a in skims.values()))
    scored = sorted(
        ((_coverage(parsed, a), i) for i, a in skims.items()),
        key=lambda pair: (-(pair[0][0] + pair[0][1]), pair[1]),
    )
    single = len({e.number for e in evidence}) == 1
    only = evidence[0].number if single else None
    if not parsed.content:
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.NOT_FOUND,
            reason="the claim has no content words to check",
            number=only,
            evidence=None,
            kind=None,
        )
    n_plain = sum(1 for t in parsed.content if t not in parsed.name_tokens)
    aligned = [
        (cov, i)
        for cov, i in scored
        if cov[0] >= ALIGN_MIN or (cov[1] >= PLAIN_MIN and n_plain >= 3)
    ][:MAX_CANDIDATES]
    outcomes = [
        _compare(parsed, evidence[i], _analyse(evidence[i].text, evidence[i].date), cov, vocabulary)
        for cov, i in aligned
    ]
    if not outcomes:
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.NOT_FOUND,
            reason=f"no sentence of {_sources(evidence)} states this",
            number=only,
            evidence=None,
            kind=None,
        )
    # Only sentences aligned about as well as the best one (names aside) may support.
    floor = max(o.plain for o in outcomes) - ALIGN_MARGIN
    for outcome in outcomes:
        if outcome.plain >= floor and outcome.mismatch is None and outcome.unverified == 0:
            return _supported(claim, outcome)
    partial = next((o for o in outcomes if o.mismatch is None), None)
    # A sentence that shares only names with the claim cannot contradict it.
    conflict = next(
        (o for o in outcomes if o.mismatch is not None and o.plain >= CONFLICT_PLAIN_MIN), None
    )
    if (
        partial is not None
        and (conflict is None or partial.plain > conflict.plain)
        and _items_everywhere(parsed, evidence)
    ):
        return _supported(claim, partial)  # its numbers are stated elsewhere in the sources
    if conflict is not None and conflict.mismatch is not None:
        return ClaimCheck(
            claim=claim,
            verdict=Verdict.CONTRADICTED,
            reason=conflict.mismatch.reason.format(n=conflict.evidence.number),
            number=conflict.evidence.number,
            evidence=conflict.evidence.text,
            kind=conflict.mismatch.kind,
            claim_value=conflict.mismatch.claim,
            evidence_value=conflict.mismatch.evidence,
        )
    top = partial or outcomes[0]
    return ClaimCheck(
        claim=claim,
        verdict=Verdict.NOT_FOUND,
        reason=f"[{top.evidence.number}] does not state all the claim's numbers and dates",
        number=top.evidence.number,
        evidence=top.evidence.text,
        kind=None,
    )


def _supported(claim: str, outcome: _Outcome) -> ClaimCheck:
    return ClaimCheck(
        claim=claim,
        verdict=Verdict.SUPPORTED,
        reason=f"supported by [{outcome.evidence.number}]",
        number=outcome.evidence.number,
        evidence=outcome.evidence.text,
        kind=None,
    )


def split_claims(sentence: str) -> list[str]:
    """Split an answer sentence into claims at clause boundaries (conservatively).

    >>> split_claims("Profits rose 5% [1]; the firm hired 200 staff [2].")
    ['Profits rose 5% [1]', 'the firm hired 200 staff [2].']
    """
    text = sentence.strip()
    pieces: list[str] = []
    start = 0
    for match in _CLAUSE_BREAK.finditer(text):
        left = text[start : match.start()]
        right = text[match.end() :]
        if _words(left) >= 3 and _words(right) >= 3:
            pieces.append(left.strip())
            start = match.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def _words(text: str) -> int:
    return sum(1 for w in _MARKER.sub("", text).split() if any(c.isalnum() for c in w))


def _markers(text: str) -> list[int]:
    return [int(n) for m in _MARKER.finditer(text) for n in re.findall(r"\d+", m.group(0))]


def check_sentence(
    sentence: str, evidence: Sequence[Evidence], *, answer_date: dt.date | None = None
) -> list[ClaimCheck]:
    """Check each claim of an answer sentence against the evidence of the sources it cites.

    A claim with its own [n] markers is checked against those sources; otherwise against the
    sources the whole sentence cites, or all the evidence given when it cites none.
    """
    cited = set(_markers(sentence))
    checks: list[ClaimCheck] = []
    for claim in split_claims(sentence):
        own = set(_markers(claim)) or cited
        pool = [e for e in evidence if e.number in own] if own else list(evidence)
        checks.append(check_claim(claim, pool or evidence, answer_date=answer_date))
    return checks


def has_figure(text: str) -> bool:
    """Whether a text states a number or quantity the claim checker compares ("71 missiles",
    "seventy-one", "$4bn", "3.5%")."""
    return bool(_FIGURES.search(text)) and bool(_analyse(_MARKER.sub("", text), None).quantities)


def evidence_from_text(number: int, text: str, date: dt.date | None = None) -> list[Evidence]:
    """The sentences of a source text as evidence with one number."""
    return [Evidence(number=number, text=s, date=date) for s in sentences(text)]
