"""Import claims from the CSV file: the one engine behind the admin, import_claims and load_essay.

This module reads; it never writes. Each row becomes a ``services.ClaimChange`` or row errors
(row, column, reason). The changes then go to the workflow in one batch: ``claims_check`` for
the preview and the rules (its problems come back as row errors), and, when no row has a
problem, ``claims_apply`` (via "import"), which writes them all in one transaction and in bulk,
with the history rows, versions and cache update of any other change. A row whose values all
equal the stored ones is reported unchanged and not written. docs/csv.md describes the format.

Reading each row's cells is ``rows.py`` (:class:`~claims.csv.rows._RowReader`); this module is the
run: loading the stored claims, matching rows to them, anchoring, and the one batch of changes.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from taggit.models import TaggedItem

from claims import services, text
from claims.csv import format as csvformat
from claims.models import EVIDENCE_FIELDS, Article, Claim, Evidence, Rating, StatusChange
from claims.services.anchoring import already_claimed_message, not_a_sentence_message

from .rows import RowError, _RowReader

Status = Claim.Status
NEW, UPDATED, PROPOSED, UNCHANGED = services.NEW, services.UPDATED, services.PROPOSED, services.UNCHANGED
# Ids per ``__in`` query: SQLite allows at most 32,766 query parameters.
QUERY_CHUNK = 5000
# Rows read, checked and written together, in the one transaction of the whole file: memory holds
# one chunk's rows, changes and model objects, and only small indexes across chunks.
ROWS_CHUNK = 2000
PROGRESS_EVERY = 1000


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
    # Each row's outcome (kept unless the import was asked not to: a big file keeps only the counts).
    outcomes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    dry_run: bool = False
    proposals: list = field(default_factory=list)  # with sign-off on: what waits for a second person
    proposal_count: int = 0
    batch: str = ""
    counts: dict = field(default_factory=lambda: {NEW: 0, UPDATED: 0, PROPOSED: 0, UNCHANGED: 0})

    @property
    def ok(self):
        return not self.errors

    @property
    def written(self):
        return self.ok and not self.dry_run and (self.counts[NEW] or self.counts[UPDATED] or self.counts[PROPOSED])


def count_summary(counts):
    """New, updated, proposed and unchanged rows, as the preview, the result and the job page say them."""
    return _(
        "%(new)d new, %(updated)d updated, %(proposed)d proposed (published once another chief editor "
        "approves), %(unchanged)d unchanged."
    ) % {
        "new": counts[NEW],
        "updated": counts[UPDATED],
        "proposed": counts[PROPOSED],
        "unchanged": counts[UNCHANGED],
    }


def import_table(
    *,
    table,
    user=None,
    dry_run=False,
    file_name="",
    progress=None,
    today=None,
    propose=None,
    via=StatusChange.Via.IMPORT,
    keep_outcomes=True,
    outcome_limit=None,
):
    """Import a ``csvformat.Table``. Writes nothing unless every row is valid (and not ``dry_run``).

    With sign-off on (``propose``, by default the site's setting) the verdicts the file changes
    become one batch of proposals that another chief editor approves together. Without
    ``keep_outcomes`` the report keeps only the counts, not each row's outcome and proposal; with
    ``outcome_limit`` it keeps the outcomes of the first rows that change something (a preview
    shows no more), so its memory does not grow with the file.
    """
    importer = _Importer(table=table, user=user, dry_run=dry_run, file_name=file_name, progress=progress, today=today)
    importer.propose = propose
    importer.via = via
    importer.keep_outcomes = keep_outcomes
    importer.outcome_limit = outcome_limit
    return importer.run()


def import_bytes(data, **kwargs):
    """Read and import the bytes of a CSV file; raises ``csvformat.FileRefused`` for a refused file."""
    return import_table(table=csvformat.read_table(data), **kwargs)


def _chunks(items, size=QUERY_CHUNK):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass
class _ArticleIndex:
    by_text: dict
    occupied: dict


class _Importer(_RowReader):
    def __init__(self, *, table, user, dry_run, file_name, progress, today):
        self.table = table
        self.columns = set(table.columns)
        self.user = user if user is not None and getattr(user, "pk", None) else None
        self.report = ImportReport(dry_run=dry_run)
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.note = _("Imported from %(file)s") % {"file": file_name} if file_name else _("Imported from a CSV file.")
        self.file_name = file_name
        self.propose = None
        self.via = StatusChange.Via.IMPORT
        self.progress = progress or (lambda label, done, total: None)
        self.field_checks = {}
        self.keep_outcomes = True
        self.outcome_limit = None

    # -----------------------------------------------------------------------------------------
    # The steps

    def run(self):
        """Read, check and write the file a chunk of rows at a time, all in one transaction.

        What a row needs of the rows before it (the claims and the sentences they took) is kept
        in ``taken`` and the article indexes across chunks. Chunks are written while every row so
        far is valid; after the first problem the rest are only checked, and the transaction is
        rolled back at the end: nothing of the file is written unless every row is valid.
        """
        slugs = {cells.get("article", "") for _number, cells in self.table.rows}
        self.articles = {a.slug: a for a in Article.objects.filter(slug__in=slugs)}
        self.slugs = {a.pk: a.slug for a in self.articles.values()}
        self.ratings = Rating.objects.select_related("scale").in_bulk()  # a claim may keep a former scale's rating
        self.active_ratings = [r for r in sorted(self.ratings.values(), key=lambda r: r.order) if r.scale.is_active]
        if self.propose is None:
            self.propose = services.sign_off_applies(self.via)
        self.taken = {}
        self.indexes = {}
        self.batch = _("Import of %(file)s by %(user)s, %(when)s") % {
            "file": self.file_name or "CSV",
            "user": self.user or "—",
            "when": timezone.localtime(self.now).strftime("%Y-%m-%d %H:%M:%S"),
        }
        self.total = len(self.table.rows)
        self.parsed = 0
        self.changes = 0
        with transaction.atomic():
            for chunk in _chunks(self.table.rows, ROWS_CHUNK):
                self._chunk(chunk)
            self.progress(_("Checking"), self.total, self.total)
            for number, surplus in self.table.extra.items():
                self._error_at(
                    number,
                    str(len(self.table.columns) + 1),
                    _("This row has more cells than the header has columns: %(cells)s")
                    % {"cells": ", ".join(surplus)[:200]},
                )
            if self.report.errors or self.report.dry_run:
                transaction.set_rollback(True)
        order = {name: i for i, name in enumerate(csvformat.COLUMNS)}
        self.report.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, len(order))))
        if self.report.errors:
            self.report.proposals, self.report.proposal_count = [], 0
        elif not self.report.dry_run:
            self.report.batch = self.batch
            self.progress(_("Writing"), self.total, self.total)
        return self.report

    def _chunk(self, records):
        rows = []
        for number, cells in records:
            rows.append(self._parse(number, cells))
            self.parsed += 1
            if self.parsed % PROGRESS_EVERY == 0:
                self.progress(_("Checking"), self.parsed, self.total)
        self._load(rows)
        self._match(rows)
        self._parse_ratings(rows)
        self._anchor(rows)
        changes = self._changes(rows)
        if self.report.errors or self.report.dry_run:
            checked = services.claims_check(changes=changes, today=self.today, propose=self.propose)
            self._problems(checked.problems)
            self._outcomes(checked)
            return
        if not changes:
            return
        self.progress(_("Writing"), self.parsed, self.total)
        try:
            result = services.claims_apply(
                changes=changes,
                user=self.user,
                via=self.via,
                note=self.note,
                today=self.today,
                propose=self.propose,
                batch=self.batch,
            )
        except services.ChangeRefused as refused:
            self._problems(refused.problems)
            return
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
            return
        self.changes += len(changes)
        for outcome in result.outcomes:
            # A claim this file made or changed is taken: a later row with its statement is a duplicate.
            self.taken.setdefault(outcome.claim.pk, outcome.change.ref.number)
        self._outcomes(result)
        self.report.proposal_count += len(result.proposals)
        if self.keep_outcomes:
            self.report.proposals.extend(result.proposals)

    # -----------------------------------------------------------------------------------------
    # Finding each row's claim and sentence

    def _load(self, rows):
        """The stored claims these rows name: by id, or by article and statement."""
        ids = {row.pk for row in rows if row.pk}
        by_text = defaultdict(set)
        for row in rows:
            if not row.cells.get("id") and row.article and row.statement:
                by_text[row.article.pk].add(row.statement)
        self.claims = {}
        for chunk in _chunks(sorted(ids)):
            self.claims.update((c.pk, c) for c in Claim.objects.filter(pk__in=chunk))
        for article_id, statements in by_text.items():
            for chunk in _chunks(sorted(statements)):
                self.claims.update((c.pk, c) for c in Claim.objects.filter(article_id=article_id, statement__in=chunk))
        missing = {c.article_id for c in self.claims.values()} - self.slugs.keys()
        if missing:
            self.slugs.update(Article.objects.filter(pk__in=missing).values_list("pk", "slug"))

    def _match(self, rows):
        """Rows with an id take that claim; the others the claims of their article and statement."""
        taken = self.taken
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

    def _index(self, article, moving):
        """The article's sentences and which are taken (by a stored claim, or by an earlier row),
        read once per import and kept across chunks."""
        if article.pk not in self.indexes:
            by_text = defaultdict(list)
            for sentence in text.sentences(article.body):
                by_text[sentence.text].append(sentence)
            anchored = Claim.objects.filter(article=article, is_anchored=True).values_list("position", "pk")
            occupied = {position: ("claim", pk) for position, pk in anchored if pk not in moving}
            self.indexes[article.pk] = _ArticleIndex(by_text=by_text, occupied=occupied)
        return self.indexes[article.pk]

    def _anchor(self, rows):
        """A sentence for each new claim and each claim whose statement or article changes."""
        moving = {
            row.claim.pk: row.claim
            for row in rows
            if row.claim
            and row.article
            and (row.claim.article_id != row.article.pk or row.claim.statement != row.statement)
        }
        # A claim this chunk moves frees its sentence in an index an earlier chunk read.
        for claim in moving.values():
            index = self.indexes.get(claim.article_id)
            if index is not None and claim.is_anchored and index.occupied.get(claim.position) == ("claim", claim.pk):
                del index.occupied[claim.position]
        needing = [
            row
            for row in rows
            if row.article and row.statement and not row.duplicate and (row.claim is None or row.claim.pk in moving)
        ]
        for row in needing:
            self._index(row.article, moving)
        for row in needing:
            self._place(row, self._index(row.article, moving))

    def _place(self, row, index):
        """The first free sentence with the row's statement, or a row error that says who holds it."""
        sentences = index.by_text.get(row.statement)
        if not sentences:
            self._error(row, "statement", not_a_sentence_message(row.article))
            return
        for sentence in sentences:
            if sentence.start not in index.occupied:
                index.occupied[sentence.start] = ("row", row.number)
                row.sentence = sentence
                return
        kind, who = index.occupied[sentences[0].start]
        if kind == "claim" and who in self.taken:
            kind, who = "row", self.taken[who]
        if kind == "row":
            message = _("Duplicate row: row %(row)d has the same statement.") % {"row": who}
        else:
            message = already_claimed_message(who)
        self._error(row, "statement", message)

    # -----------------------------------------------------------------------------------------
    # What each row changes: one ClaimChange per row, checked by the workflow

    def _changes(self, rows):
        links, tags = self._stored_links_and_tags(rows)
        self.stored_links, self.stored_tags = links, tags
        changes = []
        for row in rows:
            if not row.ok:
                continue
            if row.claim is not None and self.table.encoding == "cp932":
                self._keep_what_shift_jis_changed(row)
                if not row.ok:
                    continue
            changes.append(
                services.ClaimChange(
                    claim=row.claim,
                    article=row.article,
                    sentence=row.sentence,
                    values=row.values,
                    tags=row.tags,
                    evidence=row.links,
                    expected_version=row.claim.version if row.claim else None,
                    note=self.note,
                    pk=row.pk if row.claim is None else None,
                    ref=row,
                )
            )
        return changes

    def _stored_links_and_tags(self, rows):
        ids = [row.claim.pk for row in rows if row.claim]
        links, tags = defaultdict(list), defaultdict(list)
        for chunk in _chunks(ids):
            for link in Evidence.objects.filter(claim_id__in=chunk).order_by("pk").values("claim_id", *EVIDENCE_FIELDS):
                links[link.pop("claim_id")].append(link)
        content_type = ContentType.objects.get_for_model(Claim)
        for chunk in _chunks(ids):
            items = TaggedItem.objects.filter(content_type=content_type, object_id__in=chunk).order_by("pk")
            for object_id, name in items.values_list("object_id", "tag__name"):
                tags[object_id].append(name)
        return links, tags

    def _keeps(self, kind):
        if not self.keep_outcomes:
            return False
        if self.outcome_limit is None:
            return True
        return kind != UNCHANGED and len(self.report.outcomes) < self.outcome_limit

    def _outcomes(self, result):
        for outcome in result.outcomes:
            self.report.counts[outcome.kind] += 1
            if not self._keeps(outcome.kind):
                continue
            row = outcome.change.ref
            before = {}
            if outcome.action == services.UPDATED:
                slug = self.slugs.get(outcome.stored.article_id, "")
                old = csvformat.claim_cells(
                    outcome.stored,
                    slug=slug,
                    tag_names=outcome.tags_before,
                    links=outcome.links_before,
                    rating=self._rating_code(outcome.stored),
                )
                new = csvformat.claim_cells(
                    outcome.claim,
                    slug=row.article.slug,
                    tag_names=outcome.tags_after,
                    links=outcome.links_after,
                    rating=self._rating_code(outcome.claim),
                )
                before = {column: old[column] for column in csvformat.COLUMNS[1:] if old[column] != new[column]}
            self.report.outcomes.append(RowOutcome(row.number, outcome.kind, outcome.claim, row.cells, before))

    def _rating_code(self, claim):
        rating = self.ratings.get(claim.rating_id)
        return rating.code if rating is not None else ""

    def _problems(self, problems):
        for problem in problems:
            row = problem.change.ref
            message = problem.message
            if problem.code == "concurrent_edit":
                message = _(
                    "Someone saved claim #%(pk)d while this file was imported. Nothing was written: import it again."
                ) % {"pk": row.claim.pk}
            self._error(row, problem.field, message)
