"""Characters with no place in a line of text: line breaks, control and bidi-override characters.

One list for the forms that refuse them and the mail headers that must never carry them.
"""

import re

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_CONTROLS = "\x00-\x1f\x7f-\x9f"
# Text areas keep their line breaks and tabs: \t, \n and \r.
_CONTROLS_BUT_LINE_BREAKS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_LINE_SEPARATORS = "\u2028\u2029"
# Embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069) make text display in
# another order than it is stored ("Trojan Source"): a name could pose as another.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"

_LINE_BREAK_OR_CONTROL = re.compile(f"[{_CONTROLS}{_LINE_SEPARATORS}]")
_CONTROL_IN_TEXT = re.compile(f"[{_CONTROLS_BUT_LINE_BREAKS}]")
_BIDI_CONTROL = re.compile(f"[{_BIDI_CONTROLS}]")
_UNSAFE = f"{_CONTROLS}{_LINE_SEPARATORS}{_BIDI_CONTROLS}"
_UNSAFE_RUN = re.compile(f"[\\s{_UNSAFE}]*[{_UNSAFE}][\\s{_UNSAFE}]*")


def has_line_break_or_control(value: str) -> bool:
    """Whether a single-line value holds a line break, a tab or another control character."""
    return _LINE_BREAK_OR_CONTROL.search(value) is not None


def has_control_besides_line_breaks(value: str) -> bool:
    """Whether a multi-line value holds a control character other than \\t, \\n and \\r."""
    return _CONTROL_IN_TEXT.search(value) is not None


def has_bidi_control(value: str) -> bool:
    """Whether a value holds a bidi embedding, override or isolate character."""
    return _BIDI_CONTROL.search(value) is not None


def single_line(value: str) -> str:
    """Turn each run of line breaks, controls and bidi overrides into one space."""
    return _UNSAFE_RUN.sub(" ", value).strip()
