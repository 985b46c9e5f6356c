"""Reading the CSV file's rows: each row's cells parsed and checked, as row errors or a parsed row.

:class:`_RowReader` is the parsing half of the importer (``importing._Importer`` is the run:
loading, matching, anchoring, checking through the workflow and writing). It never queries for
claims; it reads the file's cells with :mod:`claims.csv.format` and the models' own validators.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from taggit.models import Tag

from claims import text
from claims.csv import format as csvformat
from claims.models import Article, Claim, Evidence
from claims.validators import validate_visible_text

TEXT_COLUMNS = {"verdict_note": "verdict_note", "internal_note": "internal_note"}
DATE_COLUMNS = {"as_of": "as_of", "recheck_after": "recheck_after"}
UNSAFE_SCHEMES = {"javascript", "vbscript", "data", "file", "blob", "about", "chrome"}
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
# The largest claim id a file may name: within every database's integer range (PostgreSQL's
# integer, SQLite's), far below the end of the id sequence.
MAX_CLAIM_ID = 2**31 - 1
WEB_SCHEME = re.compile(r"(https?)://", re.IGNORECASE)
TITLE_OPTIONAL = Evidence._meta.get_field("title").blank


@dataclass
class RowError:
    """One problem: the row as a spreadsheet numbers it (header = row 1), the column and the reason."""

    row: int | None
    column: str | None
    message: str

    def __str__(self):
        if self.row is None:
            return self.message
        return _("row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass(eq=False)
class _Row:
    number: int
    cells: dict
    ok: bool = True
    pk: int | None = None
    article: Article | None = None
    statement: str = ""
    values: dict = field(default_factory=dict)
    tags: list | None = None
    links: list | None = None
    claim: Claim | None = None
    sentence: text.Sentence | None = None
    duplicate: bool = False


class _RowReader:
    """Parses rows into :class:`_Row` (values, tags, links) and row errors; the importer supplies
    ``columns``, ``articles``, ``ratings``, ``active_ratings``, ``field_checks`` and ``report``."""

    def _error(self, row, column, message):
        row.ok = False
        self._error_at(row.number, column, message)

    def _error_at(self, number, column, message):
        self.report.errors.append(RowError(number, column, str(message)))

    # -----------------------------------------------------------------------------------------
    # Reading one row

    def _field_problem(self, model, name, value):
        """Why a model field would refuse the value (its validators and length), or None."""
        key = (model, name)
        if key not in self.field_checks:
            self.field_checks[key] = model._meta.get_field(name)
        model_field = self.field_checks[key]
        if model_field.max_length and len(value) > model_field.max_length:
            return _("This is %(length)d characters long; at most %(limit)d are allowed.") % {
                "length": len(value),
                "limit": model_field.max_length,
            }
        try:
            model_field.run_validators(value)
        except ValidationError as error:
            return " ".join(error.messages)
        return None

    def _parse(self, number, cells):
        row = _Row(number=number, cells=cells)
        columns = self.columns
        self._parse_id(row)
        self._parse_article_and_statement(row)
        self._parse_choices(row)
        for column, name in TEXT_COLUMNS.items():
            if column in columns:
                value = cells.get(column, "")
                problem = self._field_problem(Claim, name, value)
                if problem:
                    self._error(row, column, problem)
                else:
                    row.values[name] = value
        for column, name in DATE_COLUMNS.items():
            if column in columns:
                self._parse_date(row, column, name, blank_is_none=True)
        if cells.get("last_checked"):
            self._parse_date(row, "last_checked", "last_checked", blank_is_none=False)
        if "tags" in columns:
            row.tags = self._parse_tags(row)
        if "evidence" in columns:
            row.links = self._parse_evidence(row, cells.get("evidence", ""))
        return row

    def _parse_ratings(self, rows):
        """The rating column, once each row has its stored claim (whose own rating it may keep)."""
        if "rating" not in self.columns:
            return
        for row in rows:
            current = self.ratings.get(row.claim.rating_id) if row.claim is not None else None
            try:
                row.values["rating"] = csvformat.parse_rating(
                    row.cells.get("rating", ""), self.active_ratings, current=current
                )
            except ValueError as error:
                self._error(row, "rating", str(error))

    def _parse_date(self, row, column, name, *, blank_is_none):
        cell = row.cells.get(column, "")
        if not cell and blank_is_none:
            row.values[name] = None
            return
        try:
            row.values[name] = csvformat.parse_date(cell)
        except ValueError as error:
            self._error(row, column, str(error))

    def _parse_evidence(self, row, cell):
        links, problems = csvformat.parse_evidence(cell)
        for problem in problems:
            self._error(row, "evidence", str(problem))
        seen = {}
        valid = []
        for link in links:
            line = link.pop("line")
            messages = self._link_problems(link)
            if link["url"] in seen:
                messages.append(
                    _("The URL is also on line %(line)d: give each link once.") % {"line": seen[link["url"]]}
                )
            seen.setdefault(link["url"], line)
            for message in messages:
                self._error(row, "evidence", str(csvformat.CellError(message, line)))
            if not messages:
                valid.append(link)
        return valid

    def _link_problems(self, link):
        messages = []
        try:
            link["stance"] = csvformat.parse_stance(link["stance"])
        except ValueError as error:
            messages.append(str(error))
        for name, required in (("url", True), ("archive_url", False)):
            value = link[name]
            if not value:
                if required:
                    messages.append(_("Missing required value: the link’s URL."))
                continue
            scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
            if scheme in UNSAFE_SCHEMES:
                messages.append(
                    _("Unsafe address “%(url)s”: only http:// and https:// web addresses are allowed.")
                    % {"url": value[:60]}
                )
                continue
            web = WEB_SCHEME.match(value)
            if web:
                # HTTP://EXAMPLE.COM/ is a web address (the validator says so) but the database only
                # takes a lower-case scheme: store it as the admin's form does, http://EXAMPLE.COM/.
                value = link[name] = web.group(1).lower() + value[len(web.group(1)) :]
            problem = self._field_problem(Evidence, name, value)
            if problem:
                messages.append(_("“%(url)s”: %(problem)s") % {"url": value[:60], "problem": problem})
        if not link["title"] and not TITLE_OPTIONAL:
            messages.append(_("Missing required value: the link’s title."))
        for name in ("title", "publisher", "published", "excerpt"):
            if link[name]:
                problem = self._field_problem(Evidence, name, link[name])
                if problem:
                    messages.append(f"{Evidence._meta.get_field(name).verbose_name}: {problem}")
        if link["accessed"]:
            try:
                link["accessed"] = csvformat.parse_date(link["accessed"])
            except ValueError as error:
                messages.append(f"accessed: {error}")
        else:
            link["accessed"] = None
        return messages

    def _parse_id(self, row):
        """The id column: a claim id in range, or blank for a new claim."""
        cells = row.cells
        raw_id = cells.get("id", "")
        if raw_id:
            try:
                row.pk = int(raw_id)
                if row.pk <= 0:
                    raise ValueError
            except ValueError:
                row.pk = None
                self._error(
                    row,
                    "id",
                    _("“%(value)s” is not a claim id: write a whole number, or leave it blank for a new claim.")
                    % {"value": raw_id[:30]},
                )
            else:
                if row.pk > MAX_CLAIM_ID:
                    # An id this large would never reach the database: it would be out of its integer
                    # range, or move the claims' id sequence to its end (every later new claim fails).
                    row.pk = None
                    self._error(
                        row,
                        "id",
                        _("Claim id %(value)s is out of range: ids go from 1 to %(max)d.")
                        % {"value": raw_id[:30], "max": MAX_CLAIM_ID},
                    )

    def _parse_article_and_statement(self, row):
        """The article (by slug) and the statement, both required."""
        cells = row.cells
        slug = cells.get("article", "")
        if not slug:
            self._error(row, "article", _("Missing required value: the article’s slug."))
        else:
            row.article = self.articles.get(slug)
            if row.article is None:
                self._error(row, "article", _("No article with the slug “%(slug)s”.") % {"slug": slug})
        row.statement = cells.get("statement", "")
        if not row.statement:
            self._error(row, "statement", _("Missing required value: the statement, copied from the article."))
        else:
            problem = self._field_problem(Claim, "statement", row.statement)
            if problem:
                self._error(row, "statement", problem)

    def _parse_choices(self, row):
        """The kind and status columns, when the file has them: required, one of their values."""
        cells, columns = row.cells, self.columns
        for column, parse, what in (
            ("kind", csvformat.parse_kind, _("claim or not_claim")),
            ("status", csvformat.parse_status, _("the status")),
        ):
            if column not in columns:
                continue
            cell = cells.get(column, "")
            if not cell:
                self._error(row, column, _("Missing required value: %(what)s.") % {"what": what})
                continue
            try:
                row.values["is_claim" if column == "kind" else "status"] = parse(cell)
            except ValueError as error:
                self._error(row, column, str(error))

    def _parse_tags(self, row):
        """The tags column: each tag visible text, within the length a tag may have."""
        tags = csvformat.parse_tags(row.cells.get("tags", ""))
        for name in tags:
            try:
                validate_visible_text(name)
            except ValidationError as error:
                self._error(row, "tags", f"“{name[:20]}”: {' '.join(error.messages)}")
            if len(name) > TAG_MAX_LENGTH:
                self._error(
                    row,
                    "tags",
                    _("The tag “%(tag)s…” is longer than %(limit)d characters.")
                    % {"tag": name[:20], "limit": TAG_MAX_LENGTH},
                )
        return tags

    def _keep_what_shift_jis_changed(self, row):
        """A Shift_JIS file cannot hold every character: refuse one that lost some, ignore twins.

        Excel and LibreOffice write a character Shift_JIS lacks as “?”, and read 〜 back as ～
        (and − as －, ‖ as ∥, ¢£¬ as their full-width forms). A cell that differs from the stored
        text only by such twins is the stored text; one where a stored character became “?” is refused.
        """
        claim = row.claim
        stored = {
            "statement": claim.statement,
            "verdict_note": claim.verdict_note,
            "internal_note": claim.internal_note,
            "tags": csvformat.format_tags(self.stored_tags.get(claim.pk, [])),
            "evidence": csvformat.format_evidence(self.stored_links.get(claim.pk, [])),
        }
        for column, old in stored.items():
            if column not in self.columns:
                continue
            new = row.cells.get(column, "")
            if new == old:
                continue
            if csvformat.fold_cp932_twins(new) == csvformat.fold_cp932_twins(old):
                if column == "statement":
                    row.statement = old
                    row.sentence = None
                elif column == "tags":
                    row.tags = None
                elif column == "evidence":
                    row.links = None
                else:
                    row.values[column] = old
                continue
            for character in csvformat.lost_characters(old, new):
                self._error(
                    row,
                    column,
                    _(
                        "The character “%(char)s” (%(name)s) became “?”: Shift_JIS cannot hold it. "
                        "Save the file as “CSV UTF-8 (comma delimited)” and import it again."
                    )
                    % {"char": character, "name": unicodedata.name(character, f"U+{ord(character):04X}")},
                )
