"""Big CSV imports confirmed in the admin run as background jobs (claims/csv/jobs.py).

Every page the editor sees is rendered through a client that does not raise the view's exception:
the upload page, the preview, the job's page while it waits and once it has finished, and the
import page that lists it. The task worker runs in the test's process (``run_tasks``), as
``manage.py db_worker`` runs it.
"""

import os
import time
import uuid

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from claims import services
from claims.csv import jobs
from claims.models import Claim, Proposal, StatusChange
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import (
    SOURCE_CELL,
    add_evidence,
    claim_for,
    csv_bytes,
    csv_row,
    database_state,
    make_article,
    make_user,
    run_tasks,
)
from claims.tests.pages import page_form, page_messages, post_data, upload_csv

pytestmark = pytest.mark.django_db
Status = Claim.Status
State = jobs.State
FUJI = "富士山は日本一高い山です。"
TOKYO = "東京は日本の首都です。"
LAST = "最後の文です。"


@pytest.fixture(autouse=True)
def background_from_two_rows(settings, tmp_path):
    """Files of two rows or more go to the worker; uploads wait in this test's own folder."""
    settings.CLAIMS_IMPORT_BACKGROUND_ROWS = 2
    settings.CLAIMS_IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.CLAIMS_IMPORT_UPLOAD_DIR


@pytest.fixture
def uploads(background_from_two_rows):
    return background_from_two_rows


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def stored(uploads):
    return sorted(os.listdir(uploads)) if uploads.exists() else []


def the_job():
    """The one import job, as its page reads it now (the task's result row and its progress)."""
    return jobs.ImportJob(DBTaskResult.objects.get())


def preview(client, data, name="desk.csv"):
    return upload_csv(client, data, name)


def confirm(client, preview_page):
    """The preview's confirm button; returns the page the editor lands on."""
    form = page_form(preview_page, having="import_file_name")
    response = client.post(form["__action__"] or reverse("admin:claims_claim_process_import"), post_data(form))
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"])
    assert page.status_code == 200, page.content.decode()[:3000]
    return page


def job_page(client, job):
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200, page.content.decode()[:3000]
    return page.content.decode()


def test_a_big_file_confirmed_in_the_admin_becomes_a_job_the_editor_can_follow(article_without_claims, chief, uploads):
    client = signed_in(chief)
    data = csv_bytes(
        [csv_row(statement=FUJI, status="verified", evidence=SOURCE_CELL, tags="山"), csv_row(statement=LAST)]
    )
    page = confirm(client, preview(client, data))

    job = the_job()
    html = page.content.decode()
    assert page.request["PATH_INFO"] == job.get_absolute_url()
    assert "Import of desk.csv" in html and "Waiting for the worker" in html
    assert '<meta http-equiv="refresh" content="2">' in html, "the page follows the job by itself"
    assert "You can leave it and come back" in html
    assert any("runs in the background" in text for _css, text in page_messages(page))
    assert not Claim.objects.exists(), "nothing is written before the worker runs"
    assert stored(uploads) == [job.upload, f"{job.upload}.progress"]

    import_page = client.get(reverse("admin:claims_claim_import"))
    assert job.get_absolute_url() in import_page.content.decode(), "the import page lists the job"

    assert run_tasks() == 1
    job = the_job()
    assert (job.state, job.rows, job.rows_checked, job.rows_written) == (State.DONE, 2, 2, 2)
    html = job_page(client, job)
    assert (
        "Import finished: 2 new, 0 updated, 0 proposed (published once another chief editor approves), 0 unchanged."
        in html
    )
    assert 'http-equiv="refresh"' not in html
    assert reverse("admin:claims_claim_import") in html and reverse("admin:claims_claim_changelist") in html
    assert stored(uploads) == [], "the upload is deleted when the job ends"

    fuji = claim_for(article_without_claims, FUJI)
    assert fuji.status == Status.VERIFIED and fuji.evidence.count() == 1
    change = fuji.history.get()
    assert (change.via, change.user, change.note) == (StatusChange.Via.IMPORT, chief, "Imported from desk.csv")
    assert DBTaskResult.objects.get(id=job.pk).return_value["state"] == State.DONE


def test_the_page_shows_the_rows_checked_before_anything_is_written(article_without_claims, chief, monkeypatch):
    client = signed_in(chief)
    confirm(client, preview(client, csv_bytes([csv_row(statement=FUJI), csv_row(statement=LAST)])))
    seen = {}
    apply = services.claims_apply

    def spy(**kwargs):
        job = the_job()
        seen["job"] = (job.state, job.rows_checked, job.rows_written)
        seen["page"] = job_page(client, job)
        return apply(**kwargs)

    monkeypatch.setattr(services, "claims_apply", spy)
    run_tasks()
    assert seen["job"] == (State.WRITING, 2, 0)
    assert "2 of 2" in seen["page"] and "in one transaction" in seen["page"]


def test_a_job_whose_rows_no_longer_pass_lists_them_and_writes_nothing(chief, uploads):
    article = make_article()
    fuji, tokyo = claim_for(article, FUJI), claim_for(article, TOKYO)
    add_evidence(fuji)
    header = ["id", "article", "statement", "status"]
    rows = [csv_row(id=fuji.pk, statement=FUJI, status="verified"), csv_row(id=tokyo.pk, statement=TOKYO)]
    client = signed_in(chief)
    preview_page = preview(client, csv_bytes(rows, header=header))
    fuji.evidence.all().delete()  # Someone removes the supporting link before the worker runs.
    before = database_state()
    confirm(client, preview_page)
    run_tasks()

    job = the_job()
    assert (job.state, job.error_count, job.rows_written) == (State.REFUSED, 1, 0)
    html = job_page(client, job)
    assert "1 problem. Nothing has been imported" in html
    assert "Verified needs at least one evidence link" in html and "<td>2</td><td>status</td>" in html
    assert database_state() == before
    assert stored(uploads) == []


@pytest.mark.sign_off
def test_with_sign_off_a_background_import_is_a_batch_proposed_by_the_uploader(chief):
    article = make_article()
    make_user("second", groups=[CHIEF_EDITORS])
    fuji, tokyo = claim_for(article, FUJI), claim_for(article, TOKYO)
    header = ["id", "article", "statement", "verdict_note"]
    rows = [
        csv_row(id=fuji.pk, statement=FUJI, verdict_note="国土地理院の資料による。"),
        csv_row(id=tokyo.pk, statement=TOKYO, verdict_note="首都の定めはない。"),
    ]
    client = signed_in(chief)
    confirm(client, preview(client, csv_bytes(rows, header=header)))
    run_tasks()

    job = the_job()
    proposals = Proposal.objects.all()
    assert job.state == State.DONE and job.proposals == 2 == proposals.count()
    assert {(p.proposed_by, p.via, p.batch) for p in proposals} == {(chief, StatusChange.Via.IMPORT, job.batch)}
    fuji.refresh_from_db()
    assert fuji.verdict_note == "", "readers see nothing before another chief editor approves"
    html = job_page(client, job)
    assert "2 verdict changes wait for sign-off" in html
    assert escape(reverse("admin:claims_proposal_changelist") + "?batch=") in html


def test_a_small_file_is_still_imported_in_the_request(article_without_claims, chief, settings):
    settings.CLAIMS_IMPORT_BACKGROUND_ROWS = 3
    client = signed_in(chief)
    page = confirm(client, preview(client, csv_bytes([csv_row(statement=FUJI), csv_row(statement=LAST)])))
    assert page.request["PATH_INFO"] == reverse("admin:claims_claim_changelist")
    assert not DBTaskResult.objects.exists() and Claim.objects.count() == 2


def test_a_job_that_fails_says_so_writes_nothing_and_keeps_the_traceback(
    article_without_claims, chief, uploads, monkeypatch
):
    client = signed_in(chief)
    confirm(client, preview(client, csv_bytes([csv_row(statement=FUJI), csv_row(statement=LAST)])))

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "claims_apply", broken)
    run_tasks()
    job = the_job()
    assert job.state == State.FAILED
    assert "The import stopped with an error. Nothing was written" in job_page(client, job)
    task_result = DBTaskResult.objects.get(id=job.pk)
    assert task_result.status == "FAILED" and "disk full" in task_result.traceback
    assert not Claim.objects.exists() and stored(uploads) == []


def test_a_job_the_worker_marked_failed_is_shown_as_failed(article_without_claims, chief, uploads):
    client = signed_in(chief)
    confirm(client, preview(client, csv_bytes([csv_row(statement=FUJI), csv_row(statement=LAST)])))
    job = the_job()
    DBTaskResult.objects.get(id=job.pk).set_failed(MemoryError())  # as a worker records a crash
    html = job_page(client, job)
    assert "The import stopped with an error" in html and 'http-equiv="refresh"' not in html


def test_uploads_are_deleted_when_refused_abandoned_or_old(article_without_claims, chief, uploads, settings):
    client = signed_in(chief)
    refused = preview(client, csv_bytes([csv_row(statement=FUJI, status="done"), csv_row(statement=LAST)]))
    assert "Unknown status" in refused.content.decode()
    assert stored(uploads) == [], "a file the preview refuses is not kept"

    preview(client, csv_bytes([csv_row(statement=FUJI), csv_row(statement=LAST)]))  # never confirmed
    confirm(client, preview(client, csv_bytes([csv_row(statement=TOKYO), csv_row(statement=LAST)])))
    assert len(stored(uploads)) == 3  # two uploads and the job's progress

    hours = settings.CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS
    old = time.time() - hours * 3600 - 60
    for name in stored(uploads):
        os.utime(uploads / name, (old, old))
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timezone.timedelta(hours=hours, minutes=1))
    call_command("clean_import_uploads", stdout=open(os.devnull, "w"))  # noqa: SIM115

    assert stored(uploads) == []
    job = the_job()
    assert job.state == State.FAILED
    with translation.override("en"):
        assert "No worker finished this import in time" in job_page(client, job)
    assert run_tasks() == 0  # A worker that comes back later leaves the ended job alone.
    assert the_job().state == State.FAILED and not Claim.objects.exists()


def test_only_a_name_the_site_gave_an_upload_is_opened(article_without_claims, chief):
    client = signed_in(chief)
    form = page_form(preview(client, csv_bytes([csv_row(statement=FUJI)])), having="import_file_name")
    response = client.post(
        reverse("admin:claims_claim_process_import"),
        post_data(form, import_file_name="../../../etc/passwd"),
        follow=True,
    )
    assert response.status_code == 200
    assert "The uploaded file is no longer available. Upload it again." in response.content.decode()
    assert not DBTaskResult.objects.exists() and not Claim.objects.exists()


def test_editors_cannot_see_import_jobs(article_without_claims, chief):
    client = signed_in(chief)
    confirm(client, preview(client, csv_bytes([csv_row(statement=FUJI), csv_row(statement=LAST)])))
    job = the_job()
    editor = signed_in(make_user("editor", groups=[EDITORS]))
    assert editor.get(job.get_absolute_url()).status_code == 403
    assert signed_in(chief).get(reverse("admin:claims_claim_import_job", args=[uuid.uuid4()])).status_code == 404
