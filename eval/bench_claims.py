"""Claim checker benchmark on BBC News Summary: faithful and unfaithful summary-sentence variants.

    python eval/bench_claims.py /path/to/bbc_news_summary --out eval/out/claims

Every reference-summary sentence (re-split: the summaries glue sentences together) is turned into
variants, each checked with `assistant.claims.check_claim` against all sentences of its article
(the article's paragraphs spread over three pseudo-sources [1]-[3]):

- faithful, made by code: verbatim, reordered clauses, dropped modifiers, numbers / units / dates
  reformatted; and faithful paraphrases written by hand (eval/data/claims_paraphrases.jsonl);
- unfaithful, made by code: a changed number, a changed date, a changed name (another name of the
  same kind from the same article), negation inserted or removed, subject and object swapped.

Articles are split by sha256 of their path: even -> tune, odd -> held-out. The rules of
assistant/claims.py were tuned on the tune split only; report the held-out split. Prints a table
and writes claims_<split>.md and claims_<split>.json into --out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.answer import claims
from assistant.answer.claims import Evidence, Verdict, check_claim, check_sentence
from assistant.numbers import TENS, UNITS
from assistant.sentences import sentences

HERE = Path(__file__).resolve().parent
PARAPHRASES = HERE / "data" / "claims_paraphrases.jsonl"
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")
FAITHFUL = ("verbatim", "reorder", "drop-modifiers", "reformat", "paraphrase")
UNFAITHFUL = ("number", "date", "name", "negation", "role")
N_SOURCES = 3


@dataclass(frozen=True)
class Article:
    path: str  # "business/001.txt"
    split: str
    evidence: list[Evidence]
    summary: list[str]
    text: str


@dataclass
class Variant:
    article: str
    sentence: int
    faithful: bool
    kind: str
    text: str
    original: str
    verdict: str = ""
    found_kind: str | None = None
    reason: str = ""
    ms: float = 0.0


# ---------------------------------------------------------------------------------------------
# Data


def split_of(path: str) -> str:
    """tune or heldout, fixed by the article path."""
    return "tune" if int(hashlib.sha256(path.encode()).hexdigest(), 16) % 2 == 0 else "heldout"


_GLUE = re.compile(r"[.!?](?=\"?[A-Z])|[.!?]\"(?=\"?[A-Z])|[.!?](?=: [A-Z\"])")


def split_summary(text: str) -> list[str]:
    """Summary sentences: re-split where the summary glued them ("$10.9bn.For the year")."""
    pieces: list[str] = []
    start = 0
    for match in _GLUE.finditer(text):
        before = text[max(0, match.start() - 2) : match.start()]
        if re.fullmatch(r"[\s.]?[A-Z]", before) and (len(before) < 2 or before[0] in " ."):
            continue  # initials: "U.S.", "J.K."
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    found = [s.lstrip(": ") for piece in pieces for s in sentences(piece)]
    return [s for s in found if s.strip()]


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def load_articles(root: Path) -> Iterator[Article]:
    seen: set[str] = set()
    for category in CATEGORIES:
        for path in sorted((root / "articles" / category).glob("*.txt")):
            text = read_text(path)
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in seen:
                continue  # 98 exact duplicates
            seen.add(digest)
            summary_path = root / "summaries" / category / path.name
            if not summary_path.is_file():
                continue
            body = text.split("\n", 1)[1] if "\n" in text else text
            paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
            evidence: list[Evidence] = []
            for i, paragraph in enumerate(paragraphs):
                number = i * N_SOURCES // max(len(paragraphs), 1) + 1
                evidence.extend(Evidence(number=number, text=s) for s in sentences(paragraph))
            name = f"{category}/{path.name}"
            yield Article(
                path=name,
                split=split_of(name),
                evidence=evidence,
                summary=split_summary(read_text(summary_path)),
                text=body,
            )


# ---------------------------------------------------------------------------------------------
# Faithful variants (code)

_LEAD = re.compile(
    r"^(?P<lead>(?:In|On|For|At|After|Before|During|Despite|Since|Last|This|Earlier|Later|With|"
    r"Under|By|Speaking|According to|Following|Until|Over)\b[^,\"]{2,60}),\s+(?P<rest>.+?)"
    r"(?P<end>[.!?])$"
)
_SAID_FIRST = re.compile(
    r"^(?P<who>(?:[A-Z][\w'.-]*\s){0,3}[A-Z][\w'.-]*|(?:The|A)\s[a-z]+(?:\s[a-z]+)?)\s"
    r"(?P<verb>said|says|has said|announced|reported)(?:\sthat)?\s"
    r"(?P<what>[a-z\"].+?)(?P<end>[.!?])$"
)
_SAID_LAST = re.compile(
    r"^(?P<what>[^\"].+?),\s(?P<who>(?:[A-Z][\w'.-]*\s?){1,4}|(?:the|a)\s[a-z]+(?:\s[a-z]+)?)\s"
    r"(?P<verb>said|says|has said)(?P<end>[.!?])$"
)
_WHILE = re.compile(r"^(?P<a>[A-Z].{15,}?),\s(?P<conj>while|but)\s(?P<b>.{15,}?)(?P<end>[.!?])$")


_LOWER_WHEN_MOVED = frozenset(
    """The A An It Its Their This These There Some He She They We His Her Most Many Around While
    Although After Before When If As In On At For By With Our My Your Those That One Two
    Three Four Five Six Seven Eight Nine Ten""".split()
)


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first in _LOWER_WHEN_MOVED else text


def _upper_first(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def reorder(sentence: str) -> str | None:
    """Move a leading phrase to the end, or swap an attribution and its content."""
    sentence = re.sub(r"^(?:But|And|However|Meanwhile|Also),?\s(?=[A-Z])", "", sentence)
    if (m := _LEAD.match(sentence)) is not None:
        lead = m.group("lead")
        lead = lead[0].lower() + lead[1:] if lead.split()[0] != "Mr" else lead
        return f"{_upper_first(m.group('rest'))}, {lead}{m.group('end')}"
    if (m := _SAID_FIRST.match(sentence)) is not None:
        return (
            f"{_upper_first(m.group('what'))}, {m.group('who')} {m.group('verb')}{m.group('end')}"
        )
    if (m := _SAID_LAST.match(sentence)) is not None:
        who = m.group("who").strip()
        who = who[0].upper() + who[1:]
        return f"{who} {m.group('verb')} {_lower_first(m.group('what'))}{m.group('end')}"
    if (m := _WHILE.match(sentence)) is not None and '"' not in sentence:
        a, b = m.group("a"), m.group("b")
        return f"{_upper_first(b)}, {m.group('conj')} {_lower_first(a)}{m.group('end')}"
    return None


_KEEP_LY = frozenset(
    """only nearly early likely unlikely family reply july italy rally supply apply fly ally holy
    daily weekly monthly quarterly yearly hardly barely scarcely partly mostly largely roughly
    approximately fully july ugly elderly friendly costly lonely silly jolly bully assembly
    belly jelly reply comply multiply rely italy sicily emily kelly billy holly sally molly
    ely nelly tally probably possibly reportedly allegedly apparently potentially
    supposedly seemingly presumably""".split()
)
_DROP_WORDS = frozenset(
    "also still already big major key top leading sharp huge little-known recent new".split()
)
_PAREN = re.compile(r"\s\([^()]{1,60}\)")
_NONRESTRICTIVE = re.compile(r",\s(?:which|who)\s(?:[^,\"]|(?<=\d),(?=\d)){3,80},(?=\s)")


def drop_modifiers(sentence: str) -> str | None:
    """Drop adverbs, some adjectives, brackets and non-restrictive clauses."""
    text = _PAREN.sub("", sentence)
    text = _NONRESTRICTIVE.sub("", text)

    def keep(word: str) -> bool:
        low = word.lower().strip(",")
        if low in _DROP_WORDS and word[:1].islower():
            return False
        return not (low.endswith("ly") and len(low) > 4 and low not in _KEEP_LY and word.islower())

    words = text.split(" ")
    # a dropped word that carried a comma gives it to the word before
    out: list[str] = []
    for w in words:
        if keep(w):
            out.append(w)
        elif w.endswith(",") and out and not out[-1].endswith(","):
            out[-1] += ","
    result = " ".join(out)
    result = _upper_first(result)
    return result if result != sentence and len(result.split()) >= 5 else None


_SMALL = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
    15: "fifteen",
    20: "twenty",
    30: "thirty",
    40: "forty",
    50: "fifty",
    71: "seventy-one",
}
_WORD_TO_DIGIT = {v: k for k, v in _SMALL.items()}
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros"}
_SCALE = {"bn": "billion", "m": "million", "k": "thousand"}
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)


def _fmt_plain(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def reformat(sentence: str) -> str | None:
    """Numbers, units and dates in another spelling, e.g. '$1.13bn' -> '1.13 billion dollars'."""
    text = sentence

    def money(m: re.Match[str]) -> str:
        cur, num, scale = m.group(1), m.group(2), m.group(3)
        if scale == "bn" and "." in num and len(num.split(".")[1]) <= 2 and num.count(",") == 0:
            millions = float(num) * 1000
            if millions == int(millions) and hash_pick(sentence, 2) == 0:
                return f"{cur}{int(millions):,}m"
        word = _SCALE.get(scale or "", "")
        return f"{num} {word + ' ' if word else ''}{_CURRENCY[cur]}"

    text = re.sub(
        r"(?<![A-Za-z])([$£€])(\d[\d,]*(?:\.\d+)?)(bn|m|k)?\b(?![\d.,]\d)(?!\s?(?:million|billion|"
        r"trillion|thousand)|-)",
        money,
        text,
    )
    text = re.sub(r"(\d)%", r"\1 per cent", text)
    text = re.sub(r"(\d) per cent\b(?!.*per cent)", r"\1 percent", text) if "%" in text else text
    text = re.sub(
        r"\b(\d+(?:\.\d+)?)m (barrels|people|viewers|users|tonnes)\b", r"\1 million \2", text
    )
    text = re.sub(
        r"(?<![\d.,$£€])(\d{1,3}),000\b(?![.,]\d|[a-z]| (?:dollars|pounds|euros|per|[a-z]*illion))",
        r"\1 thousand",
        text,
    )

    def small(m: re.Match[str]) -> str:
        value = int(m.group(1))
        return _SMALL.get(value, m.group(1)) if 2 <= value <= 12 else m.group(1)

    text = re.sub(
        r"(?<![\w.,$£€-])(\d{1,2})(?![\w.,%-])(?!\s?(?:per|million|billion|thousand|"
        + _MONTH
        + r"|am|pm|[ap]\.m))",
        small,
        text,
    )
    text = (
        re.sub(
            r"(?<![\w-])(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
            r"(?= (?:months|years|weeks|days|people|countries|times|players|games|goals))",
            lambda m: str(_WORD_TO_DIGIT[m.group(1)]),
            text,
        )
        if text == sentence
        else text
    )
    text = re.sub(rf"\b(\d{{1,2}}) ({_MONTH})\b", r"\2 \1", text)
    return text if text != sentence else None


# ---------------------------------------------------------------------------------------------
# Unfaithful variants (code)


def hash_pick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % n


_NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d]|[.,]\d)(?P<tail>[a-zA-Z%]*)"
)
_NUMBER_WORDS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty)\b",
    re.IGNORECASE,
)
_WORD_VALUES = {
    word: value for word, value in {**UNITS, **TENS}.items() if _NUMBER_WORDS.fullmatch(word)
}
_VALUE_WORDS = {v: k for k, v in _WORD_VALUES.items()}
_DATE_PARTS = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH}|{_MONTH}\s\d{{1,2}}\b|\b(?:19|20)\d\d\b"
)


def _format_like(raw: str, value: float) -> str:
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    if decimals:
        text = f"{value:.{decimals}f}"
        return f"{float(text):,.{decimals}f}" if "," in raw else text
    return f"{int(round(value)):,}" if "," in raw else str(int(round(value)))


def change_number(sentence: str) -> str | None:
    """Change one number (not a year, not a day of the month) by at least 15%."""
    masked = [m.span() for m in _DATE_PARTS.finditer(sentence)]
    candidates = []
    for m in _NUMBER.finditer(sentence):
        tail = m.group("tail")
        if tail and tail not in {"%", "bn", "m", "k", "p", "C", "mph", "km", "kg"}:
            continue
        if any(a <= m.start() < b for a, b in masked):
            continue
        before = sentence[max(0, m.start() - 12) : m.start()]
        if re.search(r"(?:No\.?|number|[A-Z][\w-]*)\s$", before) and m.start() > 0:
            continue  # "Radio 4", "Commodore 64": part of a name
        candidates.append(m)
    words = [m for m in _NUMBER_WORDS.finditer(sentence) if m.start() == 0 or m.group(1).islower()]
    if not candidates and not words:
        return None
    rng = random.Random(sentence)
    if candidates:
        m = candidates[hash_pick(sentence, len(candidates))]
        raw = m.group("num")
        value = float(raw.replace(",", ""))
        new = _changed_value(raw, value, rng)
        text = _format_like(raw, new)
        if re.search(rf"(?<![\d.,]){re.escape(text)}(?![\d]|[.,]\d)", sentence):
            return None  # the new figure is already in the sentence
        return sentence[: m.start("num")] + text + sentence[m.end("num") :]
    w = words[hash_pick(sentence, len(words))]
    value = _WORD_VALUES[w.group(1).lower()]
    present = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}
    options = [
        v
        for v in _VALUE_WORDS
        if abs(v - value) / value >= 0.15
        and _VALUE_WORDS[v] not in present
        and str(v) not in sentence
    ]
    if not options:
        return None
    new_word = _VALUE_WORDS[rng.choice(options)]
    if w.group(1)[0].isupper():
        new_word = new_word.capitalize()
    return sentence[: w.start(1)] + new_word + sentence[w.end(1) :]


def _changed_value(raw: str, value: float, rng: random.Random) -> float:
    digits = raw.replace(",", "").replace(".", "")
    for _ in range(20):
        strategy = rng.choice(("swap", "shift", "scale"))
        if strategy == "swap" and len(set(digits.lstrip("0"))) >= 2 and len(digits) >= 2:
            chars = list(digits)
            i = next(i for i in range(len(chars) - 1) if chars[i] != chars[i + 1])
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            swapped = "".join(chars)
            int_len = len(raw.replace(",", "").split(".")[0])
            candidate = float(swapped[:int_len] + ("." + swapped[int_len:] if "." in raw else ""))
        elif strategy == "shift":
            step = rng.choice((0.2, 0.3, 0.4, 0.5, -0.2, -0.3, -0.4))
            candidate = value * (1 + step)
        else:
            candidate = value * rng.choice((2, 3, 0.5))
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        candidate = round(candidate, decimals)
        if candidate > 0 and abs(candidate - value) >= 0.15 * max(value, 1e-9):
            return candidate
    return value * 2 + 1


_WEEKDAY_LIST = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTH_LIST = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DATE_BITS = re.compile(
    rf"\b(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    rf"|\b(?P<day>\d{{1,2}})(?=(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH})"
    rf"|\b{_MONTH}\s(?P<day2>\d{{1,2}})\b(?![,.]?\d)"
    rf"|\b(?P<month>{_MONTH})\b"
    r"|(?<![\d,.$£€])\b(?P<year>(?:19|20)\d\d)\b(?!,\d|\.\d|%)"
)


def change_date(sentence: str) -> str | None:
    """Change one weekday, month, day of the month or year."""
    found = []
    for m in _DATE_BITS.finditer(sentence):
        if m.group("weekday") and re.match(r"\s[A-Z]", sentence[m.end() :]):
            continue  # "Sunday Bloody Sunday", "Monday Night Football"
        if (
            m.group("month") == "May"
            and not re.search(r"(?:\bin|\bon|\bof|\d)\s$", sentence[: m.start()])
            and not re.match(r"\s\d", sentence[m.end() :])
        ):
            continue  # "may" the verb
        found.append(m)
    if not found:
        return None
    m = found[hash_pick(sentence, len(found))]
    rng = random.Random(sentence)
    kind = m.lastgroup or ""
    raw = m.group(kind)
    if kind == "weekday":
        new = rng.choice([d for d in _WEEKDAY_LIST if d != raw])
    elif kind == "month":
        new = rng.choice([d for d in _MONTH_LIST if d != raw and d != "May"])
    elif kind in {"day", "day2"}:
        day = int(raw)
        new = str(rng.choice([d for d in range(1, 29) if abs(d - day) >= 2]))
    else:
        year = int(raw)
        options = [year + k for k in (-3, -2, -1, 1, 2, 3) if str(year + k) not in sentence]
        new = str(rng.choice(options))
    return sentence[: m.start(kind)] + new + sentence[m.end(kind) :]


_CAP_SPAN = re.compile(
    r"(?<![\w'])(?:(?:Mr|Mrs|Ms|Dr|Sir|Lord)\s)?[A-Z][a-zA-Z'-]+(?:\s(?:of\s(?:the\s)?)?[A-Z][a-zA-Z'-]+)*"
)
_NOT_NAMES = frozenset(
    """The A An It Its He She They We I But And However In On For At After Before This That
    These Those There Mr Mrs Ms Dr If As When While With From By Our His Her Their Last Next
    Some Many Most More One Two Three Yet So Also Now Then Earlier Later Despite Although
    What Who Why How Where Such Both All Any Each Every No Not Even Only Until Since During
    Meanwhile Speaking According Following Under Over Other Another Because Instead
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December""".split()
)
_ORG_WORDS = frozenset(
    """Bank Group Party Association Commission Council Union Office Department Ministry Club
    Court House Committee Corporation Company Inc Ltd Airways Motors Festival Awards Games
    Cup League Championships Championship Prix University School College Fund Institute
    Agency Authority Board Service Services Network Records Studios Times News United City
    Rovers Athletic Assembly Parliament Executive Government Labour Conservatives Tories""".split()
)


def _names_in(text: str) -> list[tuple[int, int, str]]:
    spans = []
    for m in _CAP_SPAN.finditer(text):
        name = m.group(0)
        words = name.split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if not words:
            continue
        start = m.start() + m.group(0).index(words[0])
        name = " ".join(words)
        name = name.split("'s ")[0].rstrip("-'")
        name = name[:-2] if name.endswith("'s") else name
        spans.append((start, start + len(name), name))
    return spans


_PERSON_CUES = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Sir|Lord|Lady|Dame|Professor|President|minister|secretary|chief|"
    r"executive|spokesman|spokeswoman|coach|manager|director|actor|actress|singer|star|striker|"
    r"player|chancellor|leader|boss|chairman|analyst|editor|author|writer)\s$"
)


def _is_person(name: str, article: str) -> bool:
    """A person: titled somewhere in the article, or a full name whose surname recurs alone."""
    words = name.split()
    if words[0] in {"Mr", "Mrs", "Ms", "Dr", "Sir", "Lord"}:
        return True
    if any(w in _ORG_WORDS for w in words) or any(w.isupper() for w in words):
        return False
    for m in re.finditer(rf"(?<![\w'-]){re.escape(name)}\b", article):
        if _PERSON_CUES.search(article[max(0, m.start() - 20) : m.start()]):
            return True
    if len(words) in (2, 3) and all(re.fullmatch(r"[A-Z][a-z'-]+", w) for w in words):
        surname = words[-1]
        alone = len(re.findall(rf"\b{re.escape(surname)}\b", article)) - article.count(name)
        return alone > 0
    return False


def _is_demonym(name: str) -> bool:
    return len(name.split()) == 1 and name.endswith(("ish", "ese", "ian", "ans", "an", "ic", "i"))


_SAME_PLACE = [
    {"irish", "ireland"},
    {"french", "france"},
    {"british", "britain", "uk", "united kingdom", "briton", "britons"},
    {"dutch", "netherlands", "holland"},
    {"scottish", "scots", "scotland", "scot"},
    {"welsh", "wales"},
    {"english", "england"},
    {"german", "germany", "germans"},
    {"american", "america", "us", "united states", "americans", "usa"},
    {"italian", "italy", "italians"},
    {"spanish", "spain"},
    {"russian", "russia", "kremlin", "russians"},
    {"chinese", "china"},
    {"japanese", "japan"},
    {"european", "europe", "eu", "european union", "europeans"},
    {"swiss", "switzerland"},
    {"greek", "greece"},
    {"turkish", "turkey"},
    {"israeli", "israel"},
]


def _related(a: str, b: str) -> bool:
    """Same words, same stem ("Balkan", "Balkans") or one place in two spellings."""
    titles = {"mr", "mrs", "ms", "dr", "sir", "lord", "the"}
    wa = {w.lower().removesuffix("'s") for w in a.split()} - titles
    wb = {w.lower().removesuffix("'s") for w in b.split()} - titles
    if wa & wb:
        return True
    if any(x[:5] == y[:5] for x in wa for y in wb if min(len(x), len(y)) >= 5):
        return True
    la, lb = " ".join(sorted(wa)), " ".join(sorted(wb))
    return any((la in group or wa & group) and (lb in group or wb & group) for group in _SAME_PLACE)


def _name_kind(name: str, article: str) -> str:
    if _is_demonym(name):
        return "demonym"
    if _is_person(name, article):
        return "person"
    return "acronym" if name.isupper() else "other"


def change_name(sentence: str, article: str) -> str | None:
    """Replace a name with another name of the same kind (person / acronym / other) from the
    article; only words the article capitalises mid-sentence and never writes in lowercase."""
    lowercase = set(re.findall(r"\b[a-z][\w'-]*", article))
    known = {
        n
        for n in _nonfirst_names(article)
        if not any(w.lower() in lowercase or w in _NOT_NAMES for w in n.split())
    }
    ours = [x for x in _names_in(sentence) if x[2] in known]
    order = sorted(ours, key=lambda x: hash_pick(sentence + x[2], 1000))
    for start, end, name in order:
        kind = _name_kind(name, article)
        pool = sorted(
            n
            for n in known
            if _name_kind(n, article) == kind
            and not _related(n, name)
            and n.lower() not in sentence.lower()
            and (kind != "person" or (len(n.split()) == 1) == (len(name.split()) == 1))
        )
        if not pool:
            continue
        new = pool[hash_pick(sentence + name, len(pool))]
        return sentence[:start] + new + sentence[end:]
    return None


def _nonfirst_names(article: str) -> set[str]:
    found: set[str] = set()
    for s in sentences(article):
        found.update(n for a, _, n in _names_in(s) if a > 0)
    return found


_AUX = re.compile(
    r"\b(is|are|was|were|will|would|can|could|has|have|had|should|must)\s"
    r"(?!(?:not|to|the|a|an|his|her|its|their|our|no|some|any|this|that|these|those)\b)"
    r"(?=[a-z]{3,})"
)
_PAST_VERB = re.compile(
    r"\b(he|she|it|they|we|[A-Z][a-z]+)\s(rose|fell|won|lost|bought|sold|said|told|made|took|"
    r"gave|grew|hit|[a-z]{3,}ed)\b"
)
_BASE = {
    "rose": "rise",
    "fell": "fall",
    "won": "win",
    "lost": "lose",
    "bought": "buy",
    "sold": "sell",
    "said": "say",
    "told": "tell",
    "made": "make",
    "took": "take",
    "gave": "give",
    "grew": "grow",
    "hit": "hit",
}
_SILENT_E = (
    "ated",
    "ised",
    "ized",
    "ased",
    "used",
    "uced",
    "ived",
    "osed",
    "ured",
    "ored",
    "ired",
    "aged",
    "iced",
    "bined",
    "lined",
    "fined",
    "oted",
    "ided",
    "aded",
    "oded",
    "uded",
    "anced",
    "ounced",
    "erved",
    "olved",
    "aped",
    "ered",
)
_CONTRACTIONS = {
    "didn't": "did",
    "doesn't": "does",
    "don't": "do",
    "isn't": "is",
    "wasn't": "was",
    "aren't": "are",
    "weren't": "were",
    "won't": "will",
    "can't": "can",
    "couldn't": "could",
    "wouldn't": "would",
    "hasn't": "has",
    "haven't": "have",
    "hadn't": "had",
    "shouldn't": "should",
}


def _base(verb: str) -> str:
    if verb in _BASE:
        return _BASE[verb]
    if verb.endswith("ied"):
        return verb[:-3] + "y"
    if verb.endswith("ered") and not verb.endswith("eered"):
        return verb[:-2]  # "entered" -> "enter"
    if verb.endswith(_SILENT_E) and not verb.endswith(("eded", "eated")):
        return verb[:-1]
    if len(verb) > 5 and verb[-3] == verb[-4] and verb[-3] in "bdgmnprt":
        return verb[:-3]
    return verb[:-2]


def change_negation(sentence: str) -> str | None:
    """Remove a negation if there is one, else insert one."""
    low = sentence.lower()
    for contraction, plain in _CONTRACTIONS.items():
        if contraction in low:
            i = low.index(contraction)
            repl = plain if sentence[i].islower() else plain.capitalize()
            return sentence[:i] + repl + sentence[i + len(contraction) :]
    for pattern, repl in (
        (r"\bcannot\b", "can"),
        (r"\bnot\s", ""),
        (r"\bnever\s", ""),
        (r"\bno longer\s", ""),
        (r"\bfailed to\b", "managed to"),
        (r"\bdenied\b", "admitted"),
        (r"\brefused to\b", "agreed to"),
    ):
        if re.search(pattern, sentence):
            return re.sub(pattern, repl, sentence, count=1)
    if (m := _AUX.search(sentence)) is not None:
        return sentence[: m.end(1)] + " not" + sentence[m.end(1) :]
    if (m := _PAST_VERB.search(sentence)) is not None:
        verb = m.group(2)
        return sentence[: m.start(2)] + "did not " + _base(verb) + sentence[m.end(2) :]
    return None


_ROLE_VERB = (
    r"(?:attacked|attacks|beat|beats|sued|sues|bought|buys|acquired|acquires|defeated|defeats|"
    r"criticised|criticized|criticises|took over|overtook|replaced|replaces|sacked|hired|appointed|"
    r"accused|accuses|blamed|blames|backed|backs|praised|praises|condemned|thrashed|invaded|"
    r"killed|arrested|fined|succeeded|ousted|signed|joined|thrashed)"
)
_PASSIVE_VERB = (
    r"(?:attacked|beaten|sued|bought|acquired|defeated|criticised|criticized|taken over|overtaken|"
    r"replaced|sacked|hired|appointed|accused|blamed|backed|praised|condemned|thrashed|invaded|"
    r"killed|arrested|fined|succeeded|ousted|signed)"
)
_NAME_NP = r"(?:the\s)?[A-Z][\w-]*(?:\s[A-Z][\w-]*){0,3}|the\s[a-z][\w-]{2,}"
_NP_END = (
    r"(?=[,.;:!?]|\s(?:to|in|of|with|for|at|on|as|by|after|before|and|but|over|during|from|"
    r"into|since|last|this|\d)\b|$)"
)
_ACTIVE = re.compile(
    rf"(?<![\w'])(?P<a>{_NAME_NP})\s(?:(?:has|have|had)\s)?(?:also\s)?{_ROLE_VERB}\s"
    rf"(?P<b>{_NAME_NP}){_NP_END}"
)
_PASSIVE = re.compile(
    rf"(?<![\w'])(?P<a>{_NAME_NP})\s(?:was|were|has been|had been|is|are|have been)\s"
    rf"{_PASSIVE_VERB}\sby\s(?P<b>{_NAME_NP}){_NP_END}"
)


def swap_roles(sentence: str) -> str | None:
    """Swap subject and object around a role verb ('X bought Y' -> 'Y bought X')."""
    for pattern in (_ACTIVE, _PASSIVE):
        for m in pattern.finditer(sentence):
            a, b = m.group("a"), m.group("b")
            a_words = a.split()
            while a_words and a_words[0] in _NOT_NAMES and a_words[0] not in {"The"}:
                a_words = a_words[1:]
            if not a_words or a_words[0] in {"He", "She", "It", "They", "We", "I"}:
                continue
            a_clean = " ".join(a_words)
            if a_clean.lower() == b.lower():
                continue
            start = m.start("a") + a.index(a_words[0])
            middle = sentence[m.start("a") + len(a) : m.start("b")]
            new_a = b if start != 0 else _upper_first(b)
            new_b = _lower_first(a_clean) if a_clean.split()[0] in {"The"} else a_clean
            return sentence[:start] + new_a + middle + new_b + sentence[m.end("b") :]
    return None


def make_variants(article: Article, paraphrases: dict[tuple[str, int], list[str]]) -> list[Variant]:
    variants: list[Variant] = []
    for index, sentence in enumerate(article.summary):
        if len(sentence.split()) < 6:
            continue

        made: list[tuple[str, bool, str | None]] = [
            ("verbatim", True, sentence),
            ("reorder", True, reorder(sentence)),
            ("drop-modifiers", True, drop_modifiers(sentence)),
            ("reformat", True, reformat(sentence)),
            *(("paraphrase", True, p) for p in paraphrases.get((article.path, index), [])),
            ("number", False, change_number(sentence)),
            ("date", False, change_date(sentence)),
            ("name", False, change_name(sentence, article.text)),
            ("negation", False, change_negation(sentence)),
            ("role", False, swap_roles(sentence)),
        ]
        for kind, faithful, text in made:
            if text and (text != sentence or kind == "verbatim"):
                variants.append(Variant(article.path, index, faithful, kind, text, sentence))
    return variants


def load_paraphrases(path: Path) -> dict[tuple[str, int], list[str]]:
    found: dict[tuple[str, int], list[str]] = defaultdict(list)
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            found[(row["article"], int(row["sentence"]))].append(row["paraphrase"])
    return found


# ---------------------------------------------------------------------------------------------
# Run and report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


ANSWER_SENTENCES = 4
ANSWER_SOURCES = 6
SOURCE_SENTENCES = 10


def answer_evidence(articles: list[Article], index: int) -> list[Evidence]:
    """Six sources of ten sentences: this article's first ten, then the next five articles'."""
    evidence: list[Evidence] = []
    for k in range(ANSWER_SOURCES):
        other = articles[(index + k) % len(articles)]
        texts = [e.text for e in other.evidence[:SOURCE_SENTENCES]]
        evidence.extend(Evidence(number=k + 1, text=t) for t in texts)
    return evidence


def run(
    articles: list[Article], paraphrases: dict[tuple[str, int], list[str]]
) -> tuple[list[Variant], list[float]]:
    """Check every variant against its whole article; time one answer per article."""
    variants: list[Variant] = []
    answer_ms: list[float] = []

    def clear() -> None:  # cold caches: each answer brings new evidence
        claims._raw_words.cache_clear()
        claims._skim.cache_clear()
        claims._analyse.cache_clear()

    for index, article in enumerate(articles):
        mine = make_variants(article, paraphrases)
        # One answer per article: four variants as four sentences citing [1]-[6], checked
        # against six sources of ten sentences each, from cold caches.
        sample = mine[:: max(1, len(mine) // ANSWER_SENTENCES)][:ANSWER_SENTENCES]
        sources = answer_evidence(articles, index)
        markers = "".join(f"[{k + 1}]" for k in range(ANSWER_SOURCES))
        clear()
        started = time.perf_counter()
        for v in sample:
            check_sentence(f"{v.text} {markers}", sources)
        answer_ms.append((time.perf_counter() - started) * 1000)
        clear()
        for v in mine:
            started = time.perf_counter()
            result = check_claim(v.text, article.evidence)
            v.ms = (time.perf_counter() - started) * 1000
            v.verdict = result.verdict.value
            v.found_kind = result.kind
            v.reason = result.reason
        variants.extend(mine)
    return variants, answer_ms


def summarise(variants: list[Variant], answer_ms: list[float]) -> dict[str, object]:
    rows: dict[str, dict[str, object]] = {}
    for kind in UNFAITHFUL:
        mine = [v for v in variants if not v.faithful and v.kind == kind]
        counts = Counter(v.verdict for v in mine)
        right = sum(1 for v in mine if v.verdict == Verdict.CONTRADICTED and v.found_kind == kind)
        n = len(mine)
        rows[kind] = {
            "n": n,
            "caught": counts[Verdict.CONTRADICTED],
            "caught_rate": round(counts[Verdict.CONTRADICTED] / n, 3) if n else None,
            "right_kind": right,
            "not_found": counts[Verdict.NOT_FOUND],
            "missed": counts[Verdict.SUPPORTED],
        }
    faithful: dict[str, dict[str, object]] = {}
    for kind in FAITHFUL:
        mine = [v for v in variants if v.faithful and v.kind == kind]
        counts = Counter(v.verdict for v in mine)
        n = len(mine)
        faithful[kind] = {
            "n": n,
            "supported": counts[Verdict.SUPPORTED],
            "false_flags": counts[Verdict.CONTRADICTED],
            "false_flag_rate": round(counts[Verdict.CONTRADICTED] / n, 3) if n else None,
            "not_found": counts[Verdict.NOT_FOUND],
            "not_supported_rate": round((n - counts[Verdict.SUPPORTED]) / n, 3) if n else None,
        }
    all_faithful = [v for v in variants if v.faithful]
    flags = sum(1 for v in all_faithful if v.verdict == Verdict.CONTRADICTED)
    unsupported = sum(1 for v in all_faithful if v.verdict != Verdict.SUPPORTED)
    check_ms = [v.ms for v in variants]
    return {
        "unfaithful": rows,
        "faithful": faithful,
        "faithful_total": {
            "n": len(all_faithful),
            "false_flags": flags,
            "false_flag_rate": round(flags / max(len(all_faithful), 1), 4),
            "not_supported_rate": round(unsupported / max(len(all_faithful), 1), 4),
        },
        "timing_ms": {
            "check_p50": round(statistics.median(check_ms), 3) if check_ms else 0.0,
            "check_p95": round(percentile(check_ms, 0.95), 3),
            "answer_p50": round(statistics.median(answer_ms), 3) if answer_ms else 0.0,
            "answer_p95": round(percentile(answer_ms, 0.95), 3),
            "answers": len(answer_ms),
        },
    }


def table(summary: dict[str, object], split: str, n_articles: int) -> str:
    unfaithful = summary["unfaithful"]
    faithful = summary["faithful"]
    total = summary["faithful_total"]
    timing = summary["timing_ms"]
    assert isinstance(unfaithful, dict) and isinstance(faithful, dict)
    assert isinstance(total, dict) and isinstance(timing, dict)
    lines = [
        f"Claim checker on BBC News Summary, split: {split} ({n_articles} articles)",
        "",
        "| unfaithful change | n | caught (contradicted) | rate | right kind | not found "
        "| missed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, row in unfaithful.items():
        lines.append(
            f"| {kind} | {row['n']} | {row['caught']} | {row['caught_rate']} | "
            f"{row['right_kind']} | {row['not_found']} | {row['missed']} |"
        )
    lines += [
        "",
        "| faithful change | n | supported | false flags (contradicted) | rate | not found "
        "| not supported rate |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, row in faithful.items():
        lines.append(
            f"| {kind} | {row['n']} | {row['supported']} | {row['false_flags']} | "
            f"{row['false_flag_rate']} | {row['not_found']} | {row['not_supported_rate']} |"
        )
    lines.append(
        f"| all faithful | {total['n']} | | {total['false_flags']} | {total['false_flag_rate']} "
        f"| | {total['not_supported_rate']} |"
    )
    lines += [
        "",
        f"Time per check (claim vs whole article): p50 {timing['check_p50']} ms, "
        f"p95 {timing['check_p95']} ms.",
        f"Time per answer ({ANSWER_SENTENCES} sentences vs {ANSWER_SOURCES} sources of "
        f"{SOURCE_SENTENCES} sentences, cold caches): "
        f"p50 {timing['answer_p50']} ms, p95 {timing['answer_p95']} ms over "
        f"{timing['answers']} answers.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the bbc_news_summary folder")
    parser.add_argument("--out", type=Path, default=Path("eval/out/claims"))
    parser.add_argument("--split", choices=("tune", "heldout"), default="heldout")
    parser.add_argument("--paraphrases", type=Path, default=PARAPHRASES)
    parser.add_argument("--limit", type=int, default=0, help="at most this many articles")
    parser.add_argument(
        "--show", type=int, default=0, help="print this many errors per kind (tune split only)"
    )
    args = parser.parse_args(argv)
    if not (args.data / "articles").is_dir():
        print(f"error: {args.data}/articles not found", file=sys.stderr)
        return 2
    if args.show and args.split != "tune":
        print("error: --show is for the tune split (do not tune on held-out)", file=sys.stderr)
        return 2
    articles = [a for a in load_articles(args.data) if a.split == args.split]
    if args.limit:
        articles = articles[: args.limit]
    variants, answer_ms = run(articles, load_paraphrases(args.paraphrases))
    summary = summarise(variants, answer_ms)
    text = table(summary, args.split, len(articles))
    print(text)
    if args.show:
        for faithful, kinds in ((False, UNFAITHFUL), (True, FAITHFUL)):
            for kind in kinds:
                bad = [
                    v
                    for v in variants
                    if v.kind == kind
                    and v.faithful == faithful
                    and (
                        v.verdict != Verdict.CONTRADICTED
                        if not faithful
                        else v.verdict != "supported"
                    )
                ]
                print(f"\n## {kind}: {len(bad)} errors")
                for v in bad[: args.show]:
                    print(f"- [{v.article}#{v.sentence}] {v.verdict} ({v.found_kind}): {v.reason}")
                    print(f"    original: {v.original}")
                    print(f"    variant:  {v.text}")
    args.out.mkdir(parents=True, exist_ok=True)
    examples: dict[str, list[dict[str, object]]] = {}
    for v in variants:
        key = f"{'faithful' if v.faithful else 'unfaithful'}:{v.kind}:{v.verdict}"
        if len(examples.setdefault(key, [])) < 5:
            examples[key].append(asdict(v))
    report = {
        "split": args.split,
        "articles": len(articles),
        "variants": len(variants),
        "summary": summary,
        "examples": examples,
    }
    (args.out / f"claims_{args.split}.json").write_text(json.dumps(report, indent=2))
    (args.out / f"claims_{args.split}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
