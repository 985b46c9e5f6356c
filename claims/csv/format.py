"""The claims CSV file: reading and writing its bytes, rows and cells. No database access here.

One row per claim; the columns are in ``COLUMNS``. docs/csv.md describes the format for editors.
Import and export both go through this module, so that what one writes the other reads back.
Each cell's value (dates, kind, status, rating, tags, evidence) is written and read in ``cells.py``;
its public names are re-exported here.
"""

import codecs
import csv
import difflib
import io
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from claims.models import Claim, Evidence

from .cells import (  # noqa: F401 - the cells are part of this module's API
    EVIDENCE_KEYS,
    KIND_CLAIM,
    KIND_NOT_CLAIM,
    KINDS,
    TAG_SEPARATORS,
    CellError,
    format_date,
    format_evidence,
    format_evidence_line,
    format_kind,
    format_tags,
    parse_date,
    parse_evidence,
    parse_kind,
    parse_rating,
    parse_stance,
    parse_status,
    parse_tags,
)

COLUMNS = [
    "id",
    "article",
    "statement",
    "kind",
    "status",
    "rating",
    "verdict_note",
    "internal_note",
    "as_of",
    "recheck_after",
    "last_checked",
    "tags",
    "evidence",
]
REQUIRED_COLUMNS = ["article", "statement"]
# The same columns with Japanese names, for editors who export with Japanese headers; the import
# reads either.
JAPANESE_COLUMNS = {
    "id": "ID",
    "article": "記事",
    "statement": "文",
    "kind": "種類",
    "status": "ステータス",
    "rating": "レーティング",
    "verdict_note": "判定メモ",
    "internal_note": "内部メモ",
    "as_of": "時点",
    "recheck_after": "再確認日",
    "last_checked": "最終確認日",
    "tags": "タグ",
    "evidence": "証拠",
}
COLUMN_ALIASES = {japanese.lower(): column for column, japanese in JAPANESE_COLUMNS.items()}
EVIDENCE_COLUMNS = [
    "id",
    "claim_id",
    "article",
    "statement",
    "stance",
    "url",
    "title",
    "publisher",
    "published",
    "accessed",
    "archived",
    "excerpt",
    "link_status",
    "link_status_code",
    "link_checked_at",
    "link_error",
]


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# ... also after blanks and invisible characters, which a spreadsheet may skip (" =", an
# ideographic space, a line break, a byte order mark or a zero-width space before "="), and in
# their full-width and small forms, which a Japanese input method turns into the ASCII ones.
WIDE_FORMULA_TRIGGERS = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫")
_SKIPPED_BEFORE_FORMULA = re.compile(r"[\s\u00ad\u034f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
BOM = "\ufeff"


class FileRefused(ValidationError):
    """The whole file is refused before any row is read: wrong size, encoding, kind or header."""


# ---------------------------------------------------------------------------------------------
# Spreadsheet formula escaping


def escape_formula(value):
    """Keep a spreadsheet from running a cell as a formula: a leading ``'`` before a trigger.

    A value that already starts with quotes before a trigger gets one more, so that
    :func:`unescape_formula` gives back exactly the value.
    """
    if value and _looks_like_formula(value):
        return "'" + value
    return value


def unescape_formula(cell):
    if cell.startswith("'") and _looks_like_formula(cell):
        return cell[1:]
    return cell


def _looks_like_formula(value):
    """Whether a spreadsheet could run ``value`` (its leading quotes aside) as a formula.

    The same test for escaping and unescaping, and blind to leading quotes, so that
    ``unescape_formula(escape_formula(value)) == value`` for every value.
    """
    text = value.lstrip("'")
    if text[:1] in FORMULA_TRIGGERS:
        return True
    return text[_SKIPPED_BEFORE_FORMULA.match(text).end() :][:1] in WIDE_FORMULA_TRIGGERS


# ---------------------------------------------------------------------------------------------
# Shift_JIS (CP932) files saved by a spreadsheet

# Characters a CP932 round trip swaps for a look-alike: the stored form, keyed by what comes back.
CP932_TWINS = str.maketrans(
    {
        "\uff5e": "\u301c",  # ～ FULLWIDTH TILDE → 〜 WAVE DASH
        "\uff0d": "\u2212",  # － FULLWIDTH HYPHEN-MINUS → − MINUS SIGN
        "\u2225": "\u2016",  # ∥ PARALLEL TO → ‖ DOUBLE VERTICAL LINE
        "\uffe0": "\u00a2",  # ￠ → ¢
        "\uffe1": "\u00a3",  # ￡ → £
        "\uffe2": "\u00ac",  # ￢ → ¬
        "\u2015": "\u2014",  # ― HORIZONTAL BAR → — EM DASH
    }
)


def fold_cp932_twins(value):
    """``value`` with each CP932 look-alike replaced by one form, so that twins compare equal."""
    return value.translate(CP932_TWINS)


def _cp932_can_hold(character):
    try:
        fold_cp932_twins(character).encode("cp932")
    except UnicodeEncodeError:
        try:
            character.encode("cp932")
        except UnicodeEncodeError:
            return False
    return True


def lost_characters(stored, new):
    """The characters of ``stored`` that Shift_JIS cannot hold and that ``new`` has as “?”."""
    stored, new = fold_cp932_twins(stored), fold_cp932_twins(new)
    lost = []
    matcher = difflib.SequenceMatcher(None, stored, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace" and set(new[j1:j2]) == {"?"}:
            lost += [ch for ch in stored[i1:i2] if not _cp932_can_hold(ch) and ch not in lost]
    return lost


# ---------------------------------------------------------------------------------------------
# Files


@dataclass
class Table:
    """A read CSV file: its column names and its rows as (row number, {column: cell}).

    Row numbers are what a spreadsheet shows: the header is row 1, the first claim row 2.
    ``extra`` maps a row number to the cells it has beyond the header.
    """

    columns: list
    rows: list
    extra: dict
    encoding: str


def encoding_of(data):
    """The encoding of an uploaded file's bytes, or FileRefused: too big, empty, binary or not
    UTF-8/Shift_JIS. The bytes are decoded a chunk at a time and the text is not kept: a big file
    is never held as text as well as bytes."""
    limit = settings.CLAIMS_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise FileRefused(
            _("The file is %(size)s; files up to %(limit)s can be imported. Split it into smaller files.")
            % {"size": _megabytes(len(data)), "limit": _megabytes(limit)},
            code="too_big",
        )
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRefused(
            _("This is a spreadsheet workbook, not a CSV file. Save it as “CSV UTF-8 (comma delimited)”."),
            code="workbook",
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            _("This file is in UTF-16. Save it as “CSV UTF-8 (comma delimited)”."),
            code="utf16",
        )
    if b"\x00" in data:
        raise FileRefused(_("This is not a text file (it contains NUL bytes). Upload a CSV file."), code="binary")
    for encoding in ("utf-8-sig", "cp932"):
        read = _read_as(data, encoding)
        if read is not None:
            break
    else:
        raise FileRefused(
            _("This file is neither UTF-8 nor Shift_JIS (CP932) text. Save it as “CSV UTF-8 (comma delimited)”."),
            code="encoding",
        )
    sample, blank = read
    # A stray control character is a row error (the model validators name it); many mean binary data.
    if len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise FileRefused(
            _("This is not a text file (it is full of control characters). Upload a CSV file."), code="binary"
        )
    if blank:
        raise FileRefused(_("The file is empty."), code="empty")
    return encoding


DECODE_CHUNK = 1 << 20
SAMPLE_CHARS = 65536


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def _read_as(data, encoding):
    """(the first SAMPLE_CHARS characters, whether it is all blank) of ``data`` read as
    ``encoding``, or None when it is not text in that encoding."""
    decoder = codecs.getincrementaldecoder(encoding)()
    sample, blank = "", True
    try:
        for start in range(0, len(data), DECODE_CHUNK):
            text = decoder.decode(data[start : start + DECODE_CHUNK])
            if len(sample) < SAMPLE_CHARS:
                sample += text[: SAMPLE_CHARS - len(sample)]
            blank = blank and not text.strip()
        text = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    return sample + text[: max(SAMPLE_CHARS - len(sample), 0)], blank and not text.strip()


def read_table(data):
    """Read the bytes of a claims CSV file into a Table, or raise FileRefused.

    The file is read through once here (every CSV error and the header refused now); its rows are
    then read again from the bytes at each pass over ``Table.rows``, so a big file's cells are
    never all in memory at once (issue 28: an import of 100,000 rows in flat memory).
    """
    encoding = encoding_of(data)
    records = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))
    columns = _read_header(records)
    extra = {}
    count = sum(1 for _row in _table_rows(records, columns, extra))
    if not count:
        raise FileRefused(_("The file has a header but no rows of claims."), code="no_rows")
    return Table(columns=columns, rows=StreamedRows(data, encoding, columns, count), extra=extra, encoding=encoding)


class StreamedRows:
    """The rows of a read file, (row number, {column: cell}), parsed again from its bytes at each pass."""

    def __init__(self, data, encoding, columns, count):
        self.data = data
        self.encoding = encoding
        self.columns = columns
        self.count = count

    def __len__(self):
        return self.count

    def __iter__(self):
        records = csv.reader(io.TextIOWrapper(io.BytesIO(self.data), encoding=self.encoding, newline=""))
        next(records)
        return _table_rows(records, self.columns, {})


def _read_header(records):
    try:
        header = next(records, None)
    except csv.Error as error:
        raise FileRefused(_("The header row is not valid CSV: %(error)s") % {"error": error}, code="csv") from error
    if header is None:
        raise FileRefused(_("The file is empty."), code="empty")
    return _check_header([str(cell if cell is not None else "") for cell in header])


def _table_rows(records, columns, extra):
    """(row number, {column: cell}) of each non-blank record; surplus cells go to ``extra``."""
    width = len(columns)
    number = 1
    try:
        for record in records:
            number += 1
            cells = ["" if cell is None else str(cell) for cell in record]
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width:
                surplus = [cell for cell in cells[width:] if cell.strip()]
                if surplus:
                    extra[number] = surplus
                cells = cells[:width]
            # A short row (a spreadsheet drops trailing blank cells) leaves the missing columns blank.
            yield number, dict(zip(columns, (unescape_formula(cell.strip()) for cell in cells), strict=False))
    except csv.Error as error:
        raise FileRefused(
            _("Row %(row)d is not valid CSV: %(error)s") % {"row": number + 1, "error": error}, code="csv"
        ) from error


def table_from_rows(records, *, encoding=""):
    """A Table from an iterable of lists of cells, the first being the header."""
    records = iter(records)
    columns = _read_header(records)
    extra = {}
    rows = list(_table_rows(records, columns, extra))
    if not rows:
        raise FileRefused(_("The file has a header but no rows of claims."), code="no_rows")
    return Table(columns=columns, rows=rows, extra=extra, encoding=encoding)


def _check_header(header):
    names = [COLUMN_ALIASES.get(cell.strip().lower(), cell.strip().lower()) for cell in header]
    while names and not names[-1]:
        names.pop()
    known = [name for name in names if name in COLUMNS]
    expected = ",".join(COLUMNS)
    if not known:
        raise FileRefused(
            _("The first row must be the header, the column names: %(columns)s") % {"columns": expected},
            code="no_header",
        )
    unknown = [name or _("(blank)") for name in names if name not in COLUMNS]
    if unknown:
        raise FileRefused(
            _("Unknown column(s) in the header: %(unknown)s. The columns are: %(columns)s")
            % {"unknown": ", ".join(unknown), "columns": expected},
            code="unknown_header",
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileRefused(
            _("The header names a column twice: %(columns)s") % {"columns": ", ".join(repeated)},
            code="repeated_header",
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise FileRefused(
            _("The header lacks the required column(s): %(columns)s") % {"columns": ", ".join(missing)},
            code="missing_header",
        )
    return names


class CSVWriter:
    """Writes rows of cells as CSV text to ``out`` (a text stream), formula-escaped.

    UTF-8 with a byte order mark, so that Excel (also Japanese Excel) reads it as UTF-8; CRLF
    between rows, as spreadsheets write; LF inside cells.
    """

    def __init__(self, out, *, bom=True):
        self.out = out
        self.writer = csv.writer(out, lineterminator="\r\n")
        if bom:
            out.write(BOM)

    def writerow(self, cells):
        return self.writer.writerow([escape_formula(cell) for cell in cells])


class Echo:
    """A write-only file whose write() returns what was written: for streaming responses."""

    def write(self, value):
        return value


# ---------------------------------------------------------------------------------------------
# Rows


def japanese_cells(cells):
    """A row's cells as the Japanese export writes them: labels for kind, status and stances.

    The import reads the labels back (parse_kind, parse_status and parse_stance take them).
    """
    with translation.override("ja"):
        status = str(Claim.Status(cells["status"]).label)
        stances = {value: str(label) for value, label in Evidence.Stance.choices}
    lines = []
    for line in cells["evidence"].split("\n") if cells["evidence"] else []:
        stance, sep, rest = line.partition(" | ")
        lines.append(f"{stances.get(stance, stance)}{sep}{rest}")
    return {
        **cells,
        "kind": "主張" if cells["kind"] == KIND_CLAIM else "主張ではない",
        "status": status,
        "evidence": "\n".join(lines),
    }


def claim_cells(claim, *, slug, tag_names, links, rating=""):
    """The cells of a claim's row, by column; ``links`` are dicts of EVIDENCE_FIELDS, in order;
    ``rating`` is the code of the claim's rating (blank when it has none)."""
    return {
        "id": str(claim.pk) if claim.pk else "",
        "article": slug,
        "statement": claim.statement,
        "kind": format_kind(claim.is_claim),
        "status": claim.status,
        "rating": rating,
        "verdict_note": claim.verdict_note,
        "internal_note": claim.internal_note,
        "as_of": format_date(claim.as_of),
        "recheck_after": format_date(claim.recheck_after),
        "last_checked": format_date(claim.last_checked),
        "tags": format_tags(tag_names),
        "evidence": format_evidence(links),
    }
