"""Templates obey the Content-Security-Policy: no inline styles or scripts."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"""\sstyle\s*=|<script(?![^>]*\bsrc=)|\son[a-z]+\s*=\s*["']""", re.I)


def test_no_template_uses_inline_styles_or_scripts_that_the_csp_blocks():
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in TEMPLATES.rglob("*.html")
        if path.parts[-2] != "email"  # mail clients never see our CSP
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if INLINE.search(line)
    ]
    assert offenders == []
