"""Import claims from the CSV file: the one engine behind the admin, import_claims and load_essay.

Every row is checked before anything is written, and every problem is kept with its row, column
and reason. Only when no row has a problem is the file written, all of it in one transaction and
in bulk (a few queries per thousand rows, not per row). The bulk path keeps the workflow of
``services.claim_change_status``: the same rules, checked against the evidence as it will be
after the import, and one history row per actual status change (how: import; who: the
importing user). A row whose values all equal the stored ones is reported unchanged and not
written at all. docs/csv.md describes the format for editors.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from taggit.models import Tag, TaggedItem

from . import csvformat, services, text
from .freshness import content_changed
from .models import Article, Claim, Evidence, StatusChange
from .validators import validate_visible_text

Status = Claim.Status
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
WRITE_BATCH = 1000
# Ids per ``__in`` query: SQLite allows at most 32,766 query parameters.
QUERY_CHUNK = 5000
PROGRESS_EVERY = 1000
CLAIM_FIELDS = [
    "article",
    "statement",
    "prefix",
    "suffix",
    "position",
    "section",
    "is_anchored",
    "is_claim",
    "status",
    "verdict_note",
    "internal_note",
    "as_of",
    "recheck_after",
    "last_checked",
    "version",
    "updated_at",
]
TEXT_COLUMNS = {"verdict_note": "verdict_note", "internal_note": "internal_note"}
DATE_COLUMNS = {"as_of": "as_of", "recheck_after": "recheck_after"}
UNSAFE_SCHEMES = {"javascript", "vbscript", "data", "file", "blob", "about", "chrome"}
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
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


@dataclass
class RowOutcome:
    row: int
    action: str
    claim: Claim
    cells: dict
    # For updates, the stored value of each column the row changes.
    before: dict = field(default_factory=dict)


@dataclass
class ImportReport:
    outcomes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self):
        return not self.errors

    @property
    def written(self):
        return self.ok and not self.dry_run and any(o.action != UNCHANGED for o in self.outcomes)

    @property
    def counts(self):
        counts = {NEW: 0, UPDATED: 0, UNCHANGED: 0}
        for outcome in self.outcomes:
            counts[outcome.action] += 1
        return counts


def import_table(*, table, user=None, dry_run=False, file_name="", progress=None, today=None):
    """Import a ``csvformat.Table``. Writes nothing unless every row is valid (and not ``dry_run``)."""
    return _Importer(table=table, user=user, dry_run=dry_run, file_name=file_name, progress=progress, today=today).run()


def import_bytes(data, **kwargs):
    """Read and import the bytes of a CSV file; raises ``csvformat.FileRefused`` for a refused file."""
    return import_table(table=csvformat.read_table(data), **kwargs)


def _chunks(items, size=QUERY_CHUNK):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


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


@dataclass
class _ArticleIndex:
    by_text: dict
    occupied: dict


class _Importer:
    def __init__(self, *, table, user, dry_run, file_name, progress, today):
        self.table = table
        self.columns = set(table.columns)
        self.user = user if user is not None and getattr(user, "pk", None) else None
        self.report = ImportReport(dry_run=dry_run)
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.note = _("Imported from %(file)s") % {"file": file_name} if file_name else _("Imported from a CSV file.")
        self.progress = progress or (lambda label, done, total: None)
        self.field_checks = {}

    # -----------------------------------------------------------------------------------------
    # The steps

    def run(self):
        self.articles = {
            a.slug: a for a in Article.objects.filter(slug__in={c.get("article", "") for _n, c in self.table.rows})
        }
        self.slugs = {a.pk: a.slug for a in self.articles.values()}
        total = len(self.table.rows)
        rows = []
        for i, (number, cells) in enumerate(self.table.rows, start=1):
            rows.append(self._parse(number, cells))
            if i % PROGRESS_EVERY == 0:
                self.progress(_("Checking"), i, total)
        self.progress(_("Checking"), total, total)
        for number, surplus in self.table.extra.items():
            self._error_at(
                number,
                str(len(self.table.columns) + 1),
                _("This row has more cells than the header has columns: %(cells)s")
                % {"cells": ", ".join(surplus)[:200]},
            )
        self._load(rows)
        self._match(rows)
        self._anchor(rows)
        self._plan(rows)
        order = {name: i for i, name in enumerate(csvformat.COLUMNS)}
        self.report.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, len(order))))
        if self.report.errors or self.report.dry_run:
            return self.report
        try:
            with transaction.atomic():
                self._write()
                if self.report.errors:
                    transaction.set_rollback(True)
        except IntegrityError as error:
            self.report.errors.append(
                RowError(
                    None,
                    None,
                    _(
                        "Someone changed the claims while this file was imported, so nothing was written (%(error)s). Import it again."
                    )
                    % {"error": error},
                )
            )
        return self.report

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
                    % {"value": raw_id},
                )
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
            row.tags = csvformat.parse_tags(cells.get("tags", ""))
            for name in row.tags:
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
        if "evidence" in columns:
            row.links = self._parse_evidence(row, cells.get("evidence", ""))
        return row

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

    # -----------------------------------------------------------------------------------------
    # Finding each row's claim and sentence

    def _load(self, rows):
        article_ids = {row.article.pk for row in rows if row.article}
        self.claims = {c.pk: c for c in Claim.objects.filter(article_id__in=article_ids)}
        missing = sorted({row.pk for row in rows if row.pk} - self.claims.keys())
        for chunk in _chunks(missing):
            self.claims.update((c.pk, c) for c in Claim.objects.filter(pk__in=chunk))
            self.slugs.update(
                Article.objects.filter(claims__pk__in=chunk).values_list("pk", "slug").distinct().order_by()
            )

    def _match(self, rows):
        """Rows with an id take that claim; the others the claims of their article and statement."""
        taken = {}
        for row in rows:
            if not row.pk:
                continue
            if row.pk in taken:
                self._error(
                    row,
                    "id",
                    _("Duplicate row: claim #%(pk)d is also on row %(row)d.") % {"pk": row.pk, "row": taken[row.pk]},
                )
                row.duplicate = True
                continue
            taken[row.pk] = row.number
            row.claim = self.claims.get(row.pk)
        by_statement = defaultdict(list)
        for claim in sorted(self.claims.values(), key=lambda c: (not c.is_anchored, c.position, c.pk)):
            by_statement[(claim.article_id, claim.statement)].append(claim)
        for row in rows:
            if row.cells.get("id") or not (row.article and row.statement):
                continue
            for claim in by_statement.get((row.article.pk, row.statement), ()):
                if claim.pk not in taken:
                    taken[claim.pk] = row.number
                    row.claim = claim
                    break
        self.taken = taken

    def _index(self, article):
        if article.pk not in self.indexes:
            by_text = defaultdict(list)
            for sentence in text.sentences(article.body):
                by_text[sentence.text].append(sentence)
            self.indexes[article.pk] = _ArticleIndex(by_text=by_text, occupied={})
        return self.indexes[article.pk]

    def _anchor(self, rows):
        """A sentence for each new claim and each claim whose statement or article changes."""
        self.indexes = {}
        moving = {
            row.claim.pk
            for row in rows
            if row.claim
            and row.article
            and (row.claim.article_id != row.article.pk or row.claim.statement != row.statement)
        }
        self.moving = moving
        needing = [
            row
            for row in rows
            if row.article and row.statement and not row.duplicate and (row.claim is None or row.claim.pk in moving)
        ]
        articles = {row.article.pk: row.article for row in needing}
        for claim in self.claims.values():
            if claim.article_id in articles and claim.is_anchored and claim.pk not in moving:
                self._index(articles[claim.article_id]).occupied[claim.position] = ("claim", claim.pk)
        for row in needing:
            index = self._index(row.article)
            sentences = index.by_text.get(row.statement)
            if not sentences:
                self._error(
                    row,
                    "statement",
                    _("This statement is not a sentence of “%(article)s”. Copy it exactly from the article text.")
                    % {"article": row.article.title},
                )
                continue
            for sentence in sentences:
                if sentence.start not in index.occupied:
                    index.occupied[sentence.start] = ("row", row.number)
                    row.sentence = sentence
                    break
            else:
                kind, who = index.occupied[sentences[0].start]
                if kind == "claim" and who in self.taken:
                    kind, who = "row", self.taken[who]
                if kind == "row":
                    message = _("Duplicate row: row %(row)d has the same statement.") % {"row": who}
                else:
                    message = _("This statement already has a claim (#%(pk)s).") % {"pk": who}
                self._error(row, "statement", message)

    # -----------------------------------------------------------------------------------------
    # What each row changes

    def _stored_links_and_tags(self, rows):
        ids = [row.claim.pk for row in rows if row.claim]
        links, tags = defaultdict(list), defaultdict(list)
        fields = ["pk", "claim_id", *csvformat.EVIDENCE_FIELDS]
        for chunk in _chunks(ids):
            for link in Evidence.objects.filter(claim_id__in=chunk).order_by("pk").values(*fields):
                links[link["claim_id"]].append(link)
        if "tags" in self.columns:
            for chunk in _chunks(ids):
                items = TaggedItem.objects.filter(content_type=self.content_type, object_id__in=chunk).order_by("pk")
                for pk, object_id, name in items.values_list("pk", "object_id", "tag__name"):
                    tags[object_id].append((pk, name))
        return links, tags

    def _plan(self, rows):
        self.content_type = ContentType.objects.get_for_model(Claim)
        stored_links, stored_tags = self._stored_links_and_tags(rows)
        self.new_claims, self.updated_claims = [], []
        self.link_creates, self.link_updates, self.link_deletes = [], [], []
        self.tag_adds, self.tag_deletes = [], []
        self.history = []
        for row in rows:
            if not row.ok:
                continue
            claim = row.claim
            old_links = stored_links.get(claim.pk, []) if claim else []
            old_tags = stored_tags.get(claim.pk, []) if claim else []
            old_tag_names = [name for _pk, name in old_tags]
            if claim is None:
                claim = Claim(pk=row.pk, article=row.article)
                old_status, before = Status.PENDING, None
            else:
                old_status = claim.status
                before = csvformat.claim_cells(
                    claim, slug=self.slugs.get(claim.article_id, ""), tag_names=old_tag_names, links=old_links
                )
            claim.article = row.article
            claim.statement = row.statement
            if row.sentence is not None:
                for name, value in services.claim_anchor_fields(row.article.body, row.sentence).items():
                    setattr(claim, name, value)
            for name, value in row.values.items():
                setattr(claim, name, value)
            if claim.status != old_status and claim.status != Status.PENDING and "last_checked" not in row.values:
                claim.last_checked = self.today
            links = old_links if row.links is None else row.links
            tag_names = old_tag_names if row.tags is None else row.tags
            if before is not None:
                after = csvformat.claim_cells(claim, slug=row.article.slug, tag_names=tag_names, links=links)
                # Tags and links are sets: the same ones in another order are no change.
                changed = [c for c in csvformat.COLUMNS[1:-2] if before[c] != after[c]]
                if row.tags is not None and set(old_tag_names) != set(tag_names):
                    changed.append("tags")
                if row.links is not None and _link_lines(old_links) != _link_lines(links):
                    changed.append("evidence")
                if not changed:
                    self.report.outcomes.append(RowOutcome(row.number, UNCHANGED, claim, row.cells))
                    continue
            problems = services.status_rule_errors(
                status=claim.status,
                verdict_note=claim.verdict_note,
                as_of=claim.as_of,
                stances=[link["stance"] for link in links],
            )
            for problem in problems:
                self._error(row, "status", problem)
            if problems:
                continue
            claim._import_row = row.number
            if before is None:
                claim.version = 2 if claim.status != Status.PENDING else 1
                self.new_claims.append(claim)
                self.report.outcomes.append(RowOutcome(row.number, NEW, claim, row.cells))
            else:
                claim.version += 1
                claim.updated_at = self.now
                self.updated_claims.append(claim)
                self.report.outcomes.append(
                    RowOutcome(row.number, UPDATED, claim, row.cells, {c: before[c] for c in changed})
                )
            if claim.status != old_status:
                self.history.append(
                    StatusChange(
                        claim=claim,
                        from_status=old_status,
                        to_status=claim.status,
                        note=self.note,
                        user=self.user,
                        via=StatusChange.Via.IMPORT,
                        created_at=self.now,
                    )
                )
            if row.links is not None:
                self._plan_links(claim, old_links, row.links)
            if row.tags is not None:
                old_names = set(old_tag_names)
                self.tag_adds += [(claim, name) for name in row.tags if name not in old_names]
                self.tag_deletes += [pk for pk, name in old_tags if name not in row.tags]

    def _plan_links(self, claim, old_links, new_links):
        by_url = {}
        for link in old_links:
            by_url.setdefault(link["url"], link)
        kept = set()
        for link in new_links:
            old = by_url.get(link["url"])
            if old is None:
                self.link_creates.append(Evidence(claim=claim, **link))
                continue
            kept.add(old["pk"])
            if any(old[name] != link[name] for name in csvformat.EVIDENCE_FIELDS):
                self.link_updates.append(Evidence(pk=old["pk"], claim_id=claim.pk, **link))
        self.link_deletes += [link["pk"] for link in old_links if link["pk"] not in kept]

    # -----------------------------------------------------------------------------------------
    # Writing

    def _write(self):
        total = len(self.new_claims) + len(self.updated_claims)
        if not total:
            return
        if not self._still_current():
            return
        self.progress(_("Writing"), 0, total)
        tags = self._tags({name for _claim, name in self.tag_adds})
        if self.moving:
            # Free the old places first, so that moved claims never collide on (article, position).
            for chunk in _chunks(sorted(self.moving)):
                Claim.objects.filter(pk__in=chunk).update(is_anchored=False)
        if self.updated_claims:
            Claim.objects.bulk_update(self.updated_claims, CLAIM_FIELDS, batch_size=WRITE_BATCH)
        self.progress(_("Writing"), len(self.updated_claims), total)
        with_id = [claim for claim in self.new_claims if claim.pk]
        if with_id:
            Claim.objects.bulk_create(with_id, batch_size=WRITE_BATCH)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Claim]):
                    cursor.execute(sql)
        without_id = [claim for claim in self.new_claims if not claim.pk]
        if without_id:
            Claim.objects.bulk_create(without_id, batch_size=WRITE_BATCH)
        self.progress(_("Writing"), total, total)
        for chunk in _chunks(self.link_deletes):
            Evidence.objects.filter(pk__in=chunk).delete()
        if self.link_updates:
            Evidence.objects.bulk_update(self.link_updates, csvformat.EVIDENCE_FIELDS, batch_size=WRITE_BATCH)
        Evidence.objects.bulk_create(self.link_creates, batch_size=WRITE_BATCH)
        for chunk in _chunks(self.tag_deletes):
            TaggedItem.objects.filter(pk__in=chunk).delete()
        TaggedItem.objects.bulk_create(
            [
                TaggedItem(content_type_id=self.content_type.pk, object_id=claim.pk, tag_id=tags[name])
                for claim, name in self.tag_adds
            ],
            batch_size=WRITE_BATCH,
        )
        StatusChange.objects.bulk_create(self.history, batch_size=WRITE_BATCH)
        content_changed()

    def _still_current(self):
        """Refuse to overwrite a claim someone saved, or an id someone used, since the file was checked."""
        expected = {claim.pk: claim.version - 1 for claim in self.updated_claims}
        for chunk in _chunks(sorted(expected)):
            current = Claim.objects.select_for_update().filter(pk__in=chunk).values_list("pk", "version")
            for pk, version in current:
                if version != expected[pk]:
                    claim = next(c for c in self.updated_claims if c.pk == pk)
                    self._error_at(
                        claim._import_row,
                        "id",
                        _(
                            "Someone saved claim #%(pk)d while this file was imported. Nothing was written: import it again."
                        )
                        % {"pk": pk},
                    )
        new_ids = [claim.pk for claim in self.new_claims if claim.pk]
        for chunk in _chunks(new_ids):
            for pk in Claim.objects.filter(pk__in=chunk).values_list("pk", flat=True):
                claim = next(c for c in self.new_claims if c.pk == pk)
                self._error_at(
                    claim._import_row,
                    "id",
                    _("Claim #%(pk)d was created by someone else while this file was imported. Import it again.")
                    % {"pk": pk},
                )
        return not self.report.errors

    def _tags(self, names):
        """Tag ids by name, creating the tags that do not exist yet (taggit makes their slugs)."""
        ids = {}
        for chunk in _chunks(sorted(names)):
            ids.update(Tag.objects.filter(name__in=chunk).values_list("name", "pk"))
        for name in sorted(names - ids.keys()):
            tag = Tag(name=name)
            tag.save()
            ids[name] = tag.pk
        return ids


def _link_lines(links):
    return sorted(csvformat.format_evidence_line(link) for link in links)
