"""Text normalisation for matching gold facts against answers (pure).

Both sides go through `normalize`, so "Seventy-one", "71" and "seventy one" meet as "71",
"1,000" as "1000", and "minus 19C", "-19 °C", "−19C" and "minus 19 degrees Celsius" as "-19 c".

>>> normalize("Temperatures fell to minus 19 degrees Celsius, hitting 1,000 homes.")
'temperatures fell to -19 c hitting 1000 homes'
"""

from __future__ import annotations

import re
import unicodedata

from assistant.answer.citations import MARKER
from assistant.numbers import SCALES, TENS, UNITS, words_to_number

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\ufe63": "-",
        "\uff0d": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)

_NUMBER_WORD = "|".join(sorted([*UNITS, *TENS, *SCALES], key=len, reverse=True))
_NUMBER_RUN = re.compile(
    rf"\b(?:{_NUMBER_WORD})\b(?:(?:\s+and\s+|[\s-]+)\b(?:{_NUMBER_WORD})\b)*",
)
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?!\d)")
_DIGIT_SCALE = re.compile(r"\b(\d+(?:\.\d+)?)\s+(thousand|million|billion)\b")
_MINUS = re.compile(r"\bminus\s+(?=\d)")
_TEMPERATURE = re.compile(
    r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*"
    r"(?:°\s*([cf])\b|degrees?\s+(celsius|centigrade|fahrenheit|c|f)\b|(celsius|fahrenheit)\b|([cf])\b)"
)
_UNIT_WORDS = (
    (re.compile(r"\bsquare\s+kilomet(?:er|re)s?\b|\bsq\.?\s*km\b|\bkm2\b"), " km2 "),
    (re.compile(r"\bsquare\s+miles?\b|\bsq\.?\s*mi\b"), " mi2 "),
    (re.compile(r"\bkilomet(?:er|re)s?\b"), " km "),
    (re.compile(r"\bper\s*cent\b|%"), " % "),
)
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_NEGATIVE_SIGN = re.compile(r"(?<![\w-])-(?=\d)")
_PUNCTUATION = re.compile(r"[^\w%\x00\x01]+")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def _spell_numbers(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        words = re.split(r"[\s-]+", match.group(0))
        return " ".join(str(n) for n in words_to_number(words))

    return _NUMBER_RUN.sub(replace, text)


def _scale_digits(match: re.Match[str]) -> str:
    value = float(match.group(1)) * SCALES[match.group(2)]
    return str(int(value)) if value.is_integer() else str(value)


def _temperature(match: re.Match[str]) -> str:
    unit = next(g for g in match.groups()[1:] if g)
    return f" {match.group(1)} {'f' if unit.startswith('f') else 'c'} "


def normalize(text: str, *, drop_articles: bool = True) -> str:
    """Lowercase words and numbers, punctuation gone, numbers and units in one spelling."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    text = MARKER.sub(" ", text)
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)
    text = _spell_numbers(_DIGIT_SCALE.sub(_scale_digits, text))
    text = _MINUS.sub("-", text)
    text = _TEMPERATURE.sub(_temperature, text)
    for pattern, replacement in _UNIT_WORDS:
        text = pattern.sub(replacement, text)
    text = _NEGATIVE_SIGN.sub("\x01", _DECIMAL_POINT.sub("\x00", text))
    text = _PUNCTUATION.sub(" ", text).replace("\x00", ".").replace("\x01", "-")
    if drop_articles:
        text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def contains(haystack: str, needle: str) -> bool:
    """Whether normalized `needle` occurs in normalized `haystack` as whole tokens."""
    want = normalize(needle)
    if not want:
        return False
    return f" {want} " in f" {normalize(haystack)} "
