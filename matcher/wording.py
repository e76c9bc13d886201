"""Words for what a person reads: counts with their noun in the right number."""

from flask import Flask

# Nouns whose plural is not the singular plus "s".
IRREGULAR = {"business": "businesses", "day": "days", "person": "people", "category": "categories"}


def plural(count: int, noun: str, plural_form: str | None = None, *, number: bool = True) -> str:
    """Say `count` `noun`s: '1 minute', '2 minutes'; number=False gives the noun alone."""
    if count == 1:
        word = noun
    else:
        head, _, last = noun.rpartition(" ")
        word = plural_form or f"{head} {_plural_word(last)}".strip()
    return f"{count} {word}" if number else word


def _plural_word(word: str) -> str:
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def init_app(app: Flask) -> None:
    """Register the wording filters, for pages and mails alike."""
    app.add_template_filter(plural, "plural")
