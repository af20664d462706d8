r"""Detect text that looks like a patient identifier.

Precept never stores patient names, record numbers or birth dates. Names cannot be
detected reliably; numbers, dates, e-mail addresses and labelled numbers can.
`find_identifier(text)` returns a short description of the first thing found, written to
follow "seem to contain" and quoting only the matched fragment, or None.

Normalisation comes first (`normalise`), character by character so that a match can be
quoted as typed: compatibility forms are folded (NFKC: full-width １２３, superscript ¹²³,
circled ①②, mathematical 𝟏𝟐), any other Unicode digit (Arabic-Indic ١٢٣, dingbat ➀) becomes
its ASCII digit, every dash (U+2010-U+2015, U+2212, ...) becomes "-", every Unicode space
(no-break, figure, narrow, thin, ideographic) becomes " ", curly apostrophes and primes
become "'", and invisible characters (zero-width spaces and joiners, word joiner, BOM,
soft hyphen, bidi controls, combining marks such as the keycap) are dropped. So
"123\u200b4567" is "1234567".

What is refused
---------------
* E-mail addresses: "j.smith@example.org", "jsmith [at] nhs.net".
* Full dates, with numbers or with month names: "02/02/60", "12-03-61", "02.02.1960",
  "1960-02-02", "2 Feb '60", "2nd of February 1960", "12Mar1961", "May 2, 1960",
  "mar 12 61". A date needs a day, a month and a year; "12/3", "12 March", "March 1961",
  "in 2021" are not full dates. Month names count only as whole words, so "Marcaine",
  "Mayo", "Junior", "Augmentin", "Octreotide", "Decadron", "decreased" and "novel" are
  words, and "may" is a month only when it forms such a date. Numeric dates must be valid
  (day 1-31, month 1-12, either order; four-digit years 1900-2099).
* SSN-shaped ("123-45-6789") and phone-shaped numbers ("(555) 123-4567",
  "+44 20 7946 0958", "07700 900123", "555.123.4567").
* Record-number runs: seven or more digits in digit groups joined by record-number-like
  separators. The rule is below.
* A record-number label followed by a number of any length: "MRN 123456", "MR# 44",
  "hospital no. 4455", "hosp number A12345", "MRN: A-4455", "NHS no 943", "URN 4455",
  "patient ID 12", "DOB 1960", "D.O.B.: Feb 1960", "date of birth 2/60".

Digit runs and doses: the rule
------------------------------
Digit groups joined by any of these separators form one run: any whitespace (spaces,
tabs, a line break), or one to three of - . / _ \ | · • ∙ ⋅ * with optional spaces
around, or a comma with no space after it. "12.345.678", "1234/5678", "123\t4567", "123  4567",
"123 - 4567", "123,4567" and "1 2 3 4 5 6 7" are each one run of seven or more digits.
A comma followed by a space, a colon, "x", "+", an arrow, a word or any other character
ends a run; so do letters: "25, 50, 100, 200 mg", "25 then 50 then 100",
"7/10 → 2/10", "14:30", "L4-5, L5/S1", "22G 3.5 inch" are not runs.

Inside a run, the whitespace-separated pieces that are a measurement on their own are not
counted and split the run:

* a decimal: one point or comma, at most five digits before it and three after, at most
  seven in all ("1234.56", "45.2", "0.125", "12345,6");
* a score: n/d with d in 3, 4, 5, 10 or 100 and n <= d ("8/10", "5/5", "80/100");
* a blood pressure: systolic 50-300 over a lower diastolic 20-200 ("130/80");
* a clock-time range: "0830-1230", "08.30-12.30", first time earlier than the second;
* a range or list of years 1900-2099 in order: "2019-2021", "2019/2020/2021";
* a range of two of the above: "8/10-10/10", "130/80-140/90", "1.5-2.5".

What remains is refused when it holds seven or more digits, with three exceptions:

1. a list of years in order, one per piece: "2019 2021 2023";
2. a list of quantities sharing the unit that follows it: the run is followed by a unit
   of measure (mg, mL, %, s, min, mGy, G, °C, Ω, ...), its separators are spaces, commas,
   hyphens or slashes, and every value has one to four digits without a leading zero;
   three or more values are a list of doses or readings ("100 200 300 mg",
   "300 600 900 1200 mg", "75/150/300 mg", "impedance 312 287 295 ohm"), two values must
   both be round (under 10, or a multiple of 5) so that "500 1000 mg" and "500-1000 mg"
   pass and "1234 5678 mg" does not;
3. a count written with thousands separators and a count unit: "1 200 000 cells/µL",
   "1.200.000/µL", "1,200,000/µL".

So "100 200 300 mg" and "dose escalation 25, 50, 100, 200 mg" are accepted, while
"100 200 300" (no unit), "1234567 mg" (a value longer than four digits),
"0123 4567 mL" (a leading zero) and "12.345.678 mg" (points are not list separators)
are refused. A seven-digit record number deliberately split into three short groups and
followed by a unit ("123 456 789 mg") reads like a list of readings and is accepted: the
filter guards against slips, not against someone set on hiding a number.

A number followed by a unit is a quantity, never the year of a date: "started 2 Mar
20 mg" and "may 10-20 min" are accepted; "2 Mar 20" is refused.

Cases decided one way on purpose
--------------------------------
* "2 Mar 20" is a full date (2 March 2020), though it could be "2 March, 20 patients".
* "patient no. 3" is a labelled number and refused; write "3rd on the list".
* Bare clock times in a list ("0900 1000 1100") are a run; "09:00, 10:00" and a range
  ("0900-1100") are not.
* "1,234,567" is a run but "1,200,000/µL" is a count; "123 456 789 mg" is a list.
* "NHS 111" (the advice line) passes: "NHS" is a label only as "NHS no." or "NHS number".
"""

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

__all__ = ["find_identifier", "normalise"]

# --- normalisation ---------------------------------------------------------------------------

_SLASHES = set("\u2044\u2215\u29f8")
_DASHES = set("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d\u2e3a\u2e3b")
_APOSTROPHES = set("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\u00b4")
_DOUBLE_QUOTES = set("\u201c\u201d\u201e\u201f\u2033\u2036")
# ASCII control characters other than tab and line breaks read as a space.
_ASCII_CONTROLS = {c: " " for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    """The normalised form of one character: "", one character or a few."""
    if ch in _APOSTROPHES:
        return "'"
    if ch in _DOUBLE_QUOTES:
        return '"'
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        category = unicodedata.category(c)
        if category in ("Cf", "Mn", "Me"):  # zero-width, joiners, BOM, soft hyphen, bidi, marks
            continue
        if category == "Zs":
            out.append(" ")
        elif category in ("Zl", "Zp"):
            out.append("\n")
        elif category == "Cc":
            out.append(c if c in "\t\n\r" else " ")
        elif c in _DASHES:
            out.append("-")
        elif c in _SLASHES:
            out.append("/")
        elif c in _APOSTROPHES:
            out.append("'")
        elif c in _DOUBLE_QUOTES:
            out.append('"')
        elif not c.isascii() and unicodedata.digit(c, None) is not None:
            out.append(str(unicodedata.digit(c)))
        else:
            out.append(c)
    return "".join(out)


def _normalise_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The normalised text and, for each of its characters, the index of the character of
    `text` it came from (None when the two line up one to one)."""
    if text.isascii():
        return text.translate(_ASCII_CONTROLS), None
    pieces, origin = [], []
    for index, ch in enumerate(text):
        folded = ch.translate(_ASCII_CONTROLS) if ch.isascii() else _fold(ch)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    return "".join(pieces), origin


def normalise(text: str) -> str:
    """Fold `text` into the plain form the patterns are written for (see the module doc)."""
    return _normalise_with_offsets(text)[0]


# --- shared pieces ---------------------------------------------------------------------------

_LETTER = r"[^\W\d_]"
# Units of measure, as they read after normalisation (NFKC turns µ into μ, Ω into Ω, ² into 2).
_UNIT_WORDS = (
    r"mg|mcg|μg|ug|ng|pg|g|kg|ml|μl|ul|dl|l|cc|mmol|mol|meq|iu|units?|u"
    r"|mm[23]?|cm[23]?|m[23]?|inch(?:es)?|ft"
    r"|mgy|cgy|μgy|gy|msv|sv|kv|kvp|ma|mas"
    r"|s|secs?|seconds?|min|mins|minutes?|h|hr|hrs|hours?|days?|wks?|weeks?|months?|mo|yrs?|years?"
    r"|gauge|c|ohms?|ω|kω|w|j|hz|khz|mhz|mmhg|bpm|kpa|x|cells|platelets"
)
_UNIT_AFTER = re.compile(
    rf"[ \t]*(?:%|\"|''|°c?|/\s?(?:μl|ul|ml|mm3|l|kg|h|min|day)\b"
    rf"|(?:{_UNIT_WORDS})(?![A-Za-z0-9]))",
    re.I,
)
_COUNT_UNIT_AFTER = re.compile(r"[ \t]*(?:cells|platelets|/\s?(?:μl|ul|ml|mm3|l))\b", re.I)


def _unit_follows(s: str, end: int) -> bool:
    return _UNIT_AFTER.match(s, end) is not None


_MONTH = (
    rf"(?<!{_LETTER})(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    rf"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
    rf"(?!{_LETTER})\.?"
)
_DAY = r"(?<!\d)(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:'\s?\d{2}|(?:19|20)\d{2}|\d{2})(?!\d|[.,:/-]\d)"
_GAP = r"[\s\-./,]{0,3}"
_NUM_START = r"(?<!\d)(?<!\d[./:\-])"  # not inside a longer number, decimal or time
_NUM_END = r"(?!\d|[.:/\-]\d)"

# --- the checks, in the order they are tried -------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+(?:@|\s?[\[(]at[\])]\s?)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.I
)
_ISO_DATE = re.compile(
    rf"{_NUM_START}((?:19|20)\d{{2}})\s?([-/.])\s?(\d{{1,2}})\s?\2\s?(\d{{1,2}}){_NUM_END}"
)
_NUMERIC_DATE = re.compile(
    rf"{_NUM_START}(\d{{1,2}})\s?([-/.])\s?(\d{{1,2}})\s?\2\s?('?(?:\d{{4}}|\d{{2}})){_NUM_END}"
)
_WORD_DATES = [
    # 12 March 1961, 12-Mar-1961, 12Mar1961, 12th of March '61
    re.compile(rf"{_DAY}(?:\s*of)?{_GAP}{_MONTH}{_GAP}{_YEAR}", re.I),
    # March 12, 1961; Mar-12-61; May 2nd '60
    re.compile(rf"{_MONTH}{_GAP}{_DAY}[\s\-./,]{{1,3}}{_YEAR}", re.I),
    # 1961 March 12, 1961-Mar-12
    re.compile(rf"(?<!\d)(?:19|20)\d{{2}}[\s\-./,]{{1,3}}{_MONTH}{_GAP}{_DAY}", re.I),
]
_SSN = re.compile(rf"{_NUM_START}\d{{3}}([- ])\d{{2}}\1\d{{4}}{_NUM_END}")
_PHONES = [
    re.compile(r"(?<![\w+])\+\d{1,3}[ \-]?(?:\(0\)[ \-]?)?\d{1,4}(?:[ \-]?\d{2,4}){2,3}(?!\d)"),
    re.compile(r"\(\d{2,5}\)[ \-]?\d{3,4}[ \-]?\d{3,4}(?!\d)"),
    re.compile(rf"{_NUM_START}\d{{3}}([-.])\d{{3}}\1\d{{4}}{_NUM_END}"),
    # UK: grouped (020 7946 0958, 0161 496 0000, 07700 900123) or a mobile written solid
    re.compile(
        rf"{_NUM_START}0[1-9](?:\d[ \-]\d{{4}}[ \-]\d{{4}}|\d{{2}}[ \-]\d{{3}}[ \-]\d{{4}}"
        rf"|\d{{3}}[ \-]\d{{5,6}}|\d{{3}}[ \-]\d{{3}}[ \-]\d{{3}})(?!\d)"
    ),
    re.compile(rf"{_NUM_START}07\d{{9}}(?!\d)"),
]
_CHAIN = re.compile(r"\d++(?:(?:[ \t]*+[-./_\\|·•∙⋅*]{1,3}[ \t]*+|\s++|,(?=\d))\d++)*+")
_GROUP = re.compile(r"\d+")
_DOB_LABEL = re.compile(
    rf"(?<!{_LETTER})(?:dob|d\.\s?o\.\s?b\.?|date\s+of\s+birth|birth\s*date)(?!{_LETTER})"
    rf"[\s:.#=\-]*(?:is\s+)?(?:{_MONTH}[\s,.\-]*)?'?\d",
    re.I,
)
_RECORD_LABEL = re.compile(
    rf"(?<!{_LETTER})(?:"
    r"mrn|mr\s?#|urn|ssn|nhi|accession"
    r"|(?:hospital|hosp\.?|unit|(?:medical\s+)?records?|patient|pt\.?|nhs|ur|mr|chart|id"
    r"|medicare|insurance|social\s+security|chi|acc\.?)"
    rf"\s*(?:no\.?|nr\.?|number|num\.?|#|id)"
    rf")(?!{_LETTER})[\s:.#=\-]*(?:is\s+)?(?:(?-i:[A-Z]{{1,3}})[ \-]?|[A-Za-z]{{0,3}})\d",
    re.I,
)

_RUN = "a run of seven or more digits"


def _valid_day_month(a: int, b: int) -> bool:
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


def _valid_year(text: str) -> bool:
    digits = text.lstrip("'")
    return len(digits) == 2 or 1900 <= int(digits) <= 2099


def _find_date(s: str) -> tuple[int, int] | None:
    for m in _ISO_DATE.finditer(s):
        if _valid_day_month(int(m[3]), int(m[4])) and not _unit_follows(s, m.end()):
            return m.span()
    for m in _NUMERIC_DATE.finditer(s):
        valid = _valid_day_month(int(m[1]), int(m[3])) and _valid_year(m[4])
        if valid and not _unit_follows(s, m.end()):
            return m.span()
    for pattern in _WORD_DATES:
        for m in pattern.finditer(s):
            if not _unit_follows(s, m.end()):
                return m.span()
    return None


def _first(patterns, s: str) -> tuple[int, int] | None:
    for pattern in patterns:
        for m in pattern.finditer(s):
            if not _unit_follows(s, m.end()):
                return m.span()
    return None


# --- digit runs ------------------------------------------------------------------------------

_DECIMAL = re.compile(r"(\d{1,5})[.,](\d{1,3})")
_FRACTION = re.compile(r"(\d{1,3})/(\d{1,3})")
_TIME_RANGE = re.compile(r"(\d{1,2})[.:]?(\d{2})-(\d{1,2})[.:]?(\d{2})")
_YEARS = re.compile(r"(?:19|20)\d{2}(?:[-/](?:19|20)\d{2})+")


def _is_year(group: str) -> bool:
    return len(group) == 4 and group[:2] in ("19", "20")


def _is_measurement(word: str, groups: list[str]) -> bool:
    """A whitespace-free piece of a run that is a quantity on its own."""
    word = re.sub(r"\s+", "", word)
    m = _DECIMAL.fullmatch(word)
    if m:
        return len(m[1]) + len(m[2]) <= 7
    m = _FRACTION.fullmatch(word)
    if m:
        top, bottom = int(m[1]), int(m[2])
        if bottom in (3, 4, 5, 10, 100) and top <= bottom and not m[1].startswith("0"):
            return True
        return 50 <= top <= 300 and 20 <= bottom <= 200 and top > bottom
    m = _TIME_RANGE.fullmatch(word)
    if m:
        start, end = (int(m[1]), int(m[2])), (int(m[3]), int(m[4]))
        valid = all(h <= 23 and mins <= 59 for h, mins in (start, end))
        return valid and start < end
    if _YEARS.fullmatch(word):
        values = [int(g) for g in groups]
        return values == sorted(values)
    parts = word.split("-")
    if len(parts) == 2 and all("/" in p or "." in p or "," in p for p in parts):
        # a range of scores, pressures or decimals: 8/10-10/10, 130/80-140/90, 1.5-2.5
        return all(_is_measurement(p, _GROUP.findall(p)) for p in parts)
    return False


def _is_quantity_list(groups: list[str], separators: list[str]) -> bool:
    """Values sharing the unit that follows them (rule 2 of the module doc)."""
    if any(sep.strip() not in ("", ",", "-", "/") for sep in separators):
        return False
    if any(len(g) > 4 or g.startswith("0") for g in groups):
        return False
    if len(groups) >= 3:
        return True
    return all(int(g) < 10 or int(g) % 5 == 0 for g in groups)


def _is_count(groups: list[str], separators: list[str]) -> bool:
    """1 200 000, 1.200.000 or 1,200,000 (rule 3 of the module doc)."""
    return (
        len(set(separators)) == 1
        and separators[0] in (" ", ".", ",")
        and 1 <= len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
    )


def _find_run(s: str) -> tuple[int, int] | None:
    for chain in _CHAIN.finditer(s):
        spans = [g.span() for g in _GROUP.finditer(s, chain.start(), chain.end())]
        if sum(end - start for start, end in spans) < 7:
            continue
        # Split the run into whitespace-separated pieces ("words") of digit groups.
        words: list[list[tuple[int, int]]] = []
        for i, span in enumerate(spans):
            if i == 0 or s[spans[i - 1][1] : span[0]].isspace():
                words.append([span])
            else:
                words[-1].append(span)
        # Runs of consecutive pieces that are not measurements on their own.
        stretches: list[list[list[tuple[int, int]]]] = [[]]
        for word in words:
            groups = [s[a:b] for a, b in word]
            if _is_measurement(s[word[0][0] : word[-1][1]], groups):
                stretches.append([])
            else:
                stretches[-1].append(word)
        for index, stretch in enumerate(stretches):
            flat = [span for word in stretch for span in word]
            if sum(end - start for start, end in flat) < 7:
                continue
            groups = [s[a:b] for a, b in flat]
            separators = [s[flat[i][1] : flat[i + 1][0]] for i in range(len(flat) - 1)]
            if all(len(word) == 1 for word in stretch) and all(_is_year(g) for g in groups):
                if [int(g) for g in groups] == sorted(int(g) for g in groups):
                    continue
            last = index == len(stretches) - 1
            if last and _unit_follows(s, chain.end()) and _is_quantity_list(groups, separators):
                continue
            if last and _COUNT_UNIT_AFTER.match(s, chain.end()) and _is_count(groups, separators):
                continue
            return flat[0][0], flat[-1][1]
    return None


# --- the interface ---------------------------------------------------------------------------

_LABEL_VALUE = re.compile(r"[\w/.\-]*(?:[ \t]\d[\w/.\-]*)*")


def _find_email(s: str) -> tuple[int, int] | None:
    for m in _EMAIL.finditer(s):
        if re.search(r"[A-Za-z]{2,}$", m[0]):  # a top-level domain, not "mL@0.25"
            return m.span()
    return None


def _find_label(pattern: re.Pattern) -> Callable[[str], tuple[int, int] | None]:
    def find(s: str) -> tuple[int, int] | None:
        m = pattern.search(s)
        if m is None:
            return None
        return m.start(), _LABEL_VALUE.match(s, m.end()).end()

    return find


_CHECKS = [
    ("an e-mail address", _find_email),
    ("a full date", _find_date),
    ("an SSN-shaped number", lambda s: _first([_SSN], s)),
    ("a phone number", lambda s: _first(_PHONES, s)),
    (_RUN, _find_run),
    ("a date of birth", _find_label(_DOB_LABEL)),
    ("a record number", _find_label(_RECORD_LABEL)),
]
_QUOTE_LIMIT = 40


def _quote(text: str, normalised: str, origin: list[int] | None, span: tuple[int, int]) -> str:
    start, end = span
    if origin is None:
        fragment = text[start:end]
    else:
        # Up to the next character that survived normalisation: a keycap's marks belong
        # to its digit.
        fragment = text[origin[start] : origin[end] if end < len(origin) else len(text)]
    # Drop invisible characters so the quote reads as the user sees the text.
    fragment = "".join(
        c for c in fragment if c.isspace() or unicodedata.category(c) not in ("Cf", "Cc")
    )
    fragment = " ".join(fragment.split())
    if len(fragment) > _QUOTE_LIMIT:
        fragment = fragment[: _QUOTE_LIMIT - 1] + "…"
    return fragment


def find_identifier(text: str) -> str | None:
    """Return a description of the first identifier-like fragment in `text`, or None.

    The description follows "seem to contain", e.g. 'a full date ("2 Feb \\'60")'.
    """
    if not text:
        return None
    s, origin = _normalise_with_offsets(text)
    for what, check in _CHECKS:
        span = check(s)
        if span is not None:
            fragment = _quote(text, s, origin, span)
            if what == _RUN:
                return f'{_RUN} ("{fragment}"), like a record number'
            return f'{what} ("{fragment}")'
    return None
