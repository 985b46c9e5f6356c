"""django-import-export classes: the claims CSV format, the resource and the admin mixin.

The admin keeps django-import-export's upload, preview (dry run) and confirm pages; the work is
done by ``claims.csv.importing`` (which hands its changes to ``services.claims_apply``) and
``claims.csv.exporting``, the same code import_claims and export_claims run. What the library would do by default is not safe here (tags exported as ids,
no model validation, bulk mode that skips our rules and history, formula escaping that drops a
leading ``=``, one fixed encoding), so each of those steps is ours.
"""

import difflib
import io
from collections import defaultdict
from urllib.parse import quote

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext
from import_export import exceptions, fields, resources
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import Format
from import_export.forms import ExportForm, ImportForm
from import_export.results import Result, RowResult
from import_export.signals import post_export

from claims.csv import exporting, importing, jobs
from claims.csv import format as csvformat
from claims.models import Claim

from .notices import proposal_message

PREVIEW_LIMIT = 500
# A changed cell shows what changed, with this many characters of unchanged text around each change.
DIFF_CONTEXT = 15
# Beyond this many characters (old × new) a cell is shown whole, old then new, not diffed.
DIFF_LIMIT = 4_000_000
MESSAGE_LIMIT = 30
IMPORT_TYPES = {
    importing.NEW: RowResult.IMPORT_TYPE_NEW,
    importing.UPDATED: RowResult.IMPORT_TYPE_UPDATE,
    importing.PROPOSED: RowResult.IMPORT_TYPE_UPDATE,
    importing.UNCHANGED: RowResult.IMPORT_TYPE_SKIP,
}


class TableDataset(tablib.Dataset):
    """The dataset django-import-export passes to ClaimResource.import_data: the file's headers and
    its number of rows (the admin refuses an empty one), while the rows stay in ``claims_table``,
    read again from the file's bytes at each pass, so that a big file is never held as lists of
    cells (ClaimResource.import_data reads only the table; the row numbers and surplus cells the
    importer reports need it too)."""

    def __init__(self, table):
        super().__init__(headers=table.columns)
        self.claims_table = table

    def __len__(self):
        return len(self.claims_table.rows)


class ClaimsCSV(Format):
    """The claims CSV file. Read as bytes, so that its encoding can be detected (UTF-8 or Shift_JIS)."""

    def __init__(self, encoding=None):
        self.encoding = encoding

    def get_title(self):
        return "csv"

    def create_dataset(self, in_stream):
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else bytes(in_stream)
        return TableDataset(csvformat.read_table(data))

    def export_data(self, dataset, **kwargs):
        out = io.StringIO()
        exporting.write_csv(out, [dataset.headers, *dataset])
        return out.getvalue()

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv"

    def can_import(self):
        return True

    def can_export(self):
        return True


class ClaimResource(resources.ModelResource):
    """One row per claim, in the columns of docs/csv.md; importing runs ``claims.csv.importing``."""

    id = fields.Field(column_name="id")
    article = fields.Field(column_name="article")
    statement = fields.Field(column_name="statement")
    kind = fields.Field(column_name="kind")
    status = fields.Field(column_name="status")
    rating = fields.Field(column_name="rating")
    verdict_note = fields.Field(column_name="verdict_note")
    internal_note = fields.Field(column_name="internal_note")
    as_of = fields.Field(column_name="as_of")
    recheck_after = fields.Field(column_name="recheck_after")
    last_checked = fields.Field(column_name="last_checked")
    tags = fields.Field(column_name="tags")
    evidence = fields.Field(column_name="evidence")

    class Meta:
        model = Claim
        fields = csvformat.COLUMNS
        import_id_fields = ["id"]

    @classmethod
    def get_display_name(cls):
        return gettext("Claims (one row per claim)")

    def export(self, queryset=None, **kwargs):
        rows = exporting.claim_rows(queryset)
        dataset = tablib.Dataset(headers=next(rows))
        for row in rows:
            dataset.append(row)
        return dataset

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        table = getattr(dataset, "claims_table", None)
        if table is None:
            table = csvformat.table_from_rows([dataset.headers, *dataset])
        report = importing.import_table(
            table=table,
            user=kwargs.get("user"),
            dry_run=dry_run,
            file_name=kwargs.get("file_name") or "",
            progress=kwargs.get("progress"),
            outcome_limit=PREVIEW_LIMIT if dry_run else None,
        )
        if raise_errors and report.errors:
            raise exceptions.ImportError(str(report.errors[0]), number=report.errors[0].row)
        return result_from_report(report, table)


def result_from_report(report, table):
    """The import report as django-import-export's Result, for its preview and error pages.

    A preview keeps at most PREVIEW_LIMIT rows' outcomes (import_data asks the importer for no
    more) and reads back only the cells of rows with a problem, so its memory does not grow with
    the file; the totals come from the report's counts.
    """
    result = Result()
    result.diff_headers = list(table.columns)
    result.column_labels = [column_label(column) for column in table.columns]
    result.total_rows = len(table.rows)
    result.claims_report = report
    result.count_summary = importing.count_summary(report.counts)
    errors = defaultdict(lambda: defaultdict(list))
    for error in report.errors:
        errors[error.row or 0][error.column or NON_FIELD_ERRORS].append(error.message)
    cells_by_row = _cells_of_rows(table, set(errors))
    for number, by_column in sorted(errors.items()):
        result.append_invalid_row(number, cells_by_row.get(number, {}), ValidationError(dict(by_column)))
        result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
    if report.errors:
        return result
    for kind, count in report.counts.items():
        result.totals[IMPORT_TYPES[kind]] += count
    shown = 0
    for outcome in report.outcomes:
        if outcome.action == importing.UNCHANGED or (report.dry_run and shown >= PREVIEW_LIMIT):
            continue
        shown += 1
        row_result = RowResult()
        row_result.import_type = IMPORT_TYPES[outcome.action]
        row_result.add_instance_info(outcome.claim)
        row_result.instance = outcome.claim
        if report.dry_run:  # Only the preview page shows the cells.
            row_result.diff = [_preview_cell(outcome, column) for column in table.columns]
        result.append_row_result(row_result)
    changed = sum(count for kind, count in report.counts.items() if kind != importing.UNCHANGED)
    result.preview_hidden = changed - shown
    return result


def _cells_of_rows(table, numbers):
    """The cells of the rows ``numbers`` (one pass over the file, which is not kept in memory)."""
    cells = {}
    if not numbers:
        return cells
    for number, row in table.rows:
        if number in numbers:
            cells[number] = row
            if len(cells) == len(numbers):
                break
    return cells


def column_label(column):
    """A CSV column's name as the editor reads it in the preview (the file keeps its own names)."""
    labels = {"id": "ID", "kind": gettext("kind"), "evidence": gettext("evidence")}
    if column in labels:
        return labels[column]
    return str(Claim._meta.get_field(column).verbose_name)


def _preview_cell(outcome, column):
    new = outcome.cells.get(column, "")
    if column in outcome.before:
        return char_diff(outcome.before[column], new)
    return new


def char_diff(old, new, *, context=DIFF_CONTEXT):
    """What changed in a cell, character by character: removed text in <del>, added text in <ins>,
    and only ``context`` characters of the unchanged text around each change (… for the rest)."""
    old, new = str(old), str(new)
    if len(old) * len(new) > DIFF_LIMIT:
        return format_html("<del>{}</del> <ins>{}</ins>", old, new)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    parts = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            text = old[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if first and len(text) > context:
                text = "…" + text[-context:]
            elif last and len(text) > context:
                text = text[:context] + "…"
            elif not first and not last and len(text) > 2 * context:
                text = text[:context] + "…" + text[-context:]
            parts.append(format_html("{}", text))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", old[i1:i2]))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", new[j1:j2]))
    return format_html('<span class="char-diff">{}</span>', format_html_join("", "{}", ((part,) for part in parts)))


class ClaimImportForm(ImportForm):
    """Refuses a file up front, with the reason: too big, empty, binary, wrong encoding or header."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.CLAIMS_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                gettext("The file is %(size).1f MB; files up to %(limit).1f MB can be imported.")
                % {"size": upload.size / 2**20, "limit": limit / 2**20}
            )
        data = b"".join(upload.chunks())
        try:
            csvformat.read_table(data)
        except csvformat.FileRefused as error:
            raise forms.ValidationError(error.messages) from error
        return upload


class ClaimImportExportMixin(ImportExportMixin):
    """Import and export for ClaimAdmin: our format, our engine, errors shown on the page."""

    resource_classes = [ClaimResource]
    import_form_class = ClaimImportForm
    export_form_class = ExportForm
    import_template_name = "admin/claims/claim/import.html"
    import_job_template_name = "admin/claims/claim/import_job.html"
    tmp_storage_class = jobs.UploadStorage
    # The jobs listed on the import page, so that an editor who left a job's page finds it again.
    RECENT_JOBS = 5

    def get_import_formats(self):
        return [ClaimsCSV]

    def get_export_formats(self):
        return [ClaimsCSV]

    def get_urls(self):
        job = path(
            "import/job/<uuid:pk>/",
            self.admin_site.admin_view(self.import_job_view),
            name="claims_claim_import_job",
        )
        return [job, *super().get_urls()]

    def import_action(self, request, **kwargs):
        """The upload and preview; a file whose preview refuses it is deleted at once, and uploads
        left unconfirmed for too long are deleted at the next upload."""
        if request.method == "POST" and self.has_import_permission(request):
            jobs.clean_uploads()
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        upload = getattr(form, "cleaned_data", {}).get("import_file") if form is not None else None
        name = getattr(upload, "tmp_storage_name", None)
        if name and "confirm_form" not in context:
            jobs.UploadStorage(name=name).remove()
        return response

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["import_jobs"] = jobs.ImportJob.recent(self.RECENT_JOBS)
        return context

    def process_import(self, request, **kwargs):
        """The confirmation: a file of CLAIMS_IMPORT_BACKGROUND_ROWS rows or more becomes a job for
        the task worker and the editor goes to its page; a smaller one is imported here, as before."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.create_confirm_form(request)
        if request.method == "POST" and confirm_form.is_valid():
            storage = jobs.UploadStorage(name=confirm_form.cleaned_data["import_file_name"], read_mode="rb")
            try:
                rows = storage.count_rows()
            except (OSError, csvformat.FileRefused):
                rows = 0  # The import below says what is wrong with the file.
            if rows >= settings.CLAIMS_IMPORT_BACKGROUND_ROWS:
                job = jobs.import_job_start(
                    upload=storage.name,
                    file_name=confirm_form.cleaned_data.get("original_file_name") or "",
                    user=request.user,
                    rows=rows,
                    language=get_language(),
                )
                messages.info(
                    request,
                    gettext(
                        "The import of %(rows)d rows runs in the background. You can leave this page and come back: "
                        "it is listed on the import page."
                    )
                    % {"rows": rows},
                )
                return HttpResponseRedirect(job.get_absolute_url())
        try:
            return super().process_import(request, **kwargs)
        except (OSError, csvformat.FileRefused):
            # The temporary copy is gone (confirmed twice, or long ago): ask for the file again.
            messages.error(request, gettext("The uploaded file is no longer available. Upload it again."))
            return HttpResponseRedirect(self._import_url())

    def _import_url(self):
        return reverse("admin:claims_claim_import", current_app=self.admin_site.name)

    def import_job_view(self, request, pk):
        """A background import's page: its state and progress while it runs (the page reloads
        itself), then what it imported or the rows with problems."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = jobs.ImportJob.get(pk)
        if job is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import of %(file)s") % {"file": job.file_name or "CSV"},
            "opts": self.model._meta,
            "job": job,
            "percent": (100 * job.rows_checked // job.rows) if job.rows else 0,
            "errors_hidden": max(job.error_count - len(job.errors), 0),
            "import_url": self._import_url(),
            "changelist_url": reverse("admin:claims_claim_changelist", current_app=self.admin_site.name),
        }
        if job.proposals:
            context["batch_url"] = (
                reverse("admin:claims_proposal_changelist") + f"?batch={quote(job.batch)}&state__exact=open"
            )
        return TemplateResponse(request, self.import_job_template_name, context)

    def process_result(self, result, request):
        if result.has_validation_errors() or result.has_errors():
            # The data changed between the preview and the confirmation: nothing was written.
            messages.error(request, gettext("Nothing was imported: the file no longer imports cleanly."))
            problems = [str(error) for error in result.claims_report.errors]
            for problem in problems[:MESSAGE_LIMIT]:
                messages.error(request, problem)
            if len(problems) > MESSAGE_LIMIT:
                messages.error(request, gettext("… and %(count)d more.") % {"count": len(problems) - MESSAGE_LIMIT})
            return HttpResponseRedirect(self._import_url())
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        report = result.claims_report
        messages.success(
            request, gettext("Import finished: %(summary)s") % {"summary": importing.count_summary(report.counts)}
        )
        if report.proposals:
            url = reverse("admin:claims_proposal_changelist")
            messages.warning(
                request,
                format_html(
                    '{} <a href="{}?batch={}&state__exact=open">{}</a>',
                    proposal_message(len(report.proposals)),
                    url,
                    quote(report.batch),
                    gettext("See the batch."),
                ),
            )

    def export_action(self, request):
        """The export page; a confirmed export of the listed claims is streamed, never built in memory.

        django-import-export builds the whole file before sending it; the form's other paths (the
        page itself, an export of selected rows from the action menu) stay the library's.
        """
        if request.method == "POST" and "export_items" not in request.POST and self.has_export_permission(request):
            form = self.get_export_form_class()(
                self.get_export_formats(), self.get_export_resource_classes(request), data=request.POST
            )
            if form.is_valid():
                return self.stream_export(self.get_export_queryset(request))
        return super().export_action(request)

    def stream_export(self, queryset):
        claims = Claim.objects.filter(pk__in=queryset.order_by().values("pk"))
        response = StreamingHttpResponse(
            exporting.stream_csv(exporting.claim_rows(claims)), content_type="text/csv; charset=utf-8"
        )
        filename = f"claims-{timezone.localdate().isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        post_export.send(sender=None, model=self.model)
        return response
