"""Every admin flow the way an editor goes through it: each page rendered, each form read from the page.

The client never raises the view's exception (``raise_request_exception=False``): a server error
is a 500 page here, as the editor would see it. Each step GETs the page, reads its form as a
browser would (hidden inputs included), changes what the editor changes, POSTs it, follows the
redirect and reads the messages on the rendered page. Expected texts come from ``gettext`` in
Japanese, the admin's default language, so they hold whether or not a string is translated yet.
"""

import csv
import io
import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext
from reversion.models import Version

from claims import services
from claims.csv import exporting, importing
from claims.csv import format as csvformat
from claims.models import Claim, Evidence, StatusChange
from claims.tests.factories import (
    add_evidence,
    claim_for,
    edit,
    links_of,
    make_status,
    make_user,
    rating,
)
from claims.tests.pages import assert_message, context_messages, page_form, page_messages, post_data, upload_csv

pytestmark = pytest.mark.django_db
Status = Claim.Status
Via = StatusChange.Via

FUJI = "富士山は日本一高い山です。"
LAST = "最後の文です。"
QUESTION = "本当でしょうか?"


def ja(message, *args):
    """The text the admin shows for ``message`` (gettext, or ngettext with ``args``) in Japanese."""
    with translation.override("ja"):
        return str(ngettext(message, *args) if args else gettext(message))


# ---------------------------------------------------------------------------------------------
# Reading pages as a browser does


def rule_messages(status, *, stances=(), note="", as_of=None):
    """What the workflow says, in Japanese, about a claim with these values taking ``status``."""
    with translation.override("ja"):
        return services.status_rule_errors(status=status, verdict_note=note, as_of=as_of, stances=list(stances))


def levels(response):
    return {level for level, _message in context_messages(response)}


# ---------------------------------------------------------------------------------------------
# Fixtures


def browser_client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def as_editor(editor):
    return browser_client(editor)


@pytest.fixture
def as_chief(chief):
    return browser_client(chief)


def history(claim):
    return list(claim.history.order_by("pk"))


# ---------------------------------------------------------------------------------------------
# 1. The bulk status action, on the claim list and on the review queue


def choose_action(client, changelist, action, claims):
    """GET the list, then POST the action with ``claims`` ticked, as the list's form sends it."""
    listing = client.get(changelist)
    assert listing.status_code == 200
    form = page_form(listing, having="action")
    assert action in form["__selects__"]["action"], "the action is offered in the list's menu"
    for claim in claims:
        assert f'value="{claim.pk}"' in listing.content.decode(), "each claim has its checkbox in the list"
    return client.post(
        changelist, post_data(form, action=action, _selected_action=[str(c.pk) for c in claims], index="0")
    )


def apply_bulk_status(client, changelist, claims, status, note="一括で確認。", rating=None):
    """The whole bulk status flow; returns (intermediate page, the page after the redirect)."""
    intermediate = choose_action(client, changelist, "change_status_action", claims)
    assert intermediate.status_code == 200, intermediate.content.decode()[:2000]
    form = page_form(intermediate, having="status")
    assert sorted(form["_selected_action"]) == sorted(str(c.pk) for c in claims)
    assert status in form["__selects__"]["status"]
    if rating is not None:
        assert str(rating.pk) in form["__selects__"]["rating"], "the form offers the active scale's ratings"
    data = post_data(form, status=status, note=note, rating=rating.pk if rating else "", apply=ja("Change status"))
    result = client.post(changelist, data, follow=True)
    assert result.status_code == 200, result.content.decode()[:2000]
    assert result.redirect_chain and result.redirect_chain[-1][0].split("?")[0] == changelist
    return intermediate, result


@pytest.fixture
def three(article):
    """A claim that can be verified, one that cannot (no support), and a statement that is not a claim."""
    ready = claim_for(article, FUJI)
    add_evidence(ready, url="https://example.com/fuji", title="国土地理院")
    bare = claim_for(article, LAST)
    opinion = claim_for(article, QUESTION)
    services.claims_set_is_claim(claims=[opinion], is_claim=False)
    opinion.refresh_from_db()
    return ready, bare, opinion


def test_bulk_status_on_the_claim_list_renders_its_form_and_applies_the_rules(as_editor, editor, three):
    ready, bare, opinion = three
    changelist = reverse("admin:claims_claim_changelist")
    intermediate, result = apply_bulk_status(as_editor, changelist, three, Status.VERIFIED)

    page = intermediate.content.decode()
    assert '<form method="post">' in page and 'name="apply"' in page
    for claim in three:
        assert escape(claim.statement) in page
    assert ja("not a claim: will be skipped") in page
    assert ja("Change status") in page

    ready.refresh_from_db(), bare.refresh_from_db(), opinion.refresh_from_db()
    assert ready.status == Status.VERIFIED
    assert [(h.from_status, h.to_status, h.via, h.note, h.user) for h in history(ready)][-1] == (
        Status.PENDING,
        Status.VERIFIED,
        Via.BULK,
        "一括で確認。",
        editor,
    )
    assert bare.status == Status.PENDING and opinion.status == Status.PENDING
    assert not bare.history.filter(via=Via.BULK).exists() and not opinion.history.filter(via=Via.BULK).exists()

    assert_message(
        result,
        messages.SUCCESS,
        ja("%(count)d claim changed status.", "%(count)d claims changed status.", 1) % {"count": 1},
    )
    assert_message(result, messages.ERROR, f"#{bare.pk}")
    assert_message(result, messages.ERROR, ja("Verified needs at least one evidence link that supports the statement."))
    refusals = [text for level, text in context_messages(result) if level == messages.ERROR]
    assert any(
        f"#{bare.pk}" in text and ja("Verified needs at least one evidence link that supports the statement.") in text
        for text in refusals
    )
    assert any(f"#{opinion.pk}" in text and ja("skipped: it is marked “not a claim”.") in text for text in refusals), (
        refusals
    )
    assert not any(f"#{ready.pk}" in text for text in refusals)


def test_bulk_status_that_changes_nothing_is_a_warning_not_a_success(as_editor, three):
    ready, bare, opinion = three
    changelist = reverse("admin:claims_claim_changelist")
    _intermediate, result = apply_bulk_status(as_editor, changelist, [bare, opinion], Status.VERIFIED)

    assert_message(result, messages.WARNING, ja("No claim changed status."))
    assert messages.SUCCESS not in levels(result)
    assert "0" not in "".join(text for level, text in context_messages(result) if level == messages.SUCCESS)
    bare.refresh_from_db(), opinion.refresh_from_db()
    assert bare.status == Status.PENDING and opinion.status == Status.PENDING


def test_bulk_status_to_the_status_a_claim_already_has_is_a_warning(as_editor, article):
    claim = make_status(claim_for(article, FUJI), Status.VERIFIED)
    rows = len(history(claim))
    _intermediate, result = apply_bulk_status(
        as_editor, reverse("admin:claims_claim_changelist"), [claim], Status.VERIFIED
    )
    assert_message(result, messages.WARNING, ja("No claim changed status."))
    assert messages.SUCCESS not in levels(result) and messages.ERROR not in levels(result)
    assert len(history(claim)) == rows


def test_bulk_status_on_the_review_queue_renders_its_form_and_applies_the_rules(as_editor, editor, three):
    ready, bare, opinion = three
    queue = reverse("admin:claims_reviewqueueitem_changelist")
    listing = as_editor.get(queue)
    assert listing.status_code == 200
    assert f'value="{opinion.pk}"' not in listing.content.decode(), "not a claim: not in the queue"

    intermediate, result = apply_bulk_status(as_editor, queue, [ready, bare], Status.DISPUTED, note="")
    page = intermediate.content.decode()
    assert escape(ready.statement) in page and escape(bare.statement) in page
    assert reverse("admin:claims_reviewqueueitem_changelist") in page  # the breadcrumbs lead back to the queue

    ready.refresh_from_db(), bare.refresh_from_db()
    # Disputed needs a refuting link or a verdict note: neither claim has one.
    assert ready.status == Status.PENDING and bare.status == Status.PENDING
    refusals = [text for level, text in context_messages(result) if level == messages.ERROR]
    for claim in (ready, bare):
        rules = rule_messages(Status.DISPUTED, stances=list(claim.evidence.values_list("stance", flat=True)))
        assert rules
        for rule in rules:
            assert any(f"#{claim.pk}" in text and rule in text for text in refusals), (rule, refusals)
    assert_message(result, messages.WARNING, ja("No claim changed status."))
    assert messages.SUCCESS not in levels(result)

    # Verified and rated: a decided claim without a rating would stay in the queue ("not rated").
    _intermediate, result = apply_bulk_status(
        as_editor, queue, [ready, bare], Status.VERIFIED, rating=rating("accurate")
    )
    ready.refresh_from_db(), bare.refresh_from_db()
    assert ready.status == Status.VERIFIED and bare.status == Status.PENDING
    assert ready.rating.code == "accurate" and bare.rating is None
    assert history(ready)[-1].via == Via.BULK and history(ready)[-1].user == editor
    assert_message(
        result,
        messages.SUCCESS,
        ja("%(count)d claim changed status.", "%(count)d claims changed status.", 1) % {"count": 1},
    )
    assert_message(result, messages.ERROR, f"#{bare.pk}")
    # The verified claim has left the queue; the refused one is still there.
    queue_page = as_editor.get(queue).content.decode()
    assert f'value="{ready.pk}"' not in queue_page and f'value="{bare.pk}"' in queue_page


def test_bulk_status_action_is_not_offered_to_a_user_who_may_only_view(article):
    viewer = make_user("viewer")
    viewer.user_permissions.add(Permission.objects.get(content_type__app_label="claims", codename="view_claim"))
    client = browser_client(viewer)
    listing = client.get(reverse("admin:claims_claim_changelist"))
    assert listing.status_code == 200
    assert "change_status_action" not in listing.content.decode()


# ---------------------------------------------------------------------------------------------
# 2. Marking statements as not a claim, and as claims again


def apply_mark(client, action, claims):
    response = choose_action(client, reverse("admin:claims_claim_changelist"), action, claims)
    assert response.status_code == 302, response.content.decode()[:2000]
    result = client.get(response["Location"])
    assert result.status_code == 200
    return result


def test_marking_statements_not_a_claim_and_back_reports_counts(as_editor, article):
    fuji, last = claim_for(article, FUJI), claim_for(article, LAST)

    result = apply_mark(as_editor, "mark_not_claim_action", [fuji, last])
    assert_message(result, messages.SUCCESS, ja("Marked as not a claim: %(count)d") % {"count": 2})
    fuji.refresh_from_db(), last.refresh_from_db()
    assert not fuji.is_claim and not last.is_claim

    result = apply_mark(as_editor, "mark_not_claim_action", [fuji, last])
    assert_message(result, messages.WARNING, ja("Nothing changed: they were marked so already."))
    assert messages.SUCCESS not in levels(result)

    result = apply_mark(as_editor, "mark_claim_action", [fuji])
    assert_message(result, messages.SUCCESS, ja("Marked as claims: %(count)d") % {"count": 1})
    fuji.refresh_from_db(), last.refresh_from_db()
    assert fuji.is_claim and not last.is_claim

    result = apply_mark(as_editor, "mark_claim_action", [fuji])
    assert_message(result, messages.WARNING, ja("Nothing changed: they were marked so already."))
    assert messages.SUCCESS not in levels(result)


def test_a_statement_marked_not_a_claim_is_skipped_by_the_bulk_status_action(as_editor, article):
    fuji = claim_for(article, FUJI)
    add_evidence(fuji)
    apply_mark(as_editor, "mark_not_claim_action", [fuji])

    _intermediate, result = apply_bulk_status(
        as_editor, reverse("admin:claims_claim_changelist"), [fuji], Status.VERIFIED
    )
    fuji.refresh_from_db()
    assert fuji.status == Status.PENDING and not fuji.history.filter(via=Via.BULK).exists()
    assert_message(result, messages.ERROR, ja("skipped: it is marked “not a claim”."))
    assert_message(result, messages.WARNING, ja("No claim changed status."))


# ---------------------------------------------------------------------------------------------
# 3. The claim's change form and its evidence inline


def open_change_form(client, claim):
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    return page_form(response, having="loaded_version")


def save_change_form(client, claim, form, **changes):
    return client.post(
        reverse("admin:claims_claim_change", args=[claim.pk]), post_data(form, _save=ja("Save"), **changes), follow=True
    )


def test_editor_adds_a_supporting_link_and_verifies_in_one_save(as_editor, editor, article):
    claim = claim_for(article, FUJI)
    form = open_change_form(as_editor, claim)
    assert form["evidence-TOTAL_FORMS"] == ["1"], "one blank evidence form to fill in"

    result = save_change_form(
        as_editor,
        claim,
        form,
        status=Status.VERIFIED,
        verdict_note="国土地理院の資料で確認。",
        status_note="出典を追加して確認。",
        **{
            "evidence-0-stance": Evidence.Stance.SUPPORTS,
            "evidence-0-url": "https://www.gsi.go.jp/fuji",
            "evidence-0-title": "日本の山の高さ",
        },
    )
    assert result.status_code == 200
    assert result.redirect_chain[-1][0].split("?")[0] == reverse("admin:claims_claim_changelist")
    assert messages.SUCCESS in levels(result) and messages.ERROR not in levels(result)

    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED and claim.verdict_note == "国土地理院の資料で確認。"
    assert list(claim.evidence.values_list("url", "stance")) == [
        ("https://www.gsi.go.jp/fuji", Evidence.Stance.SUPPORTS)
    ]
    rows = history(claim)
    assert [(h.from_status, h.to_status, h.via, h.note, h.user) for h in rows] == [
        (Status.PENDING, Status.VERIFIED, Via.ADMIN, "出典を追加して確認。", editor)
    ]
    # The page the editor comes back to shows the verdict and its one history row.
    page = as_editor.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "https://www.gsi.go.jp/fuji" in page and "出典を追加して確認。" in page


def test_deleting_the_last_supporting_link_of_a_verified_claim_is_refused_on_the_page(as_editor, article):
    claim = make_status(claim_for(article, FUJI), Status.VERIFIED, note="確認済み。")
    link = claim.evidence.get()
    rows, version = len(history(claim)), claim.version
    form = open_change_form(as_editor, claim)
    assert form["evidence-0-id"] == [str(link.pk)]

    response = save_change_form(as_editor, claim, form, **{"evidence-0-DELETE": "on"})
    assert response.status_code == 200
    assert not response.redirect_chain, "the form comes back with the rule"
    page = response.content.decode()
    for rule in rule_messages(Status.VERIFIED, stances=[]):
        assert escape(rule) in page
    assert "errornote" in page

    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED and claim.version == version
    assert list(claim.evidence.values_list("pk", flat=True)) == [link.pk]
    assert len(history(claim)) == rows


def test_a_save_made_after_someone_elses_is_refused_with_the_reload_message(as_editor, article):
    claim = claim_for(article, FUJI)
    form = open_change_form(as_editor, claim)
    edit(claim, verdict_note="別の編集者のメモ。")  # another editor saves meanwhile

    response = save_change_form(as_editor, claim, form, verdict_note="私のメモ。", internal_note="私の内部メモ。")
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("ja"):
        assert escape(str(services.CONCURRENT_EDIT_MESSAGE)) in page
    claim.refresh_from_db()
    assert claim.verdict_note == "別の編集者のメモ。" and claim.internal_note == ""


# ---------------------------------------------------------------------------------------------
# 4. Editing an article's text


def save_article(client, article, body):
    article.refresh_from_db()
    url = reverse("admin:claims_article_change", args=[article.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page_form(page, having="body")
    assert form["body"][0].replace("\r\n", "\n") == article.body, "the form shows the stored text"
    result = client.post(
        url, post_data(form, body=body, correction_note="本文を訂正した。", _save=ja("Save")), follow=True
    )
    assert result.status_code == 200, result.content.decode()[:2000]
    assert result.redirect_chain, "the save went through: " + " ".join(t for _c, t in page_messages(result))
    return result


def test_rewording_a_verified_sentence_sends_its_claim_to_review(as_chief, chief, article):
    fuji = make_status(claim_for(article, FUJI), Status.VERIFIED, note="確認済み。")
    rows = len(history(fuji))
    reworded = "富士山は日本で一番高い山です。"

    result = save_article(as_chief, article, article.body.replace(FUJI, reworded))

    fuji.refresh_from_db()
    assert fuji.status == Status.PENDING and fuji.statement == reworded and fuji.is_anchored
    assert fuji.verdict_note == "確認済み。" and fuji.evidence.count() == 1, "kept for the editor to re-decide"
    new_rows = history(fuji)[rows:]
    assert [(h.from_status, h.to_status, h.via, h.user) for h in new_rows] == [
        (Status.VERIFIED, Status.PENDING, Via.ARTICLE, chief)
    ]
    assert FUJI in new_rows[0].note and reworded in new_rows[0].note
    expected = ja(
        "%(count)d claim’s sentence was reworded, so it went back to review: %(claims)s.",
        "%(count)d claims’ sentences were reworded, so they went back to review: %(claims)s.",
        1,
    ) % {"count": 1, "claims": f"#{fuji.pk}"}
    assert_message(result, messages.WARNING, expected)
    shown = " ".join(text for _level, text in context_messages(result))
    others = [c.pk for c in article.claims.exclude(pk=fuji.pk)]
    assert not any(f"#{pk}" in shown for pk in others), shown


def test_removing_a_sentence_lists_its_claim_as_unanchored(as_chief, article):
    last = claim_for(article, LAST)
    result = save_article(as_chief, article, article.body.replace(LAST, ""))
    last.refresh_from_db()
    assert not last.is_anchored
    expected = ja(
        "%(count)d claim lost its place in the text and is now unanchored; see the review queue: %(claims)s.",
        "%(count)d claims lost their place in the text and are now unanchored; see the review queue: %(claims)s.",
        1,
    ) % {"count": 1, "claims": f"#{last.pk}"}
    assert_message(result, messages.WARNING, expected)
    queue = as_chief.get(reverse("admin:claims_reviewqueueitem_changelist")).content.decode()
    assert f'value="{last.pk}"' in queue


# ---------------------------------------------------------------------------------------------
# 5. Version history and restoring a version


def test_restoring_an_old_version_goes_through_the_workflow(as_editor, editor, article):
    claim = claim_for(article, FUJI)
    add_evidence(claim, url="https://example.com/fuji", title="国土地理院")
    edit(claim, verdict_note="最初のメモ。")
    old = Version.objects.get_for_object(claim).first()
    edit(claim, status=Status.VERIFIED, verdict_note="確認した。")
    assert claim.status == Status.VERIFIED

    page = as_editor.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    assert page.status_code == 200
    restore_url = reverse("admin:claims_claim_revision", args=[claim.pk, old.pk])
    assert restore_url in page.content.decode()
    assert Version.objects.get_for_object(claim).count() >= 2

    page = as_editor.get(restore_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="restore-diff"' in html and 'class="differs"' in html
    assert "確認した。" in html and "最初のメモ。" in html
    form = page_form(page, having="status_note")
    assert form["loaded_version"] == [str(claim.version)]

    result = as_editor.post(restore_url, post_data(form, status_note="確認を取り消す。"), follow=True)
    assert result.status_code == 200
    assert result.redirect_chain[-1][0] == reverse("admin:claims_claim_change", args=[claim.pk])
    assert messages.SUCCESS in levels(result) and messages.ERROR not in levels(result)
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and claim.verdict_note == "最初のメモ。"
    last = history(claim)[-1]
    assert (last.from_status, last.to_status, last.via, last.note, last.user) == (
        Status.VERIFIED,
        Status.PENDING,
        Via.RESTORE,
        "確認を取り消す。",
        editor,
    )


def test_restoring_a_version_brings_its_evidence_back_with_it(as_editor, article):
    claim = claim_for(article, FUJI)
    add_evidence(claim, url="https://example.com/fuji", title="国土地理院")
    edit(claim, status=Status.VERIFIED, verdict_note="確認した。")
    verified = Version.objects.get_for_object(claim).first()
    edit(claim, status=Status.PENDING, evidence=[])  # the link is gone since
    rows, version = len(history(claim)), claim.version

    restore_url = reverse("admin:claims_claim_revision", args=[claim.pk, verified.pk])
    page = as_editor.get(restore_url)
    assert page.status_code == 200 and "https://example.com/fuji" in page.content.decode()
    result = as_editor.post(restore_url, post_data(page_form(page, having="status_note")), follow=True)
    assert result.status_code == 200 and messages.SUCCESS in levels(result)
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED and claim.evidence.get().url == "https://example.com/fuji"
    assert len(history(claim)) == rows + 1 and history(claim)[-1].via == Via.RESTORE
    assert claim.version == version + 1


def test_a_restore_made_after_someone_elses_save_is_refused_and_changes_nothing(as_editor, article):
    claim = claim_for(article, FUJI)
    edit(claim, verdict_note="最初のメモ。")
    old = Version.objects.get_for_object(claim).first()
    edit(claim, verdict_note="二番目のメモ。")
    restore_url = reverse("admin:claims_claim_revision", args=[claim.pk, old.pk])
    form = page_form(as_editor.get(restore_url), having="status_note")
    edit(claim, verdict_note="別の編集者のメモ。")  # saved while the restore page was open
    rows, version = len(history(claim)), claim.version

    result = as_editor.post(restore_url, post_data(form), follow=True)
    assert result.status_code == 200
    with translation.override("ja"):
        assert_message(result, messages.ERROR, str(services.CONCURRENT_EDIT_MESSAGE))
    assert messages.SUCCESS not in levels(result)
    claim.refresh_from_db()
    assert claim.verdict_note == "別の編集者のメモ。" and claim.version == version
    assert len(history(claim)) == rows


def test_restoring_an_article_version_that_rewords_a_claim_records_via_restore(as_chief, chief, article):
    fuji = make_status(claim_for(article, FUJI), Status.VERIFIED, note="確認済み。")
    save_article(as_chief, article, article.body + "\n追加の文です。\n")  # a version with the old wording
    before = Version.objects.get_for_object(article).first()
    article.refresh_from_db()
    save_article(as_chief, article, article.body.replace(FUJI, "富士山は日本で一番高い山です。"))
    fuji = make_status(claim_for(article, "富士山は日本で一番高い山です。"), Status.VERIFIED, note="再確認。")
    rows = len(history(fuji))

    restore_url = reverse("admin:claims_article_revision", args=[article.pk, before.pk])
    page = as_chief.get(restore_url)
    assert page.status_code == 200
    result = as_chief.post(
        restore_url, post_data(page_form(page, having="status_note"), status_note="以前の文言に戻した。"), follow=True
    )
    assert result.status_code == 200 and messages.SUCCESS in levels(result)
    fuji.refresh_from_db()
    assert fuji.statement == FUJI and fuji.status == Status.PENDING
    assert [(h.to_status, h.via) for h in history(fuji)[rows:]] == [(Status.PENDING, Via.RESTORE)]


# ---------------------------------------------------------------------------------------------
# 6. CSV import in the admin


def export_text(queryset=None):
    """An export of the claims as text, without the byte order mark (a spreadsheet drops it)."""
    out = io.StringIO()
    exporting.write_csv(out, exporting.claim_rows(queryset))
    return out.getvalue().removeprefix(csvformat.BOM)


def csv_bytes(rows):
    out = io.StringIO()
    writer = csvformat.CSVWriter(out)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def upload(client, data, name="claims.csv"):
    return upload_csv(client, data, name)


def confirm(client, preview):
    form = page_form(preview, having="import_file_name")
    action = form["__action__"] or reverse("admin:claims_claim_process_import")
    result = client.post(action, post_data(form), follow=True)
    assert result.status_code == 200, result.content.decode()[:3000]
    return result


def import_finished(new, updated, unchanged, proposed=0):
    summary = ja(
        "%(new)d new, %(updated)d updated, %(proposed)d proposed (published once another chief editor "
        "approves), %(unchanged)d unchanged."
    ) % {"new": new, "updated": updated, "proposed": proposed, "unchanged": unchanged}
    return ja("Import finished: %(summary)s") % {"summary": summary}


def test_csv_import_previews_confirms_and_leaves_a_restorable_version(as_chief, chief, article):
    fuji = claim_for(article, FUJI)
    total = article.claims.count()
    rows = [csvformat.COLUMNS]
    for claim in article.claims.order_by("position"):
        cells = csvformat.claim_cells(claim, slug=article.slug, tag_names=[], links=[])
        if claim.pk == fuji.pk:
            cells.update(
                status="検証済み",
                verdict_note="国土地理院の資料で確認。",
                evidence="supports | https://www.gsi.go.jp/fuji | 日本の山の高さ | 国土地理院",
            )
        rows.append([cells[column] for column in csvformat.COLUMNS])

    preview = upload(as_chief, csv_bytes(rows))
    html = preview.content.decode()
    assert "https://www.gsi.go.jp/fuji" in html and "国土地理院の資料で確認。" in html
    fuji.refresh_from_db()
    assert fuji.status == Status.PENDING, "the preview writes nothing"

    result = confirm(as_chief, preview)
    assert_message(result, messages.SUCCESS, import_finished(0, 1, total - 1))
    fuji.refresh_from_db()
    assert fuji.status == Status.VERIFIED and fuji.evidence.get().title == "日本の山の高さ"
    assert [(h.to_status, h.via, h.user) for h in history(fuji)] == [(Status.VERIFIED, Via.IMPORT, chief)]

    imported = Version.objects.get_for_object(fuji).first()  # the newest: the claims were created before
    assert (imported.revision.user, imported.field_dict["status"]) == (chief, Status.VERIFIED)
    assert imported.revision.comment == ja(str(Via.IMPORT.label))
    page = as_chief.get(reverse("admin:claims_claim_revision", args=[fuji.pk, imported.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="restore-diff"' in html and "https://www.gsi.go.jp/fuji" in html
    assert escape(ja("This version is the same as what is stored now: restoring it changes nothing.")) in html
    page_form(page, having="status_note")


def cp932_row_of(text, claim):
    """The spreadsheet row number (header = 1) of ``claim`` in the export ``text``."""

    for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if cells and cells[0] == str(claim.pk):
            return number
    raise AssertionError(f"claim #{claim.pk} is not in the export")


def test_a_shift_jis_file_that_lost_a_character_is_refused_naming_row_column_and_character(as_chief, article):
    fuji = claim_for(article, FUJI)
    edit(
        fuji,
        evidence=[
            *links_of(fuji),
            {
                "stance": Evidence.Stance.SUPPORTS,
                "url": "https://example.com/ai",
                "title": "Opportunities in AI – 2023",
            },
        ],
    )
    version, versions = fuji.version, Version.objects.count()
    text = export_text()
    data = text.encode("cp932", errors="replace")
    assert "Opportunities in AI ? 2023".encode("cp932") in data

    response = upload(as_chief, data, "claims-sjis.csv")
    html = response.content.decode()
    assert "import_file_name" not in html, "no confirm form: the file is refused"
    row = cp932_row_of(text, fuji)
    # The error table: the row as a spreadsheet numbers it, the column, the character and its name.
    cell = re.search(rf"<td>\s*{row}\s*</td>\s*<td>evidence</td>\s*<td>(.*?)</td>", html, flags=re.DOTALL)
    assert cell, f"row {row}, column evidence is not in the error table"
    with translation.override("ja"):
        errors = importing.import_bytes(data, dry_run=True).errors
    assert [(e.row, e.column) for e in errors] == [(row, "evidence")]
    assert "–" in errors[0].message and "EN DASH" in errors[0].message
    assert escape(errors[0].message) in cell.group(1)

    fuji.refresh_from_db()
    assert fuji.version == version and Version.objects.count() == versions
    assert fuji.evidence.get().title == "Opportunities in AI – 2023"


def test_a_shift_jis_file_that_only_swapped_wave_dashes_imports_unchanged(as_chief, article):
    fuji = claim_for(article, FUJI)
    edit(fuji, verdict_note="標高は3,776メートル〜3,777メートル。", internal_note="〜")
    claims = {c.pk: (c.version, c.verdict_note, c.internal_note) for c in article.claims.all()}
    versions = Version.objects.count()
    text = export_text()
    assert "\u301c" in text
    data = text.replace("\u301c", "\uff5e").encode("cp932")  # strict: nothing else is lost

    preview = upload(as_chief, data, "claims-sjis.csv")
    result = confirm(as_chief, preview)
    assert_message(result, messages.SUCCESS, import_finished(0, 0, len(claims)))
    assert {c.pk: (c.version, c.verdict_note, c.internal_note) for c in article.claims.all()} == claims
    assert Version.objects.count() == versions
