"""The cells of the claims CSV file: each value as it appears in a cell, written and read back.

Dates, kind, status, rating, stance, tags and the evidence cell (one link a line, parts split by
" | "). ``claims.csv.format`` re-exports every public name here; the file as a whole is read there.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from claims.models import Claim, Evidence

KIND_CLAIM = "claim"
KIND_NOT_CLAIM = "not_claim"
KINDS = {KIND_CLAIM: True, "主張": True, KIND_NOT_CLAIM: False, "主張ではない": False}
TAG_SEPARATORS = re.compile(r"[,、，]")
EVIDENCE_KEYS = {"accessed": "accessed", "archived": "archive_url", "excerpt": "excerpt"}
_KEY_VALUE = re.compile(r"^\s*(accessed|archived|excerpt)\s*=", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_CELL_ESCAPES = {"\\": "\\", "|": "|", "n": "\n", "r": "\r"}
_CELL_UNESCAPE = re.compile(r"\\([\\|nr])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def format_date(value):
    return value.isoformat() if value else ""


_JAPANESE_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(?:(\d{1,2})日)?$")
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")


def parse_date(cell):
    """A date as editors write it: YYYY-MM-DD, YYYY/M/D (a spreadsheet's reformatting), 2023年10月1日,
    or a month alone (2023-10, 2023/10, 2023年10月), read as its first day. Full-width digits count."""
    text = unicodedata.normalize("NFKC", cell).strip()
    match = _DATE.match(text) or _JAPANESE_DATE.match(text) or _MONTH.match(text)
    if match:
        year, month, day = (int(part) if part else 1 for part in (*match.groups(), None)[:3])
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    raise ValueError(
        _("“%(value)s” is not a date: write it as YYYY-MM-DD, YYYY-MM, 2023年10月1日 or 2023年10月.") % {"value": cell}
    )


def format_kind(is_claim):
    return KIND_CLAIM if is_claim else KIND_NOT_CLAIM


def parse_kind(cell):
    try:
        return KINDS[cell.strip().lower()]
    except KeyError:
        raise ValueError(
            _("Unknown kind “%(value)s”: write claim or not_claim (主張 or 主張ではない).") % {"value": cell}
        ) from None


@cache
def _choice_names(choices_class, language):
    names = {}
    with translation.override(language):
        for value, label in choices_class.choices:
            names[value] = value
            names[str(label).strip().lower()] = value
    return names


def _choice_lookup(choices_class):
    names = {}
    for language, _name in settings.LANGUAGES:
        names.update(_choice_names(choices_class, language))
    return names


def parse_status(cell):
    value = _choice_lookup(Claim.Status).get(cell.strip().lower())
    if value is None:
        raise ValueError(
            _("Unknown status “%(value)s”: write one of %(values)s, or its label (%(labels)s).")
            % {
                "value": cell,
                "values": ", ".join(Claim.Status.values),
                "labels": ", ".join(_choice_labels(Claim.Status, "ja")),
            }
        )
    return value


def _rating_key(value):
    return unicodedata.normalize("NFKC", value).strip().casefold()


def parse_rating(cell, ratings, *, current=None):
    """The rating a cell names: its code, Japanese label or English label (NFKC-normalised,
    any case) among ``ratings`` (the active scale's), or ``current`` (the claim's own rating, of
    a scale no longer active) when it names that; a blank cell is no rating."""
    key = _rating_key(cell)
    if not key:
        return None
    for rating in [*ratings, *([current] if current is not None else [])]:
        if key in {_rating_key(name) for name in rating.labels}:
            return rating
    raise ValueError(
        _("Unknown rating “%(value)s”: write one of %(codes)s, or its label (%(labels)s), or leave it blank.")
        % {
            "value": cell,
            "codes": ", ".join(r.code for r in ratings) or "—",
            "labels": ", ".join(r.label_ja for r in ratings) or "—",
        }
    )


def parse_stance(cell):
    value = _choice_lookup(Evidence.Stance).get(cell.strip().lower())
    if value is None:
        raise ValueError(
            _("Unknown stance “%(value)s”: write one of %(values)s.")
            % {"value": cell, "values": ", ".join(Evidence.Stance.values)}
        )
    return value


def _choice_labels(choices_class, language):
    with translation.override(language):
        return [str(label) for label in choices_class.labels]


def format_tags(names):
    return ",".join(names)


def parse_tags(cell):
    """Tag names, in order, without repeats; commas may be ASCII or Japanese (、 ，)."""
    names = []
    for part in TAG_SEPARATORS.split(cell):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names


def _escape_part(value):
    # A backslash is doubled only where it would otherwise start an escape, so C:\path stays.
    value = re.sub(r"\\(?=[\\|nr\n\r])", r"\\\\", value)
    return value.replace("|", "\\|").replace("\n", "\\n").replace("\r", "\\r")


def _unescape_part(value):
    return _CELL_UNESCAPE.sub(lambda match: _CELL_ESCAPES[match.group(1)], value)


def _split_parts(line):
    """Split a line on ``|`` that is not escaped as ``\\|``; parts keep their escapes."""
    parts, start, i = [], 0, 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "|":
            parts.append(line[start:i])
            start = i + 1
        i += 1
    parts.append(line[start:])
    return parts


def format_evidence_line(link):
    """One evidence link as ``stance | url | title | publisher | published`` and key=value parts.

    ``link`` is a mapping with the Evidence field names.
    """
    parts = [
        link["stance"],
        link["url"],
        link["title"],
        link.get("publisher") or "",
        link.get("published") or "",
    ]
    accessed = link.get("accessed")
    if accessed:
        parts.append("accessed=" + format_date(accessed))
    if link.get("archive_url"):
        parts.append("archived=" + link["archive_url"])
    if link.get("excerpt"):
        parts.append("excerpt=" + link["excerpt"])
    return " | ".join(_escape_part(part) for part in parts)


def format_evidence(links):
    return "\n".join(format_evidence_line(link) for link in links)


@dataclass
class CellError:
    """A problem inside a cell; ``line`` is the line of a multi-line cell (1-based), if any."""

    message: str
    line: int | None = None

    def __str__(self):
        if self.line is None:
            return self.message
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


def parse_evidence(cell):
    """The links of an evidence cell as dicts of Evidence field values (unvalidated), and errors.

    Blank lines are skipped. Each line: stance | url | title [| publisher [| published]] and then
    ``accessed=``, ``archived=`` or ``excerpt=`` parts in any order.
    """
    links, errors = [], []
    for number, line in enumerate(_LINE_BREAK.split(cell), start=1):
        if not line.strip():
            continue
        parts = _split_parts(line)
        positional, keyed, bad = [], {}, False
        for raw in parts:
            match = _KEY_VALUE.match(raw) if len(positional) >= 3 else None
            if match:
                key = EVIDENCE_KEYS[match.group(1).lower()]
                if key in keyed:
                    errors.append(CellError(_("“%(key)s=” is given twice.") % {"key": match.group(1)}, number))
                    bad = True
                keyed[key] = _unescape_part(raw[match.end() :]).strip()
            elif keyed:
                errors.append(CellError(_("Write publisher and published before the key=value parts."), number))
                bad = True
            else:
                positional.append(_unescape_part(raw).strip())
        if len(positional) < 3:
            errors.append(
                CellError(
                    _("Write at least “stance | URL | title”; this line has %(count)d part(s).")
                    % {"count": len(positional)},
                    number,
                )
            )
            continue
        if len(positional) > 5:
            errors.append(
                CellError(
                    _(
                        "Too many parts: after stance, URL, title, publisher and published only "
                        "accessed=, archived= and excerpt= may follow. Write a literal | as \\|."
                    ),
                    number,
                )
            )
            continue
        if bad:
            continue
        positional += [""] * (5 - len(positional))
        stance, url, title, publisher, published = positional
        links.append(
            {
                "line": number,
                "stance": stance,
                "url": url,
                "title": title,
                "publisher": publisher,
                "published": published,
                "accessed": keyed.get("accessed", ""),
                "archive_url": keyed.get("archive_url", ""),
                "excerpt": keyed.get("excerpt", ""),
            }
        )
    return links, errors
