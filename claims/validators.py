"""Validators for text that readers or editors see.

Markup is never refused: ``<script>`` in a statement is text, and every page escapes it. What is
refused is what cannot be seen and changes what is seen: control characters (other than tab and
line breaks) and the Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069),
which can make a sentence read backwards or hide part of it (“Trojan Source”, CVE-2021-42574).
The left-to-right and right-to-left marks (U+200E, U+200F) stay allowed: they only hint direction.

Also refused: characters that show nothing at all, with which two texts that look the same differ
(a search misses, a tag is doubled, a link hides a word): the zero-width space and word joiner
(U+200B, U+2060–U+2064), the Arabic letter mark (U+061C), the soft hyphen (U+00AD), the Hangul
fillers (U+115F, U+1160, U+3164, U+FFA0), the byte order mark inside text (U+FEFF), and the
others of Unicode's default-ignorable kind that no language needs typed. Zero-width joiner and
non-joiner (U+200C, U+200D) stay allowed: emoji and several scripts need them. The line and
paragraph separators (U+2028, U+2029), noncharacters U+FFFE/U+FFFF and lone surrogates are
refused too: they are not text a form sends, and the feed's XML cannot carry some of them. So
are the tag characters (U+E0000–U+E007F), which spell hidden ASCII text after a visible one; the
ideographic variation selectors (U+E0100–U+E01EF, as in 葛󠄀) stay allowed: they choose a glyph of
a kanji and are real Japanese writing.

The message names the character (its code point and Unicode name) and its position.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 controls but tab, line feed and carriage return (text areas send CR LF); DEL; C1 controls.
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069\u061c"
INVISIBLE_CHARS = (
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u2028\u2029\u2060-\u2064\u206a-\u206f"
    "\u3164\ufeff\uffa0\ufff0-\ufffb\ufffe\uffff\ud800-\udfff\U0001d173-\U0001d17a\U000e0000-\U000e007f"
)
HIDDEN_CHARS = re.compile(f"[{CONTROL_CHARS}{BIDI_CONTROLS}{INVISIBLE_CHARS}]")


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
                params={"char": char_name(match.group()), "position": match.start() + 1},
            )

    def __eq__(self, other):
        return isinstance(other, VisibleTextValidator)


validate_visible_text = VisibleTextValidator()


def char_name(char):
    """ "U+202E RIGHT-TO-LEFT OVERRIDE": the code point and, when it has one, the Unicode name."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}" if name else f"U+{ord(char):04X}"


def visible_text(value):
    """``value`` with every character the validator refuses removed: for output of text stored
    before it was refused (the feed, the claim page), never instead of refusing on input."""
    return HIDDEN_CHARS.sub("", str(value or ""))


class VisibleTextField(forms.CharField):
    """A form's free text: refused with a named reason when it holds control, bidi or invisible characters."""

    default_validators = [validate_visible_text]


# The "archived copy" of an evidence link: a page of a web archive, or a snapshot of this site.
ARCHIVE_HOSTS = frozenset(
    {"web.archive.org", "archive.today", "archive.ph", "archive.is", "archive.md"}
    | {f"www.{host}" for host in ("archive.today", "archive.ph", "archive.is", "archive.md")}
)
OWN_SNAPSHOT_PATH = re.compile(r"/snapshots/\d+/")


def own_hosts():
    from django.conf import settings

    return {host.lstrip(".").lower() for host in settings.ALLOWED_HOSTS if host not in ("*", "")}


@deconstructible
class ArchiveURLValidator:
    """Refuses an "archived copy" that is not on an archive (web.archive.org, archive.today and its
    archive.ph/.is/.md names) nor one of this site's snapshots (``/snapshots/<id>/``): a mirror or
    a content farm is not a copy readers can trust."""

    message = _(
        "An archived copy must be a page of a web archive (web.archive.org, archive.today, archive.ph, "
        "archive.is, archive.md) or a snapshot of this site; “%(host)s” is not an archive. Leave the "
        "field empty: the site keeps its own snapshot of the source."
    )
    code = "not_an_archive"

    def __call__(self, value):
        from urllib.parse import urlsplit

        if not value:
            return
        try:
            parts = urlsplit(str(value))
            host = (parts.hostname or "").lower()
        except ValueError:
            host, parts = "", None
        if host in ARCHIVE_HOSTS:
            return
        if parts is not None and host in own_hosts() and OWN_SNAPSHOT_PATH.fullmatch(parts.path):
            return
        raise ValidationError(self.message, code=self.code, params={"host": host or str(value)[:60]})

    def __eq__(self, other):
        return isinstance(other, ArchiveURLValidator)


validate_archive_url = ArchiveURLValidator()
