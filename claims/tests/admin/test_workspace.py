"""The editors' workspace as an editor sees it (issue 15): tags typed the Japanese way, refused saves
named where the eye is, dates as editors write them, a list to triage, the anchor's place."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from claims.csv.format import parse_date
from claims.models import Claim, Evidence
from claims.tests.factories import add_evidence, claim_for, make_article, make_user, make_verified, page_data
from claims.tests.pages import page_form, parse, post_data

pytestmark = pytest.mark.django_db
Status = Claim.Status


@pytest.fixture
def as_editor(editor):
    """A browser signed in as the editor of conftest.py."""
    client = Client(raise_request_exception=False)
    client.force_login(editor)
    return client


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def text_of(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------------------------------------
# 1. Tags as Japanese is typed


def test_japanese_commas_separate_tags_in_the_admin_as_in_the_csv(as_editor, claim):
    form = page_form(as_editor.get(change_url(claim)), having="tags")
    response = as_editor.post(change_url(claim), post_data(form, tags="研究史、日本，モデル, 研究史"))
    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert sorted(claim.tags.names()) == ["モデル", "日本", "研究史"]
    # The form shows them back so that saving again changes nothing.
    form = page_form(as_editor.get(change_url(claim)), having="tags")
    assert form["tags"] == ["モデル、日本、研究史"]
    as_editor.post(change_url(claim), post_data(form))
    assert sorted(claim.tags.names()) == ["モデル", "日本", "研究史"]


def test_the_tag_autocomplete_splits_on_japanese_commas(as_editor, claim):
    page = as_editor.get(change_url(claim)).content.decode()
    assert "admin-extra/tags.js" in page and 'data-tag-input="1"' in page
    from django.contrib.staticfiles import finders

    with open(finders.find("admin-extra/tags.js"), encoding="utf-8") as file:
        script = file.read()
    assert "[,、，]" in script


# ---------------------------------------------------------------------------------------------
# 2. Errors where the eye is


def test_a_refused_save_names_the_rule_at_the_top_and_beside_the_status(as_editor, claim):
    form = page_form(as_editor.get(change_url(claim)), having="status")
    response = as_editor.post(change_url(claim), post_data(form, status="verified"))
    assert response.status_code == 200
    page = response.content.decode()
    rule = response.context["inline_admin_formsets"][0].formset.non_form_errors()[0]
    # At the top of the form, before the first fieldset.
    top = page[: page.index("<fieldset")]
    assert rule in text_of(top)
    # In the status field's row.
    status_row = re.search(r'<div class="form-row[^"]*field-status[^"]*">(.*?)</div>\s*</div>', page, re.S)
    assert status_row and rule in text_of(status_row.group(1))
    claim.refresh_from_db()
    assert claim.status == Status.PENDING


def test_a_new_evidence_row_starts_with_the_stance_the_status_needs(as_editor, claim):
    make_verified(claim)
    response = as_editor.get(change_url(claim))
    extra = response.context["inline_admin_formsets"][0].formset.forms[-1]
    assert not extra.instance.pk
    assert extra["stance"].value() == Evidence.Stance.SUPPORTS
    assert re.search(r'<option value="supports" selected>', response.content.decode())
    # Saving the page untouched does not turn the blank row into a link.
    response = as_editor.post(change_url(claim), page_data(response))
    assert response.status_code == 302
    assert claim.evidence.count() == 1


def test_the_blank_row_the_script_followed_to_the_new_status_counts_as_untouched(as_editor, claim):
    add_evidence(claim, stance=Evidence.Stance.SUPPORTS)
    response = as_editor.get(change_url(claim))
    data = page_data(response)
    blank = int(data["evidence-TOTAL_FORMS"]) - 1
    # The editor picks verified; claim-form.js sets the blank row's stance to supports.
    data.update({"status": "verified", f"evidence-{blank}-stance": "supports"})
    response = as_editor.post(change_url(claim), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED and claim.evidence.count() == 1


def test_a_pending_claim_keeps_the_ordinary_default_stance(as_editor, claim):
    extra = as_editor.get(change_url(claim)).context["inline_admin_formsets"][0].formset.forms[-1]
    assert extra["stance"].value() == Evidence.Stance.CONTEXT


def test_the_claim_form_gives_its_script_the_stored_status_and_note(as_editor, claim):
    page = as_editor.get(change_url(claim)).content.decode()
    assert "admin-extra/claim-form.js" in page
    assert '"verified": "supports"' in page  # the stances the script applies
    assert '<script id="claim-stored" type="application/json">' in page
    assert '"status": "pending"' in page and '"asked": false' in page


NOTE_QUESTION = "公開の判定メモは変更されていません"


def test_an_untouched_note_is_asked_about_only_once_a_save_would_go_through(as_editor, claim):
    data = page_data(as_editor.get(change_url(claim)))
    blank = int(data["evidence-TOTAL_FORMS"]) - 1
    # verified without a supporting link: the rule is named, and no question comes before it.
    data.update({"status": "verified", "note_unchanged": "ask"})
    refused = as_editor.post(change_url(claim), data)
    assert refused.status_code == 200
    assert NOTE_QUESTION not in refused.content.decode() and "claim-stored" in refused.content.decode()
    # With the link the save would go through: the question, once, and nothing is saved.
    data.update({f"evidence-{blank}-stance": "supports", f"evidence-{blank}-url": "https://example.com/a"})
    asked = as_editor.post(change_url(claim), data)
    assert asked.status_code == 200 and NOTE_QUESTION in asked.content.decode()
    assert '"asked": true' in asked.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and not claim.evidence.exists()
    # Saving again (the script sends no question on the question's page) saves.
    del data["note_unchanged"]
    assert as_editor.post(change_url(claim), data).status_code == 302
    assert claim.evidence.count() == 1


def test_a_touched_note_or_no_script_is_never_asked(as_editor, claim):
    data = page_data(as_editor.get(change_url(claim)))
    blank = int(data["evidence-TOTAL_FORMS"]) - 1
    data.update(
        {
            "status": "verified",
            "verdict_note": "出典で確認した。",
            "note_unchanged": "ask",
            f"evidence-{blank}-stance": "supports",
            f"evidence-{blank}-url": "https://example.com/a",
        }
    )
    assert as_editor.post(change_url(claim), data).status_code == 302


# ---------------------------------------------------------------------------------------------
# 3. CSV dates as editors write them


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2023-10-05", datetime.date(2023, 10, 5)),
        ("2023/10/5", datetime.date(2023, 10, 5)),
        ("2023-10", datetime.date(2023, 10, 1)),
        ("2023年10月", datetime.date(2023, 10, 1)),
        ("2023年10月1日", datetime.date(2023, 10, 1)),
        ("２０２３年１０月５日", datetime.date(2023, 10, 5)),
    ],
)
def test_dates_are_read_as_editors_write_them(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["2023年13月", "2023-02-30", "昨日", "10月"])
def test_a_date_that_is_none_says_which_forms_are_read(cell):
    with pytest.raises(ValueError, match="2023年10月"):
        parse_date(cell)


# ---------------------------------------------------------------------------------------------
# 5. A list to triage; 6. the anchor's place


def test_the_claim_list_shows_kind_and_flags_only_what_is_due(as_editor, claim, article):
    not_due = claim_for(article, "東京は日本の首都です。")
    Claim.objects.filter(pk=claim.pk).update(recheck_after=datetime.date(2000, 1, 1))
    Claim.objects.filter(pk=not_due.pk).update(is_claim=False)
    as_editor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = as_editor.get(reverse("admin:claims_claim_changelist"))
    page = response.content.decode()
    assert "column-kind" in page
    assert "icon-no.svg" not in page  # no red ✗ for a claim that is merely not due
    assert page.count('class="due-now"') == 1
    assert "not a claim" in text_of(page)
    assert 'class="statement-cell"' in page


def test_the_anchor_reads_as_paragraph_and_sentence(as_editor, claim):
    as_editor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text_of(as_editor.get(change_url(claim)).content.decode())
    assert "paragraph 1, sentence 2" in page
    assert "offset" not in page


def test_parse_helper_reads_the_change_form(as_editor, claim):
    assert parse(as_editor.get(change_url(claim))).forms


# ---------------------------------------------------------------------------------------------
# 4. The CSV preview


@pytest.fixture
def as_chief(chief):
    """A browser signed in as the chief editor of conftest.py, in Japanese."""
    client = Client(raise_request_exception=False)
    client.force_login(chief)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    return client


def upload(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"format": "0", "resource": "0", "import_file": SimpleUploadedFile("claims.csv", data)}


def test_the_import_preview_prints_each_error_as_row_column_and_reason_in_japanese(as_chief, article):
    from claims.tests.factories import csv_bytes, csv_row

    data = csv_bytes([csv_row(statement="富士山は日本一高い山です。", status="done", as_of="昨日")])
    response = as_chief.post(reverse("admin:claims_claim_import"), upload(data))
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('<table class="import-errors">') : page.index("</table>", page.index("import-errors"))]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table, re.S)
    assert {(number, column) for number, column, _reason in rows} == {("2", "status"), ("2", "as_of")}
    reasons = " ".join(reason for _n, _c, reason in rows)
    assert "昨日" in reasons and "done" in reasons
    assert "日付ではありません" in reasons or "2023年10月" in reasons  # the reason, in Japanese
    assert "validation-error-container" not in page  # not only in a hover tooltip
    assert not Claim.objects.filter(status="done").exists()


def test_the_import_preview_shows_a_changed_cell_as_a_character_diff(as_chief, article, claim):
    from claims.csv.exporting import claim_rows
    from claims.tests.factories import csv_bytes

    long_note = "富士山の標高は国土地理院の資料で三七七六メートルと確認した。" * 3
    Claim.objects.filter(pk=claim.pk).update(verdict_note=long_note)
    rows = list(claim_rows(Claim.objects.filter(pk=claim.pk)))
    header, cells = rows[0], dict(zip(rows[0], rows[1], strict=True))
    cells["verdict_note"] = long_note.replace("三七七六", "3776", 1)
    response = as_chief.post(reverse("admin:claims_claim_import"), upload(csv_bytes([cells], header=header)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<del>三七七六</del><ins>3776</ins>" in page
    diff = re.search(r'<span class="char-diff">(.*?)</span>', page, re.S).group(1)
    assert "…" in diff and len(text_of(diff)) < len(long_note)  # not the whole old and new paragraph
    # The headings are the columns' names as editors read them.
    assert '<th scope="col">判定メモ</th>' in page
    assert 'class="import-preview claims-import-preview"' in page


# ---------------------------------------------------------------------------------------------
# 6. Japanese throughout: the libraries' screens


def _library_msgids(package, language):
    from pathlib import Path

    module = __import__(package)
    po = Path(module.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.po"
    return set(re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), re.M))


@pytest.mark.parametrize("package", ["axes", "reversion"])
def test_every_string_of_the_lockout_and_recovery_screens_is_kept_for_our_catalogue(package):
    from pathlib import Path

    import claims.admin.third_party_strings as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    calls = re.findall(r'gettext_noop\(\s*(?:"(.*?)"|\'(.*?)\')\s*,?\s*\)', source)
    kept = {double or single for double, single in calls}
    ours = Path(settings.BASE_DIR, "locale", "ja", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    needed = _library_msgids(package, "de") - {"DATETIME_FORMAT"}
    missing = {msgid for msgid in needed if msgid not in kept and f'msgid "{msgid}"' not in ours}
    assert not missing


# ---------------------------------------------------------------------------------------------
# 7. A usable slug for a Japanese title


def test_a_new_article_gets_no_slug_made_from_its_japanese_title_but_a_hint():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("root", superuser=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("admin:claims_article_add"))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-prepopulated-fields="[]"' in page  # nothing is filled in from the title
    slug = re.search(r'<input[^>]*name="slug"[^>]*>', page).group(0)
    assert 'placeholder="hundred-model-war"' in slug and "value=" not in slug
    assert "/articles/hundred-model-war/" in text_of(page)


def test_the_evidence_date_is_not_labelled_like_a_published_article(as_editor, claim):
    as_editor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = as_editor.get(change_url(claim)).content.decode()
    label = re.search(r'<label for="id_evidence-0-published">(.*?)</label>', page).group(1)
    assert "Date of the source" in label


# ---------------------------------------------------------------------------------------------
# 7. Setup


def test_the_development_server_prints_each_warning_once(capsys):
    import logging

    from django.test import override_settings
    from django.utils.log import configure_logging

    try:
        with override_settings(DEBUG=True):
            configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
            logging.getLogger("django.request").warning("Not Found: /nowhere/")
            logging.getLogger("django.server").info('"GET /nowhere/ HTTP/1.1" 404 179')
        printed = capsys.readouterr().err.splitlines()
    finally:
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    assert printed.count("Not Found: /nowhere/") == 1
    assert sum('"GET /nowhere/ HTTP/1.1" 404' in line for line in printed) == 1


def test_dev_py_prod_says_how_to_get_an_admin_account():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dev", settings.BASE_DIR / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    hint = dev.prod_admin_hint(dict(dev.PROD_ENV))
    assert "http://127.0.0.1:8000/admin/" in hint
    assert f"DATABASE_URL={dev.PROD_ENV['DATABASE_URL']} .venv/bin/python manage.py createsuperuser" in hint


# ---------------------------------------------------------------------------------------------
# 5. The article editor


def test_the_article_editor_previews_a_draft_at_its_address():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("root", superuser=True))
    draft = make_article(slug="draft-essay", published=False)
    page = client.get(reverse("admin:claims_article_change", args=[draft.pk])).content.decode()
    link = re.search(r'<a href="(/articles/draft-essay/)" target="_blank" rel="noopener">', page)
    assert link
    preview = client.get(link.group(1))
    assert preview.status_code == 200 and 'class="draft-banner"' in preview.content.decode()
    assert Client().get(link.group(1)).status_code == 404
