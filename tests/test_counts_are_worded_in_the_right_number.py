"""Every count shown to a person has its noun in the right number: never '1 minutes'."""

import re
from pathlib import Path

from matcher.leads.lifecycle import time_left
from matcher.models import utcnow
from matcher.providers.track_record import duration_text
from matcher.wording import plural

ROOT = Path(__file__).resolve().parent.parent
HAND_WRITTEN = re.compile(r"""[a-z]\(s\)(?! for)|\(es\)|["']e?s\b[^"']*["'] if""")


def test_a_count_of_one_takes_the_singular_and_any_other_the_plural():
    assert plural(1, "minute") == "1 minute"
    assert plural(0, "minute") == "0 minutes"
    assert plural(2, "profile change") == "2 profile changes"
    assert plural(3, "business") == "3 businesses"
    assert plural(2, "affiliation", number=False) == "affiliations"
    assert plural(2, "person", "people") == "2 people"


def test_durations_say_one_minute_and_one_hour():
    assert duration_text(0.01) == "1 minute"
    assert duration_text(0.5) == "30 minutes"
    assert duration_text(1) == "1 hour"
    assert duration_text(49) == "2 days 1 hour"
    from datetime import timedelta

    now = utcnow()
    assert time_left(now + timedelta(minutes=1), now) == "1 minute"
    assert time_left(now + timedelta(hours=25), now) == "1 day 1 hour"


def test_the_plural_filter_words_counts_in_pages_and_mails(app):
    with app.app_context():
        template = app.jinja_env.from_string('{{ 1|plural("minute") }}, {{ 4|plural("request") }}')
        assert template.render() == "1 minute, 4 requests"


def test_no_template_or_message_writes_a_plural_by_hand():
    sources = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/email/*.txt")]
    sources += [*ROOT.glob("matcher/**/*.py"), *ROOT.glob("workers/*.py")]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if HAND_WRITTEN.search(line)
    ]
    assert offenders == []
