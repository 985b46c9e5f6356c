"""A CSV import confirmed in the admin, run by the task worker instead of the request.

A file of ``CLAIMS_IMPORT_BACKGROUND_ROWS`` rows or more would outlast the app server's timeout,
so the admin's confirm step queues ``import_job_run`` (django-tasks with its database backend,
run by ``manage.py db_worker``) and sends the editor to the job's page. The task runs the same
``importing.import_table`` as the admin's own confirm, ``import_claims`` and ``load_essay``: every
row checked, then one ``services.claims_apply`` in one transaction, by the user who uploaded the
file (with sign-off on, that user proposes the batch).

A job is the task's own result row: its arguments say who uploaded which file, its status whether
it waits, runs or ended, and its return value what came of it. While it runs, the worker writes
how far it got to a small file beside the upload (never to the database, whose one transaction
would hide it), which the job's page reads.

Uploads wait in ``CLAIMS_IMPORT_UPLOAD_DIR`` between the preview and the confirmation
(``UploadStorage``). A job deletes its file when it ends; ``clean_uploads`` deletes files never
confirmed and ends jobs no worker finished, once they are older than
``CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS`` (at each upload, at each job's end, and from
``manage.py clean_import_uploads``).
"""

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult
from import_export.tmp_storages import BaseStorage

from claims.csv import format as csvformat
from claims.csv import importing

UPLOAD_PREFIX = "claims-import-"
UPLOAD_NAME = re.compile(re.escape(UPLOAD_PREFIX) + r"[A-Za-z0-9_]+\.csv")
# The page's counter moves this often while the rows are checked (the importer reports each 1,000).
PROGRESS_SECONDS = 0.5
# The row errors a job keeps for its page; a file can have one for every cell.
ERRORS_KEPT = 1000


class State(models.TextChoices):
    QUEUED = "queued", gettext_lazy("waiting for the worker")
    CHECKING = "checking", gettext_lazy("checking the rows")
    WRITING = "writing", gettext_lazy("writing the claims")
    DONE = "done", gettext_lazy("imported")
    REFUSED = "refused", gettext_lazy("not imported: rows with problems")
    FAILED = "failed", gettext_lazy("not imported: the import stopped")


RUNNING = (State.QUEUED, State.CHECKING, State.WRITING)


def upload_dir():
    return Path(settings.CLAIMS_IMPORT_UPLOAD_DIR)


class UploadStorage(BaseStorage):
    """django-import-export's temporary copy of an upload, in a folder that holds only these.

    A name comes back from the browser with the confirmation: only a name this storage made is
    opened, never a path. It implements the storage's public interface (save, read, remove)
    rather than overriding the library's temporary-folder storage's private ``_open``.
    """

    def get_full_path(self):
        if not self.name or not UPLOAD_NAME.fullmatch(self.name):
            raise FileNotFoundError(f"not an upload of this site: {self.name!r}")
        return str(upload_dir() / self.name)

    def _file(self, mode):
        if self.name:
            return open(self.get_full_path(), mode, encoding=self.encoding)
        upload_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
        # Owner-only (0600): the file can hold internal notes.
        tmp_file = tempfile.NamedTemporaryFile(delete=False, dir=upload_dir(), prefix=UPLOAD_PREFIX, suffix=".csv")  # noqa: SIM115
        self.name = os.path.basename(tmp_file.name)
        return tmp_file

    def save(self, data):
        with self._file("w") as file:
            file.write(data)

    def read(self):
        with self._file(self.read_mode) as file:
            return file.read()

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.get_full_path())

    def count_rows(self):
        """How many claim rows the stored file has (not its lines: a cell can span lines)."""
        data = self.read()
        lines = io.TextIOWrapper(io.BytesIO(data), encoding=csvformat.encoding_of(data), newline="")
        return max(sum(1 for _row in csv.reader(lines)) - 1, 0)


def progress_path(upload):
    return upload_dir() / f"{upload}.progress"


def _write_progress(upload, **progress):
    """How far the worker got, beside the upload; replaced whole, so a reader never sees half."""
    path = progress_path(upload)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(progress))
    os.replace(tmp, path)


def _read_progress(upload):
    if not upload or not UPLOAD_NAME.fullmatch(upload):
        return {}
    try:
        return json.loads(progress_path(upload).read_text())
    except (OSError, ValueError):
        return {}


def _remove_upload(upload):
    UploadStorage(name=upload).remove()
    if upload and UPLOAD_NAME.fullmatch(upload):
        with contextlib.suppress(FileNotFoundError):
            os.remove(progress_path(upload))


def import_job_start(*, upload, file_name, user, rows, language=""):
    """Queue the import of a stored upload; returns the job, which the editor follows on its page."""
    _write_progress(upload, state=State.QUEUED, rows=rows, rows_checked=0)
    result = import_job_run.enqueue(
        upload=upload,
        file_name=file_name[:255],
        user_id=getattr(user, "pk", None),
        rows=rows,
        language=language or "",
    )
    return ImportJob(result.db_result)


@dataclass
class ImportJob:
    """What the job's page shows, read from the task's result row and, while it runs, its progress."""

    task: DBTaskResult
    state: str = State.QUEUED
    rows: int = 0
    rows_checked: int = 0
    rows_written: int = 0
    counts: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    error_count: int = 0
    message: str = ""
    batch: str = ""
    proposals: int = 0

    def __post_init__(self):
        kwargs = self.task.args_kwargs.get("kwargs", {})
        self.upload = kwargs.get("upload", "")
        self.file_name = kwargs.get("file_name", "")
        self.user_id = kwargs.get("user_id")
        self.rows = kwargs.get("rows", 0)
        status = self.task.status
        if status == TaskResultStatus.SUCCESSFUL and isinstance(self.task.return_value, dict):
            for name, value in self.task.return_value.items():
                if name in self.__dataclass_fields__ and name != "task":
                    setattr(self, name, value)
        elif status == TaskResultStatus.FAILED or status == TaskResultStatus.SUCCESSFUL:
            self.state = State.FAILED
            self.message = _("The import stopped with an error. Nothing was written: import the file again.")
            if self.task.exception_class_path == ABANDONED:
                self.message = _("No worker finished this import in time; nothing was written. Import the file again.")
        else:
            progress = _read_progress(self.upload)
            self.state = progress.get("state", State.QUEUED if status == TaskResultStatus.READY else State.CHECKING)
            self.rows = progress.get("rows", self.rows)
            self.rows_checked = min(progress.get("rows_checked", 0), self.rows)

    @classmethod
    def get(cls, pk):
        task_result = DBTaskResult.objects.filter(pk=pk, task_path=import_job_run.module_path).first()
        return cls(task_result) if task_result else None

    @classmethod
    def recent(cls, count):
        results = DBTaskResult.objects.filter(task_path=import_job_run.module_path).order_by("-enqueued_at")
        return [cls(task_result) for task_result in results[:count]]

    @property
    def pk(self):
        return str(self.task.pk)

    @property
    def created(self):
        return self.task.enqueued_at

    @property
    def finished(self):
        return self.task.finished_at

    @property
    def user(self):
        return get_user_model().objects.filter(pk=self.user_id).first() if self.user_id else None

    @property
    def is_running(self):
        return self.state in RUNNING

    def get_state_display(self):
        return State(self.state).label

    def get_absolute_url(self):
        return reverse("admin:claims_claim_import_job", args=[self.pk])


class _Progress:
    """The importer's progress callback, written beside the upload for the job's page."""

    def __init__(self, upload, rows):
        self.upload = upload
        self.rows = rows
        self.writing = _("Writing")
        self.last = 0.0

    def __call__(self, label, done, total):
        if label == self.writing:
            # The rows checked so far are valid and being written (a chunk at a time, one transaction).
            _write_progress(self.upload, state=State.WRITING, rows=self.rows, rows_checked=min(done, self.rows))
            return
        now = time.monotonic()
        if done < total and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        _write_progress(self.upload, state=State.CHECKING, rows=self.rows, rows_checked=min(done, self.rows))


@task()
def import_job_run(*, upload, file_name, user_id, rows, language=""):
    """Import an uploaded file: all rows or none, as the admin's confirm would. Returns what the
    job's page shows (the task's result keeps it)."""
    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            return _run(upload, file_name, user_id)
    finally:
        _remove_upload(upload)
        clean_uploads()


def _run(upload, file_name, user_id):
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        table = csvformat.read_table(UploadStorage(name=upload, read_mode="rb").read())
    except (OSError, csvformat.FileRefused):
        return {"state": State.FAILED, "message": _("The uploaded file is no longer available. Upload it again.")}
    rows = len(table.rows)
    _write_progress(upload, state=State.CHECKING, rows=rows, rows_checked=0)
    report = importing.import_table(
        table=table, user=user, file_name=file_name, progress=_Progress(upload, rows), keep_outcomes=False
    )
    if report.errors:
        return {
            "state": State.REFUSED,
            "rows": rows,
            "rows_checked": rows,
            "errors": [[e.row, e.column, e.message] for e in report.errors[:ERRORS_KEPT]],
            "error_count": len(report.errors),
        }
    counts = report.counts
    return {
        "state": State.DONE,
        "rows": rows,
        "rows_checked": rows,
        "rows_written": counts[importing.NEW] + counts[importing.UPDATED],
        "counts": {
            "new": counts[importing.NEW],
            "updated": counts[importing.UPDATED],
            "proposed": counts[importing.PROPOSED],
            "unchanged": counts[importing.UNCHANGED],
        },
        "batch": report.batch if report.proposal_count else "",
        "proposals": report.proposal_count,
    }


class AbandonedImport(Exception):
    """Recorded as the failure of a job that no worker finished in time."""


ABANDONED = f"{AbandonedImport.__module__}.{AbandonedImport.__qualname__}"


def clean_uploads(*, now=None):
    """Delete uploads older than CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS (never confirmed, or their job
    never ran) and end the jobs no worker finished in that time. Returns how many files went."""
    now = now or timezone.now()
    max_age = timedelta(hours=settings.CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS)
    unfinished = DBTaskResult.objects.filter(
        task_path=import_job_run.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    in_use = set()
    for task_result in unfinished:
        upload = task_result.args_kwargs.get("kwargs", {}).get("upload", "")
        if task_result.enqueued_at < now - max_age:
            # A worker that takes it up later finds it failed and leaves it alone.
            task_result.set_failed(AbandonedImport("no worker finished this import in time"))
            _remove_upload(upload)
        else:
            in_use.add(upload)
    removed = 0
    try:
        entries = list(os.scandir(upload_dir()))
    except FileNotFoundError:
        return 0
    cutoff = now.timestamp() - max_age.total_seconds()
    for entry in entries:
        name = entry.name.removesuffix(".progress")
        if not UPLOAD_NAME.fullmatch(name) or name in in_use:
            continue
        try:
            if entry.stat().st_mtime < cutoff:
                os.remove(entry.path)
                removed += name == entry.name
        except FileNotFoundError:
            continue
    return removed
