"""Validators for text that readers or editors see.

Markup is never refused: ``<script>`` in a statement is text, and every page escapes it. What is
refused is what cannot be seen and changes what is seen: control characters (other than tab and
line breaks) and the Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069),
which can make a sentence read backwards or hide part of it (“Trojan Source”, CVE-2021-42574).
The left-to-right and right-to-left marks (U+200E, U+200F) stay allowed: they only hint direction.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls but tab, line feed and carriage return (text areas send CR LF); DEL; C1 controls.
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
HIDDEN_CHARS = re.compile(f"[{CONTROL_CHARS}{BIDI_CONTROLS}]")


@deconstructible
class VisibleTextValidator:
    """Refuses control characters and bidirectional overrides, naming the first one found."""

    message = _(
        "This text contains an invisible control character (%(char)s at position %(position)d). "
        "Remove it: paste the text as plain text, or retype that part."
    )
    code = "hidden_characters"

    def __call__(self, value):
        match = HIDDEN_CHARS.search(str(value or ""))
        if match:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"char": f"U+{ord(match.group()):04X}", "position": match.start() + 1},
            )

    def __eq__(self, other):
        return isinstance(other, VisibleTextValidator)


validate_visible_text = VisibleTextValidator()


def has_hidden_chars(value):
    return bool(HIDDEN_CHARS.search(str(value or "")))
