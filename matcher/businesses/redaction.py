"""Remove contact details from text a business typed, before a provider reads it.

E-mail addresses and links go by pattern, phone numbers by phonenumbers' matcher read in the
request's country and then any long run of digits left over (privacy first), and the
business's own names by business_names. Standard references, dates, IAF codes and headcounts
stay: a provider needs them to quote.
"""

import re

import phonenumbers

from matcher.businesses.names import name_alternatives

EMAIL_REMOVED = "[e-mail removed]"
PHONE_REMOVED = "[phone removed]"
LINK_REMOVED = "[link removed]"
NAME_REMOVED = "[name removed]"
_PLACEHOLDERS = "|".join(
    re.escape(p) for p in (EMAIL_REMOVED, PHONE_REMOVED, LINK_REMOVED, NAME_REMOVED)
)

_EMAIL_OR_LINK = re.compile(
    r"""
    (?P<email>
        [\w.+%-]+\s*(?:@|[\[({<]\s*at\s*[\])}>])\s*[\w-]+
        (?:\s*(?:\.|[\[({<]\s*dot\s*[\])}>])\s*[\w-]+)+
      | \b[\w.+-]+\s+at\s+[\w-]+(?:\s+dot\s+[a-z]{2,})+\b
    )
  | (?P<link>
        (?:https?|ftp)://\S+
      | \bwww\.\S+
      | \b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:[a-z]{2,24})\b(?:/\S*)?
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Management-system standards often listed after one "ISO": "ISO 9001, 14001 and 45001".
_STANDARD = (
    r"(?:9001|9100|9110|9120|14001|14064|16949|17020|17021|17025|17065|19011|20000|21001"
    r"|22000|22301|26000|27001|27002|27017|27018|27701|28000|29001|31000|37001|37301|39001"
    r"|41001|42001|44001|45001|50001|55001)(?:-\d{1,2})?(?::(?:19|20)\d\d)?(?!\d)"
)
_LIST = r"(?:\s*[,;/&+]\s*|\s+(?:and|und|et|y|e|or)\s+|\s+)"
_YEAR = r"(?:[:-](?:19|20)\d\d)?(?!\d)"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ISO_DATE = rf"(?:19|20)\d\d-(?:0?[1-9]|1[0-2])-{_DAY}"
# Day and month either way round (01/03/2026, 3/1/2026), one separator throughout; a range
# ("01.03.2026-15.03.2026") is one span.
_DATES = (
    rf"(?:{_ISO_DATE}|{_DAY}(?P<a>[./-]){_DAY}(?P=a)(?:(?:19|20)\d\d|\d\d))"
    rf"(?:\s?[-\u2013/]\s?(?:{_ISO_DATE}|{_DAY}(?P<b>[./-]){_DAY}(?P=b)(?:(?:19|20)\d\d|\d\d)))?"
    r"(?![./-]?\d)"
)
_HEADS = r"(?:\d{1,3}(?:[,.'\s]\d{3})+|\d{1,6})"
# Nothing kept starts right after a digit and one separator: a kept-looking tail of a phone
# number ("... 496 0123 staff", "... 34 2026-03-01") must not shield part of that number.
_NOT_A_TAIL = r"(?<!\d)(?<!\d[ .\-/])"
# What a provider needs and phone numbers never look like. Each pattern is searched on its
# own, so that one ("IAF 17; 31") cannot hide another ("31.12.2026") by overlapping it.
_KEPT = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"(?:\b(?:ISO(?:/IEC)?|IEC|IATF)[\s/-]*[1-9]\d{{2,4}}|\b(?-i:EN|AS|BS)\s?[1-9]\d{{3,4}})"
        rf"(?:-\d{{1,2}}(?!\d))?{_YEAR}(?:{_LIST}{_STANDARD})*",
        rf"{_NOT_A_TAIL}{_STANDARD}(?:{_LIST}{_STANDARD})*",
        rf"{_NOT_A_TAIL}{_DATES}",
        r"\bIAF(?:\s+(?:codes?|sectors?|scopes?))?[\s:#]*(?:[1-9]|[1-3]\d)(?!\d)"
        r"(?:(?:\s*[,;/&+-]\s*|\s+(?:and|und|et|or)\s+)(?:[1-9]|[1-3]\d)(?!\d))*",
        rf"{_NOT_A_TAIL}{_HEADS}\s*"
        r"(?:employees|staff|people|persons|workers|FTEs?|heads|sites|locations|shifts)\b",
    )
)
# Postcodes long enough to pass for a phone number, by country. They are kept from the
# digit-run rule below but not from phonenumbers: a valid number of the country goes.
_POSTCODES = {
    "US": re.compile(r"(?<![\d-])\d{5}-\d{4}(?![\d-])"),
    "PT": re.compile(r"(?<![\d-])\d{4}-\d{3}(?![\d-])"),
    "BR": re.compile(r"(?<![\d-])\d{5}-\d{3}(?![\d-])"),
    "JP": re.compile(r"(?<![\d-])\d{3}-\d{4}(?![\d-])"),
}
# Digits joined the way a number's groups are: a space, a dot, a dash or slash (spaced or
# not), brackets. Never a line break, nor ". " between two sentences.
_SPACE = r"[ \t\u00a0\u202f]"
_JOIN = rf"\)?(?:\.|{_SPACE}?[-/\u2010-\u2014]{_SPACE}?|{_SPACE}{{1,2}})?\(?"
_DIGIT_RUN = re.compile(rf"[+(]?\d(?:{_JOIN}\d)*\)?")
# phonenumbers' leniency, chosen by test_phone_numbers_in_free_text: with the digit-run rule
# below, VALID misses none of the generated numbers; across the form's countries POSSIBLE
# also took 160 ordinary figures ("founded in 1998", "room 101") where VALID took 11, and
# STRICT_GROUPING or EXACT_GROUPING missed short numbers written in pairs ("72 90", Tokelau).
_LENIENCY = phonenumbers.Leniency.VALID
# Seven digits or more are removed when they are not all part of something kept, even when
# phonenumbers finds no number of the request's country in them: a foreign number written
# the national way, a number typed one digit short or a bare "12345678" are read as phone
# numbers. The cost, accepted for privacy: long figures such as "1 200 000 EUR" or a
# company registration number go too.
_MIN_RUN_DIGITS = 7


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [match.span() for match in pattern.finditer(text)]


def _covered(start: int, end: int, text: str, kept: list[tuple[int, int]]) -> bool:
    """Whether every digit between start and end lies inside a kept span."""
    return all(
        any(a <= index < b for a, b in kept) for index in range(start, end) if text[index].isdigit()
    )


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the spans blanked out by a character that ends any phone number."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "|" * (end - start)
    return "".join(chars)


def _phone_spans(text: str, country: str | None) -> list[tuple[int, int]]:
    """The spans of `text` to remove as phone numbers: whole runs of digits."""
    kept = [span for pattern in _KEPT for span in _spans(pattern, text)]
    runs = [run for run in _spans(_DIGIT_RUN, text) if not _covered(*run, text, kept)]
    found = []
    # A kept date just before a number can hide it from phonenumbers ("01/03/2026. (211237)"),
    # so the text is also read with what is kept blanked out.
    for source in (text, _masked(text, kept)):
        for hit in phonenumbers.PhoneNumberMatcher(source, country or "ZZ", leniency=_LENIENCY):
            inside = [run for run in runs if run[0] < hit.end and hit.start < run[1]]
            if inside:  # the whole runs it touches, kept parts too: "IAF 17, 12 345 67 89"
                found.append((inside[0][0], inside[-1][1]))
    postcode = _POSTCODES.get(country or "")
    kept += _spans(postcode, text) if postcode else []
    found += [
        (start, end)
        for start, end in runs
        if sum(ch.isdigit() for ch in text[start:end]) >= _MIN_RUN_DIGITS
        and not _covered(start, end, text, kept)
    ]
    return found


def _remove_phones(text: str, country: str | None) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(_phone_spans(text, country)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + PHONE_REMOVED + text[end:]
    return text


def _email_or_link(match: re.Match) -> str:
    return EMAIL_REMOVED if match.lastgroup == "email" else LINK_REMOVED


def _name_replace(match: re.Match) -> str:
    text = match.group(0)
    return text if re.fullmatch(_PLACEHOLDERS, text) else NAME_REMOVED


def redact_free_text(
    text: str | None,
    *,
    country: str | None = None,
    names: tuple[str | None, ...] = (),
    known_words: tuple[str | None, ...] = (),
) -> str | None:
    """Remove e-mail addresses, links, phone numbers and the given names from free text.

    Phone numbers are read as the request's `country` (ISO alpha-2) writes them. `known_words`
    (country, region) are shown in the brief anyway, so a name word equal to one of them is
    not removed on its own.
    """
    if not text:
        return None
    cleaned = _remove_phones(_EMAIL_OR_LINK.sub(_email_or_link, text), country)
    alternatives = name_alternatives(names, known_words=known_words)
    if alternatives:
        # Placeholders already written are matched first so that no name is found inside them.
        pattern = "|".join([_PLACEHOLDERS, *alternatives])
        cleaned = re.sub(pattern, _name_replace, cleaned, flags=re.IGNORECASE)
    return cleaned.strip() or None
