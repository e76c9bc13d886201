"""Names: find the business's own names in free text, and compare organisation names.

`same_organisation_key` folds a name to the form in which two spellings of one organisation
compare equal ("Acme Consulting Ltd." and "ACME consulting"): see its docstring.

Finding the business's own names (company, contact, mailbox) in free text:

The rule: a name is removed as a whole phrase (its words in order, whatever punctuation joins
them, legal forms such as "Ltd" or "GmbH" optional), case- and accent-insensitively. A single
word of a name is removed on its own only when it is distinctive: a word of three or more
letters (or an acronym) that is not a legal form, connector, honorific or mailbox word, not a
common business or industry word, and not a word the brief shows anyway (country, region,
sector). So "Acme" of "Acme Brackets Ltd" goes wherever it appears, while "brackets" stays in
"we make steel brackets". A name made only of common words ("Steel Brackets Ltd") is removed
with its legal form, or without it only when capitalised as a name is written.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from matcher.iso import reference


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEGAL_FORMS = _words(
    "ltd limited llc llp lp inc incorporated corp corporation plc pty pte co company "
    "gmbh mbh ag kg kgaa ohg ug ev eg sa sas sarl srl spa sl slu bv nv vof oy oyj ab as asa "
    "aps kk sro zrt kft doo"
)
_ARTICLES = _words("the die der das la le les el il lo los las")
_CONNECTORS = _words("and und et y e en n of for de del della di da du des van von den")
_HONORIFICS = _words("mr mrs ms miss mx dr prof sir dame herr frau mme mlle sig sra sr")
_MAILBOX_WORDS = _words(
    "info sales contact office admin hello mail enquiries enquiry inquiries quality team "
    "hr accounts support general reception post kontakt noreply"
)
# Words that describe a trade, not one business; singular forms (plurals are folded).
_COMMON_WORDS = _words("""
    group holding holdings service solution international global worldwide industry industries
    industrial system technology technologies tech engineering engineer manufacturing
    manufacturer product trading trade enterprise partner associate consulting consultant
    consultancy management logistic work factory mill brother bros son family firm business
    network resource supply supplies supplier distribution center centre studio lab
    laboratory agency office store shop market home house care clinic medical health
    pharma energy power water electric electrical electronic electronics software data
    digital computer it media print printing packaging plastic metal steel iron aluminium
    aluminum bracket widget component part tool machine machinery precision casting
    fabrication fixing fastener fitting building builder construction property transport
    freight shipping food foods farm fresh bakery brewery textile fabric wood timber paper
    chemical coating paint glass stone concrete motor auto automotive vehicle marine
    aerospace security safety training education design creative quality environmental
    green blue red white black gold silver north northern south southern east eastern
    west western central national european euro british american new old united general
    first best premier prime royal modern smart direct city county regional local
    will may mark rose grace hope joy dawn faith april june summer bill frank rich ray
    societe compagnie entreprise groupe gesellschaft sociedad societa industrie technik bau
    handel werk werke metall stahl kunststoff logistik beratung systeme dienstleistung
    """)
# Free-mail domains say nothing about the business ("web" of web.de is a common word).
_FREE_MAIL = _words(
    "gmail googlemail outlook hotmail live msn yahoo ymail icloud me mac aol gmx web t-online "
    "proton protonmail pm mail btinternet sky orange free wanadoo libero yandex zoho"
)
# Second-level labels of country domains: "acme.co.uk" names "acme", not "co".
_DOMAIN_LABELS = _words("co com org net ac gov ltd plc or ne go")
_NOT_DISTINCTIVE = LEGAL_FORMS | _ARTICLES | _CONNECTORS | _HONORIFICS | _MAILBOX_WORDS
# Letters NFKD does not decompose, folded by hand.
_EXTRA_BASES = {"ø": "o", "ł": "l", "đ": "d", "ı": "i", "ħ": "h"}
_UMLAUTS = frozenset("äöü")
# At most three characters of punctuation or space (never a line break) join two words.
_GAP = r"(?:[^\w\n]|_)"
_SEP = rf"{_GAP}{{0,3}}(?:\b(?:and|und|et|y|n)\b{_GAP}{{1,3}})?"
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without accents: the form in which names and stop words are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(_EXTRA_BASES.get(ch, ch) for ch in plain)


@cache
def _letters_by_base() -> dict[str, str]:
    """Every Latin letter (with or without accents) grouped by its plain lower-case base."""
    groups: dict[str, set[str]] = {}
    for code in range(0x41, 0x250):
        char = chr(code)
        base = fold(char)
        if char.isalpha() and len(base) == 1:
            groups.setdefault(base, set()).add(char)
    return {base: "".join(sorted(chars)) for base, chars in groups.items()}


@cache
def _reference_words() -> frozenset[str]:
    """Words of the IAF sector and standard names: the brief shows those anyway."""
    names = [*reference.iaf_sectors().values(), *reference.STANDARDS.values()]
    return frozenset(fold(word) for name in names for word in _WORD.findall(name))


def _is_common(word: str, known: frozenset[str]) -> bool:
    folded = fold(word)
    forms = {folded, folded.removesuffix("s"), folded.removesuffix("es")}
    return bool(forms & (_NOT_DISTINCTIVE | _COMMON_WORDS | _reference_words() | known))


def _letter(char: str, *, capital: bool = False) -> str:
    """A pattern for one character that also matches its accented and plain forms."""
    base = fold(char)
    if char in "ßẞ":
        return "(?:ß|ss)"
    variants = _letters_by_base().get(base) if len(base) == 1 else None
    if not variants:
        return re.escape(char)
    if capital:
        upper = "".join(ch for ch in variants if ch.isupper())
        return f"(?-i:[{upper}])" if upper else f"[{variants}]"
    return f"[{variants}]"


def _word_pattern(word: str, *, capital: bool = False) -> str:
    """A word, accent-insensitive; German umlauts also match their "ae/oe/ue" spelling."""
    parts, index = [], 0
    while index < len(word):
        letter = _letter(word[index], capital=capital and index == 0)
        if word[index].casefold() in _UMLAUTS:
            letter += "e?"
        elif word[index : index + 2].casefold() == "ss":
            letter = "(?:ss|ß)"
            index += 1
        elif word[index : index + 2].casefold() in ("ae", "oe", "ue"):
            letter += "e?"  # "Mueller" is also written "Müller" (a "ü" matches a plain "u")
            index += 1
        parts.append(letter)
        index += 1
    return "".join(parts)


def _legal_form_pattern() -> str:
    """Any legal form, abbreviations also written with dots ("S.A.", "B. V.")."""
    forms = []
    for form in sorted(LEGAL_FORMS, key=len, reverse=True):
        joiner = r"(?:\.\s?)?" if len(form) <= 4 else ""
        forms.append(joiner.join(re.escape(ch) for ch in form))
    return rf"\b(?:{'|'.join(forms)})\b"


def _core_words(name: str) -> list[str]:
    """The words of a name without leading articles/honorifics and trailing legal forms."""
    bare = re.sub(rf"(?:{_SEP}{_legal_form_pattern()})+{_GAP}*$", "", name, flags=re.IGNORECASE)
    words = _WORD.findall(bare)
    while words and fold(words[0]) in _ARTICLES | _HONORIFICS:
        words.pop(0)
    return words


def _phrase(words: list[str], *, capital: bool = False) -> str:
    """The words in order; connectors such as "and"/"of" inside the name may be left out."""
    pattern = ""
    for position, word in enumerate(words):
        part = _word_pattern(word, capital=capital and fold(word) not in _CONNECTORS)
        if position == 0:
            pattern = part
        elif fold(word) in _CONNECTORS:
            pattern += f"(?:{_SEP}{part})?"
        else:
            pattern += f"{_SEP}{part}"
    return pattern


def mailbox_names(email: str | None) -> list[str]:
    """The names hidden in an e-mail address: the mailbox, and the domain unless free mail."""
    local, _, domain = (email or "").strip().partition("@")
    labels = domain.casefold().split(".")[:-1]  # without the top-level domain
    while labels and labels[-1] in _DOMAIN_LABELS:
        labels.pop()
    owner = labels[-1] if labels else ""
    return [n for n in (local, "" if owner in _FREE_MAIL else owner) if n]


def _is_distinctive(word: str, known: frozenset[str]) -> bool:
    if not any(ch.isalpha() for ch in word) or _is_common(word, known):
        return False
    return len(word) >= 3 or (len(word) >= 2 and word.isupper())


def _single(word: str) -> str:
    """One distinctive word; a two-letter acronym only in capitals ("ge" is not "GE")."""
    return f"(?-i:{re.escape(word)})" if len(word) < 3 else _word_pattern(word)


def name_alternatives(names: Iterable[str | None], *, known_words: Iterable[str] = ()) -> list[str]:
    """Regex alternatives for the names, whole phrases first and longest first."""
    known = frozenset(fold(w) for text in known_words if text for w in _WORD.findall(text))
    legal_tail = rf"(?:{_SEP}{_legal_form_pattern()})"
    phrases: list[tuple[int, str]] = []
    singles: dict[str, str] = {}
    for name in names:
        words = _core_words(name or "")
        distinctive = [w for w in words if _is_distinctive(w, known)]
        if len(words) > 1 and distinctive:
            phrases.append((len(words), _phrase(words) + legal_tail + "*"))
        elif words and not distinctive:
            # Only common words: "steel brackets" is a product unless written as a name.
            phrases.append((len(words), _phrase(words) + legal_tail + "+"))
            phrases.append((len(words), _phrase(words, capital=True)))
        for word in distinctive:
            singles[fold(word)] = _single(word) + legal_tail + "*"
    ordered = [p for _, p in sorted(phrases, key=lambda item: item[0], reverse=True)]
    ordered += sorted(singles.values(), key=len, reverse=True)
    return [rf"(?<![^\W_])(?:{p})(?![^\W_])" for p in ordered]


# Legal forms as their letters run together, so "S.A.", "Sp. z o.o.", "A/S" and "S.à r.l."
# are recognised once punctuation is gone; a few more than the redaction needs.
_LEGAL_FORMS_RUN_TOGETHER = LEGAL_FORMS | _words(
    "spzoo sadecv ltda lda se ek gbr gesmbh sagl spol ou pvt sdn bhd"
)
# "S.p.A." is three words of a letter each; a legal form spans at most five ("S.A. de C.V.").
_LONGEST_FORM_WORDS = 5
_AND_WORDS = _words("and und et y e")
_APOSTROPHES = re.compile(r"['’`]")


def same_organisation_key(name: str | None) -> str:
    """Fold an organisation's name to the key two spellings of it share ("" for no name).

    Case, accents, punctuation, spacing, a leading "The", "&" for "and" and trailing legal
    forms (Ltd, GmbH, S.A., Sp. z o.o., A/S, ...) make no difference; every other letter does,
    so "Acme Consulting Ltd." and "ACME consulting" share a key and "Acme Consultancy" does not.
    """
    text = _APOSTROPHES.sub("", fold(name or "")).replace("&", " and ")
    words = _WORD.findall(text)
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    while len(words) > 1 and (size := _trailing_legal_form(words)):
        del words[-size:]
        # "GmbH & Co. KG": an "and" between two legal forms goes with them.
        if words[-1] in _AND_WORDS and _trailing_legal_form(words[:-1]):
            words.pop()
    return "".join(words)


def _trailing_legal_form(words: list[str]) -> int:
    """How many of the last words spell a legal form (0 for none); the first word stays."""
    for size in range(1, min(_LONGEST_FORM_WORDS, len(words) - 1) + 1):
        tail = words[-size:]
        # Several words only as initials: "s a" is S.A., "consulting as" is not "consultingas".
        if (size == 1 or all(len(word) <= 2 for word in tail)) and (
            "".join(tail) in _LEGAL_FORMS_RUN_TOGETHER
        ):
            return size
    return 0
