"""The claim admin as an editor uses it: evidence and verdicts with their rules, history that
cannot be edited, the list's filters and search, the review queue, concurrent saves refused."""

import importlib

import lxml.html
import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.urls import reverse

from claims import services
from claims.models import Claim, Evidence, StatusChange
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import add_evidence, claim_for, make_article, make_user, rating

pytestmark = pytest.mark.django_db
Status = Claim.Status


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def claim_post(claim, evidence=(), **overrides):
    """The change form's POST, as the browser sends it, with the given new evidence rows."""
    existing = list(claim.evidence.all())
    data = {
        "article": claim.article_id,
        "statement": claim.statement,
        "is_claim": "on" if claim.is_claim else "",
        "status": claim.status,
        "status_note": "",
        "verdict_note": claim.verdict_note,
        "internal_note": claim.internal_note,
        "as_of": claim.as_of or "",
        "recheck_after": claim.recheck_after or "",
        "tags": ", ".join(claim.tags.names()),
        "loaded_version": claim.version,
        "evidence-TOTAL_FORMS": len(existing) + len(evidence),
        "evidence-INITIAL_FORMS": len(existing),
        "evidence-MIN_NUM_FORMS": 0,
        "evidence-MAX_NUM_FORMS": 1000,
        "history-TOTAL_FORMS": 0,
        "history-INITIAL_FORMS": 0,
        "history-MIN_NUM_FORMS": 0,
        "history-MAX_NUM_FORMS": 1000,
    }
    for i, item in enumerate(existing):
        data.update({f"evidence-{i}-id": item.pk, f"evidence-{i}-claim": claim.pk, f"evidence-{i}-url": item.url})
        data.update({f"evidence-{i}-title": item.title, f"evidence-{i}-stance": item.stance})
    for i, item in enumerate(evidence, start=len(existing)):
        data.update({f"evidence-{i}-{key}": value for key, value in item.items()})
        data[f"evidence-{i}-claim"] = claim.pk
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


SOURCE = {"stance": "supports", "url": "https://www.example.com/fuji", "title": "国土地理院", "publisher": "GSI"}


def test_migrate_creates_the_editor_roles():
    # A transactional test may have flushed what the migration made: run the migration's step again.
    importlib.import_module("claims.migrations.0002_roles").create_roles(django_apps, None)
    editors = Group.objects.get(name=EDITORS)
    codes = set(editors.permissions.values_list("codename", flat=True))
    assert {"change_claim", "add_evidence", "view_statuschange"} <= codes
    assert "import_claim" not in codes and "delete_claim" not in codes
    assert Group.objects.get(name=CHIEF_EDITORS).permissions.filter(codename="import_claim").exists()


def test_editor_attaches_evidence_and_verifies_and_sees_the_history(client, signed_in_editor, claim):
    response = client.post(
        change_url(claim), claim_post(claim, [SOURCE], status="verified", status_note="国土地理院で確認"), follow=True
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED
    assert claim.evidence.get().url == SOURCE["url"]
    row = claim.history.get()
    assert (row.to_status, row.user, row.via, row.note) == (
        Status.VERIFIED,
        signed_in_editor,
        StatusChange.Via.ADMIN,
        "国土地理院で確認",
    )
    page = client.get(change_url(claim)).content.decode()
    assert "国土地理院で確認" in page  # the history row, shown read-only on the claim's page


def test_verified_without_support_is_refused_with_the_rule(client, signed_in_editor, claim):
    response = client.post(change_url(claim), claim_post(claim, status="verified"))
    assert response.status_code == 200
    assert "supports the statement" in response.content.decode() or "裏付け" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.PENDING
    assert not claim.history.exists()


def test_javascript_url_is_refused_in_the_evidence_inline(client, signed_in_editor, claim):
    bad = {**SOURCE, "url": "javascript:alert(1)"}
    response = client.post(change_url(claim), claim_post(claim, [bad], status="verified"))
    assert response.status_code == 200
    assert not Evidence.objects.exists()
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["url"]


def test_a_save_without_status_change_writes_no_history(client, signed_in_editor, claim):
    client.post(change_url(claim), claim_post(claim, verdict_note="メモを追加"), follow=True)
    claim.refresh_from_db()
    assert claim.verdict_note == "メモを追加"
    assert not claim.history.exists()


def test_the_later_of_two_concurrent_saves_is_refused(client, signed_in_editor, claim):
    loaded = claim_post(claim)  # both editors opened version 1
    client.post(change_url(claim), {**loaded, "verdict_note": "最初の編集者"}, follow=True)
    response = client.post(change_url(claim), {**loaded, "verdict_note": "二番目の編集者"})
    assert response.status_code == 200
    assert "reload the page" in response.content.decode() or "再読み込み" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verdict_note == "最初の編集者"


def test_bulk_status_change_refuses_per_claim_with_the_reason(client, signed_in_editor, article, claim):
    other = claim_for(article, "最後の文です。")
    add_evidence(other)
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {
            "action": "change_status_action",
            "_selected_action": [claim.pk, other.pk],
            "apply": "1",
            "status": "verified",
            "note": "一括",
        },
        follow=True,
    )
    page = response.content.decode()
    other.refresh_from_db()
    claim.refresh_from_db()
    assert other.status == Status.VERIFIED and other.history.get().via == StatusChange.Via.BULK
    assert claim.status == Status.PENDING
    assert f"#{claim.pk}" in page


def test_claim_list_filters_and_search(client, signed_in_editor, article, claim):
    claim.recheck_after = "2001-01-01"
    claim.save()
    claim.tags.add("地理")
    url = reverse("admin:claims_claim_changelist")
    for query, expected in [
        ({"due": "yes"}, 1),
        ({"evidence": "none"}, article.claims.count()),
        ({"tags__id__exact": claim.tags.get().pk}, 1),
        ({"section": "第二章"}, 2),
        ({"q": "富士山"}, 1),
        ({"status__exact": "verified"}, 0),
        ({"is_anchored__exact": "0"}, 0),
    ]:
        response = client.get(url, query)
        assert response.status_code == 200, query
        assert response.context["cl"].result_count == expected, query


def test_review_queue_lists_what_needs_an_editor(client, signed_in_editor, article, claim):
    add_evidence(claim)
    # A verified claim that is not rated yet is listed ("decided but not rated"); once rated it is not.
    services.claim_change_status(claim=claim, to=Status.VERIFIED, via=StatusChange.Via.COMMAND)
    response = client.get(reverse("admin:claims_reviewqueueitem_changelist"))
    assert claim.pk in set(response.context["cl"].result_list.values_list("pk", flat=True))
    services.claim_change_status(
        claim=claim, to=Status.VERIFIED, via=StatusChange.Via.COMMAND, rating=rating("accurate")
    )
    response = client.get(reverse("admin:claims_reviewqueueitem_changelist"))
    listed = set(response.context["cl"].result_list.values_list("pk", flat=True))
    assert claim.pk not in listed and len(listed) == article.claims.count() - 1
    claim.recheck_after = "2001-01-01"
    claim.save()
    response = client.get(reverse("admin:claims_reviewqueueitem_changelist"))
    assert claim.pk in set(response.context["cl"].result_list.values_list("pk", flat=True))


def test_history_cannot_be_edited_or_deleted_in_the_admin(client, article, claim):
    client.force_login(make_user("root", superuser=True))
    add_evidence(claim)
    services.claim_change_status(claim=claim, to=Status.VERIFIED, via=StatusChange.Via.COMMAND)
    row = claim.history.get()
    assert client.get(reverse("admin:claims_statuschange_change", args=[row.pk])).status_code == 200
    client.post(reverse("admin:claims_statuschange_change", args=[row.pk]), {"note": "改竄"})
    assert client.post(reverse("admin:claims_statuschange_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.note == ""
    assert client.get(reverse("admin:claims_statuschange_add")).status_code == 403


def test_editor_cannot_delete_claims(client, signed_in_editor, claim):
    assert client.post(reverse("admin:claims_claim_delete", args=[claim.pk]), {"post": "yes"}).status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_article_page_shows_coverage_and_editing_reanchors(client, article, claim):
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    url = reverse("admin:claims_article_change", args=[article.pk])
    page = client.get(url).content.decode()
    assert "Statements not yet decided" in page or "未決定" in page
    data = {
        "title": article.title,
        "slug": article.slug,
        "lead": article.lead,
        "body": article.body.replace("富士山は日本一高い山です。", ""),
        "language": "ja",
        "is_published": "on",
    }
    refused = client.post(url, data)  # a published article's text: the correction note is asked for
    assert refused.status_code == 200 and "correction_note" in refused.context["adminform"].form.errors
    data["correction_note"] = "富士山の文を削除した。"
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    claim.refresh_from_db()
    assert not claim.is_anchored
    assert "unanchored" in response.content.decode() or "位置" in response.content.decode()


def test_admin_speaks_japanese_by_default_and_english_on_request(client, signed_in_editor):
    assert "サイト管理" in client.get(reverse("admin:index")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/admin/"})
    assert "Site administration" in client.get(reverse("admin:index")).content.decode()


def test_the_section_filter_sorts_sections_by_their_numbers(client, signed_in_editor):
    body = "".join(f"## 第{n}節\n\n第{n}節の文です。\n\n" for n in (1, 2, 10))
    make_article(slug="sections", body=body)
    page = lxml.html.fromstring(client.get(reverse("admin:claims_claim_changelist")).content.decode())
    [section_filter] = [
        details for details in page.cssselect("#changelist-filter details") if "節" in details.get("data-filter-title")
    ]
    choices = [link.text_content().strip() for link in section_filter.cssselect("li a")][1:]
    assert choices == ["第1節", "第2節", "第10節"]
