"""Clean copy-pasted web text (pure): drop banners, site chrome and repeats; find title, credits.

The cleaner works on paragraphs (the non-blank lines of the text, with hard-wrapped lines
joined back together) and drops only what looks like page furniture:

- consent / cookie banners and their buttons ("I agree", "Accept all"),
- lines made only of site-chrome phrases ("Share", "Advertisement", "Search Trends"),
  and copyright notices,
- 1-2 word tags between the headline and the first body paragraph ("CGTN", "Europe;"),
- short non-sentence lines and link lists after the last body paragraph,
- later copies of a repeated paragraph (photo captions are often pasted three times).

A "Source(s): AFP, Reuters" line becomes `credits`, and a headline-like first line becomes
`title`. Everything else is kept, so every sentence of the article survives. Every rule looks
at one paragraph (plus its position), so cleaning is linear in the size of the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from assistant.sentences import sentences

MAX_TITLE_WORDS = 25
DERIVED_TITLE_WORDS = 12


class CleanResult(BaseModel):
    """Cleaned article text, the headline and credits found in it, and what was dropped."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(description="paragraphs separated by one blank line, no outer whitespace")
    title: str | None = Field(default=None, description="the page's headline, when it had one")
    credits: list[str] = Field(default_factory=list, description="e.g. agencies in 'Source(s):'")
    removed: list[str] = Field(default_factory=list, description="paragraphs dropped, in order")


# --- normalisation -----------------------------------------------------------------------------

_SPACE_CHARS = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_SPACE_CHARS += "\u202f\u205f\u3000"
# Zero-width space, word joiner, BOM and soft hyphen vanish. ZWJ / ZWNJ stay: they change how
# emoji and some scripts (Persian, Indic) are written.
_INVISIBLE_CHARS = "\u200b\u2060\ufeff\u00ad"
_CONTROL_CHARS = "".join(chr(c) for c in [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_REPLACEMENTS = [
    (re.compile(f"[{_SPACE_CHARS}]"), " "),
    (re.compile(f"[{re.escape(_INVISIBLE_CHARS + _CONTROL_CHARS)}]"), ""),
    (re.compile("[\x0b\x0c\x85\u2028]"), "\n"),
    (re.compile("\u2029"), "\n\n"),
]


def normalize_text(text: str) -> str:
    """LF line ends, odd spaces to ' ', invisible and control characters removed, Unicode NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for pattern, replacement in _REPLACEMENTS:
        text = pattern.sub(replacement, text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


# --- paragraphs --------------------------------------------------------------------------------

_CLOSERS = "\"'”’)]»*_"
_SENTENCE_END = ".!?…"


@dataclass(slots=True)
class _Para:
    """A paragraph and the facts the rules ask about it, computed once."""

    text: str
    n_words: int
    ends_sentence: bool  # last character (before closing quotes) is . ! ? or …
    headline_like: bool  # short, not ended by . : ; or , (a final ? or ! is fine)
    key: str  # _key(text) for short paragraphs (at most 8 words), else ""
    label: str = ""  # why it was dropped; "" while kept

    @property
    def kept(self) -> bool:
        return not self.label

    @property
    def is_body(self) -> bool:
        """A real paragraph of the article: too long for a headline or ended like a sentence."""
        return self.n_words >= 5 and not self.headline_like

    @property
    def short_tag(self) -> bool:
        """A 1-2 word label such as a publisher or section name ("CGTN", "Europe;")."""
        return self.n_words <= 2 and not self.ends_sentence


def _para(text: str) -> _Para:
    n_words = len(text.split())
    stripped = text.rstrip(_CLOSERS)
    last = "…" if stripped.endswith("...") else stripped[-1:]
    return _Para(
        text=text,
        n_words=n_words,
        ends_sentence=last in _SENTENCE_END,
        headline_like=0 < n_words <= MAX_TITLE_WORDS and last not in ".:;,",
        key=_key(text) if n_words <= 8 else "",
    )


def _paragraphs(text: str) -> list[_Para]:
    paras: list[_Para] = []
    block: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line:
            block.append(line)
            continue
        if block:
            paras.extend(_para(p) for p in _unwrap(block))
            block = []
    if block:
        paras.extend(_para(p) for p in _unwrap(block))
    return paras


def _unwrap(block: list[str]) -> list[str]:
    """Join hard-wrapped lines (as in PDFs and e-mails) back into paragraphs.

    Web copies put one paragraph per line, so lines stay apart unless the block looks wrapped
    (most lines near one width of 40-120 characters, many continuing in lower case; then a
    full-width line continues on the next one) or a line stops mid-sentence and the next one
    goes on in lower case.
    """
    if len(block) < 2:
        return block
    widest = max(len(line) for line in block)
    full = [len(line) >= 0.7 * widest for line in block[:-1]]
    lower_next = [line[:1].islower() for line in block[1:]]
    wrapped = (
        40 <= widest <= 120
        and sum(full) >= 0.7 * len(full)
        and sum(lower_next) >= 0.3 * len(lower_next)
    )
    paras = [[block[0]]]
    for k, line in enumerate(block[1:]):
        previous = block[k]
        continues = lower_next[k] and previous[-1] not in ".!?…:" and len(previous.split()) >= 3
        if (wrapped and full[k]) or continues:
            paras[-1].append(line)
        else:
            paras.append([line])
    return [" ".join(lines) for lines in paras]


# --- what boilerplate looks like ----------------------------------------------------------------


def _lexicon(text: str) -> frozenset[str]:
    return frozenset(line.strip() for line in text.strip().splitlines() if line.strip())


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Lines that are only a consent button.
BUTTONS = _lexicon("""
    i agree
    agree
    i accept
    accept
    accept all
    accept all cookies
    accept cookies
    accept and close
    agree and close
    allow all
    allow all cookies
    allow cookies
    allow selection
    reject
    reject all
    reject all cookies
    decline
    decline all
    deny
    i do not agree
    i do not accept
    got it
    ok
    okay
    ok got it
    yes i agree
    yes im happy
    no thanks
    close
    dismiss
    continue
    manage cookies
    manage preferences
    manage settings
    manage options
    cookie settings
    cookies settings
    cookie preferences
    customise
    customize
    more options
    save preferences
    save and exit
    confirm my choices
    necessary only
    only necessary
    essential only
    use necessary cookies only
    show purposes
    learn more
""")

# Words a consent-banner heading is made of ("Our Privacy Statement & Cookie Policy").
_BANNER_HEADING_WORDS = _words("""
    our your we the and of use this about site website uses new updated revised
    privacy cookie cookies policy policies statement notice settings preferences consent
    manage center centre terms value respect care data choices options personal tracking gdpr
""")
_BANNER_HEADING_KEYS = frozenset({"privacy", "cookie", "cookies", "consent", "gdpr"})

# Chrome lines after which, at the end of a page, come lists of links to other articles.
LINK_LIST_HEADERS = _lexicon("""
    trending
    trending now
    search trends
    read more
    read next
    related
    related articles
    related stories
    related content
    related topics
    related news
    more on this story
    more stories
    more news
    most popular
    most read
    most viewed
    popular
    top stories
    latest
    latest news
    latest stories
    editors picks
    recommended
    recommended for you
    you may also like
    you might also like
    dont miss
    also read
""")

# Whole lines that are site chrome wherever they appear.
CHROME = LINK_LIST_HEADERS | _lexicon("""
    share
    share this
    share this article
    share this story
    share this page
    share on facebook
    share on twitter
    share on x
    share on whatsapp
    share on linkedin
    share via email
    tweet
    email
    print
    copy link
    link copied
    copied
    advertisement
    advertisements
    advert
    ad
    sponsored
    sponsored content
    paid content
    advertisement scroll to continue
    scroll to continue with content
    story continues below advertisement
    article continues below advertisement
    article continues below
    continue reading below
    read the full article
    continue reading
    show more
    see more
    view more
    load more
    more
    subscribe
    subscribe now
    sign in
    sign up
    log in
    login
    log out
    register
    create account
    create an account
    newsletter
    sign up for our newsletter
    skip to content
    skip to main content
    skip to navigation
    follow us
    follow
    back to top
    menu
    open menu
    close menu
    home
    search
    watch
    watch live
    listen
    listen to this article
    play
    play video
    video
    photos
    comments
    show comments
    view comments
    leave a comment
    next
    previous
    next article
    previous article
    topics
    tags
    feedback
""")


# A link to another article: "READ MORE: Kremlin says ...".
_LINK_PREFIX = re.compile(
    r"(?:read more|also read|read also|see also|related|recommended|watch|listen)\s*[:|»›>]",
    re.IGNORECASE,
)
_CREDITS = re.compile(r"(?:sources?|source\s*\(s\))\s*:\s*(\S.*)", re.IGNORECASE)
_CREDIT_SPLIT = re.compile(r"\s*(?:[,;/&|]|\band\b)\s*", re.IGNORECASE)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4})", re.IGNORECASE)
_KEY_JUNK = re.compile(r"[^\w\s&]+")
_SEPARATORS = re.compile(r"\s*[|•·]\s*")  # between the items of a menu
_HAS_ALNUM = re.compile(r"\w")

# Phrases typical of consent banners (each scores 2) ...
_BANNER_STRONG = re.compile(
    r"we use cookies|uses? cookies|use of cookies|cookies? (?:policy|settings|preferences|notice)"
    r"|by continuing to (?:browse|use|visit|navigate)|by (?:clicking|using|browsing|visiting)"
    r" (?:this|our|the) (?:site|website)|accept all|reject all|accept cookies"
    r"|manage (?:your )?(?:cookie |privacy |consent )?(?:preferences|settings|choices|options)"
    r"|privacy (?:statement|notice|settings|preferences|center|centre)"
    r"|change your (?:cookie |privacy )?(?:settings|preferences)"
    r"|(?:agree|consent) to (?:the|our) use|we and our (?:\d+ )?partners"
    r"|store and/or access information|personali[sz]ed (?:ads|advertising|content)"
    r"|legitimate interest|do not sell (?:or share )?my personal information"
)
# ... and words that are common in them (each distinct one scores 1).
_BANNER_WEAK = re.compile(
    r"\b(?:cookies?|privacy|terms (?:of|and) (?:use|service|conditions)|consent|gdpr|tracking"
    r"|browser|third[- ]part(?:y|ies)|preferences|opt[- ]out|personal data|partners|analytics"
    r"|advertising|device)\b"
)
_BANNER_HINT = re.compile(r"cookie|privacy|consent|gdpr|terms of|by continuing")
_ADDRESSES_READER = re.compile(r"\b(?:you|your|we|our)\b")  # not "us": "US" is lower-cased too


def _key(text: str) -> str:
    """Lower case, no apostrophes or punctuation, one space: 'Don’t miss:' -> 'dont miss'."""
    text = text.lower().replace("'", "").replace("’", "")
    return " ".join(_KEY_JUNK.sub(" ", text).split())


def _is_banner(para: _Para) -> bool:
    """A consent/cookie banner: banner phrasing, several banner words, and talking to 'you'."""
    lower = para.text.lower()
    if not _BANNER_HINT.search(lower):
        return False
    strong = {m.group(0) for m in _BANNER_STRONG.finditer(lower)}
    if not strong or not _ADDRESSES_READER.search(lower):
        return False
    score = 2 * len(strong) + len({m.group(0) for m in _BANNER_WEAK.finditer(lower)})
    return score >= (4 if para.n_words <= 80 else 6)


def _is_banner_line(para: _Para) -> bool:
    """A consent button or banner heading; dropped only near the page's edges or a banner."""
    if not para.key:
        return False
    if para.key in BUTTONS:
        return True
    words = set(para.key.replace("&", " ").split())
    return words <= _BANNER_HEADING_WORDS and bool(_BANNER_HEADING_KEYS & words)


def _is_chrome(para: _Para) -> bool:
    """A line made only of site-chrome phrases ('Share | Tweet | Email'), or a link teaser."""
    if para.key in CHROME:
        return True
    if para.n_words > MAX_TITLE_WORDS:
        return False
    if _LINK_PREFIX.match(para.text):
        return True
    if not _SEPARATORS.search(para.text):
        return False
    parts = [_key(part) for part in _SEPARATORS.split(para.text) if part.strip()]
    return bool(parts) and all(part in CHROME for part in parts)


def _is_copyright(para: _Para) -> bool:
    """A copyright notice: '© 2026 Example News', '... All rights reserved.'"""
    if para.n_words > MAX_TITLE_WORDS:
        return False
    return bool(_COPYRIGHT.match(para.text)) or "all rights reserved" in para.text.lower()


def _credits(para: _Para) -> list[str] | None:
    """The names in a 'Source(s): AFP, Reuters' line, or None when it is not one."""
    if para.n_words > 20 or ":" not in para.text:
        return None
    match = _CREDITS.fullmatch(para.text)
    if match is None:
        return None
    names = [name.strip(" .") for name in _CREDIT_SPLIT.split(match.group(1))]
    names = [name for name in names if name]
    if not names or any(len(name.split()) > 4 for name in names):
        return None
    return list(dict.fromkeys(names))


# --- the cleaner -------------------------------------------------------------------------------


def clean_text(text: str, *, title: str | None = None) -> CleanResult:
    """Clean copy-pasted article text: keep every sentence of the article, drop page furniture.

    `title` is a headline already known (from HTML or JSON metadata): the page's first line is
    then dropped only when it repeats it, and the result's title is that title.

    >>> result = clean_text(
    ...     "We use cookies. You can change your cookie settings at any time.\\n\\nAccept all\\n\\n"
    ...     "Storm hits coast\\n\\nCGTN\\n\\nA storm hit the coast on Tuesday.\\n\\n"
    ...     "Source(s): AFP, Reuters\\n\\nShare"
    ... )
    >>> result.title, result.text, result.credits
    ('Storm hits coast', 'A storm hit the coast on Tuesday.', ['AFP', 'Reuters'])
    """
    paras = _paragraphs(normalize_text(text))
    credits: list[str] = []
    seen: set[str] = set()
    for para in paras:
        names = _credits(para)
        if names is not None:
            para.label = "credits"
            credits.extend(name for name in names if name not in credits)
        elif not _HAS_ALNUM.search(para.text):
            para.label = "no words"
        elif _is_banner(para):
            para.label = "banner"
        elif _is_chrome(para):
            para.label = "chrome"
        elif _is_copyright(para):
            para.label = "copyright"
        elif para.n_words >= 8 or (para.n_words >= 4 and para.ends_sentence):
            # Short list items ("Winners meet in final match") may repeat on purpose.
            key = " ".join(para.text.split())
            if key in seen:
                para.label = "duplicate"
            seen.add(key)

    body = [i for i, para in enumerate(paras) if para.kept and para.is_body]
    first_body = body[0] if body else len(paras)
    last_body = body[-1] if body else len(paras)
    _drop_banner_lines(paras, first_body, last_body)
    known = " ".join(title.split()) if title and title.strip() else None
    title = _take_title(paras, first_body, has_body=bool(body), known=known)
    if body:
        _drop_header_tags(paras, first_body)
        _drop_tail(paras, last_body)

    kept = [para.text for para in paras if para.kept]
    removed = [para.text for para in paras if para.label not in ("", "title")]
    return CleanResult(text="\n\n".join(kept), title=title, credits=credits, removed=removed)


def _drop_banner_lines(paras: list[_Para], first_body: int, last_body: int) -> None:
    """Drop runs of buttons / banner headings in the head or tail, or next to a banner."""
    i = 0
    while i < len(paras):
        if not (paras[i].kept and _is_banner_line(paras[i])):
            i += 1
            continue
        end = i  # the run is paras[i:end] (skipping paragraphs already dropped)
        while end < len(paras) and (not paras[end].kept or _is_banner_line(paras[end])):
            end += 1
        near_banner = any(para.label == "banner" for para in paras[max(i - 1, 0) : end + 1])
        if i < first_body or i > last_body or near_banner:
            for para in paras[i:end]:
                if para.kept:
                    para.label = "banner"
        i = end


def _take_title(
    paras: list[_Para], first_body: int, *, has_body: bool, known: str | None
) -> str | None:
    """The first paragraph before the body, skipping 1-2 word tags, if it reads like a headline.

    With a known title, only a first paragraph repeating it is taken (and the known title
    returned), so no other line is lost.
    """
    for i in range(first_body):
        para = paras[i]
        if not para.kept or (has_body and para.short_tag):
            continue
        if known is not None:
            if _same_text(para.text, known):
                para.label = "title"
            return known
        if para.headline_like and any(other.kept for other in paras[i + 1 :]):
            para.label = "title"
            return para.text
        return None
    return known


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _drop_header_tags(paras: list[_Para], first_body: int) -> None:
    for para in paras[:first_body]:
        if para.kept and para.short_tag:
            para.label = "header tag"


def _drop_tail(paras: list[_Para], last_body: int) -> None:
    """Drop the run at the very end of the page, after the last body paragraph, made of short
    labels and (after a 'Related' / 'Most read' header) links to other articles.

    The run is kept when the line before it looks like an item of the same list (a short
    non-sentence such as "West Brom v Tottenham" before "Charlton v Yeovil").
    """
    tail = range(last_body + 1, len(paras))
    headers = [i for i in tail if paras[i].label == "chrome" and paras[i].key in LINK_LIST_HEADERS]
    run: list[_Para] = []
    stopper: _Para | None = None
    for i in reversed(tail):
        para = paras[i]
        if not para.kept:
            continue
        in_link_list = bool(headers) and headers[0] < i
        if (para.n_words <= 3 and not para.ends_sentence) or (in_link_list and para.headline_like):
            run.append(para)
        else:
            stopper = para
            break
    if stopper is not None and stopper.n_words <= 12 and not stopper.ends_sentence:
        return
    for para in run:
        para.label = "tail"


def derive_title(text: str) -> str:
    """A title from the first line: its first sentence, cut to about 12 words with an ellipsis.

    >>> derive_title("Russia launched its biggest attack of the year on Ukraine on Monday night.")
    'Russia launched its biggest attack of the year on Ukraine on Monday…'
    """
    for line in normalize_text(text).split("\n"):
        words = line.split()
        if words:
            break
    else:
        return "Untitled"
    first = _first_sentence(" ".join(words))
    words = first.split()
    if len(words) <= DERIVED_TITLE_WORDS:
        return first.rstrip(".")
    return " ".join(words[:DERIVED_TITLE_WORDS]).rstrip(".,;:!?-–—") + "…"


def _first_sentence(line: str) -> str:
    found = sentences(line[:2000])
    return found[0] if found else line
