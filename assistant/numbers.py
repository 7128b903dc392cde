"""Number words (pure): "seventy-one" -> 71, shared by fact matching and the claim checker."""

from __future__ import annotations

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}


def words_to_number(words: list[str]) -> list[int]:
    """Number words in order -> the numbers they spell: ['seventy', 'one'] -> [71].

    Adjacent numbers that cannot combine stay apart: ['two', 'three'] -> [2, 3].
    """
    numbers: list[int] = []
    total = current = 0
    started = False
    for word in words:
        if word == "and":
            continue
        if word in UNITS or word in TENS:
            value = UNITS.get(word, TENS.get(word, 0))
            tail = current % 100
            joinable = tail == 0 or (tail >= 20 and tail % 10 == 0 and value < 10)
            if started and not joinable:
                numbers.append(total + current)
                total = current = 0
            current += value
        elif word == "hundred":
            current = (current or 1) * 100
        else:
            total += (current or 1) * SCALES[word]
            current = 0
        started = True
    if started:
        numbers.append(total + current)
    return numbers
