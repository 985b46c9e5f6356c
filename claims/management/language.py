"""The language a command speaks: the terminal's (LC_ALL, LC_MESSAGES or LANG), as other
command-line tools do; Japanese for a Japanese locale, English otherwise. Without this a command
ran in the site's default language for the messages that were translated and in English for the
rest, mixing both on one screen."""

import functools
import os

from django.utils import translation


def terminal_language():
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def in_terminal_language(handle):
    """Decorates a command's ``handle``: everything it prints is in the terminal's language."""

    @functools.wraps(handle)
    def handle_in_language(*args, **kwargs):
        with translation.override(terminal_language()):
            return handle(*args, **kwargs)

    return handle_in_language
