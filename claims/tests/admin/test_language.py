"""The Japanese admin has no English left: the libraries' apps, models, columns, filters and
states through our catalogue (claims/admin/third_party_strings.py, claims/apps.py,
claims/admin/libraries.py), the role groups shown by their Japanese names, history messages from
our own verbose names, and the import command in the terminal's language."""

import io
import re

import lxml.html
import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from claims.models import Evidence
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import add_evidence, claim_for, csv_bytes, csv_row, make_article, make_user

pytestmark = pytest.mark.django_db

ENGLISH_NAMES = [
    "Axes",
    "Taggit",
    "Tasks Database Backend",
    "Task Results",
    "Task Result",
    "Task name",
    "Enqueued at",
    "Ready",
    "Running",
    "Failed",
    "Successful",
    "priority",
    "queue name",
    "Locked Out",
    "Editors",
    "Chief editors",
]


@pytest.fixture
def root():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("root", superuser=True))
    client.cookies["django_language"] = "ja"
    return client


def shown_text(response, selector="#content, #nav-sidebar, #changelist-filter"):
    assert response.status_code == 200, response.status_code
    page = lxml.html.fromstring(response.content.decode())
    for hidden in page.cssselect("script, template, input, .hidden, [hidden]"):
        hidden.drop_tree()
    return " ".join(node.text_content() for node in page.cssselect(selector))


def english_left(text):
    return [name for name in ENGLISH_NAMES if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]


def test_the_japanese_admin_index_and_sidebar_show_no_english_app_or_model_name(root):
    text = shown_text(root.get(reverse("admin:index")))
    assert english_left(text) == []
    for japanese in ("ログイン保護", "バックグラウンド処理", "処理結果", "タグ", "主張デスク"):
        assert japanese in text


def test_the_task_results_list_is_japanese_with_a_row_in_it(root):
    DBTaskResult.objects.create(
        task_path="claims.tasks.import_claims", args_kwargs={"args": [], "kwargs": {}}, backend_name="default"
    )
    text = shown_text(root.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")))
    assert english_left(text) == []
    for japanese in (
        "処理名",
        "登録日時",
        "待機中",
        "実行中",
        "失敗",
        "成功",
        "優先度 で絞り込む",
        "キュー名 で絞り込む",
    ):
        assert japanese in text


def test_the_lockout_list_is_japanese(root):
    AccessAttempt.objects.create(username="someone", ip_address="203.0.113.9", failures_since_start=10)
    text = shown_text(root.get(reverse("admin:axes_accessattempt_changelist")))
    assert english_left(text) == [] and "ロック中" in text


def test_role_groups_are_shown_by_their_japanese_names(root):
    text = shown_text(root.get(reverse("admin:auth_group_changelist")))
    assert english_left(text) == [] and "編集者" in text and "編集長" in text
    user = make_user("hanako", groups=[EDITORS])
    form = shown_text(root.get(reverse("admin:auth_user_change", args=[user.pk])), "#id_groups")
    assert "編集者" in form and "編集長" in form and "Editors" not in form
    users = shown_text(root.get(reverse("admin:auth_user_changelist")))
    assert "編集長" in users and english_left(users) == []
    assert CHIEF_EDITORS == "Chief editors"  # stored names stay: claims/roles.py finds the groups by them


def test_a_history_message_names_fields_by_our_verbose_names(root):
    article = make_article()
    claim = claim_for(article, "最後の文です。")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    page = lxml.html.fromstring(root.get(url).content.decode())
    [form] = [form for form in page.forms if form.get("id") == "claim_form"]
    data = dict(form.form_values())
    data.pop("is_claim", None)  # untick "is a claim"
    data["_save"] = "1"
    response = root.post(url, data)
    assert response.status_code == 302, shown_text(response, ".errornote, .errorlist")
    entry = LogEntry.objects.filter(object_id=str(claim.pk)).latest("action_time")
    with translation.override("ja"):
        message = entry.get_change_message()
    assert "主張である" in message and "Is a claim" not in message


def test_import_claims_speaks_the_terminals_language(tmp_path, monkeypatch):
    make_article(claims=False)
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([csv_row(statement="最後の文です。")]))
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    out = io.StringIO()
    call_command("import_claims", str(path), "--dry-run", stdout=out)
    assert "すべての行が有効です" in out.getvalue() and "新規1件" in out.getvalue()
    assert "would import" not in out.getvalue()
    monkeypatch.setenv("LANG", "C.UTF-8")
    out = io.StringIO()
    call_command("import_claims", str(path), "--dry-run", stdout=out)
    assert "would import 1 new, 0 updated, 0 proposed (published once another chief editor approves), 0 unchanged" in (
        out.getvalue()
    )


def test_the_api_pages_annotation_terms_are_japanese(client):
    client.cookies["django_language"] = "ja"
    page = lxml.html.fromstring(client.get(reverse("api:docs")).content.decode())
    [terms] = page.cssselect("section[aria-labelledby=terms] dl")
    text = terms.text_content()
    assert "主張の検証状況" in text and "検証済み" in text and "証拠ページのアーカイブ版" in text
    assert "The claim's status" not in text and "An archived copy" not in text
    assert page.cssselect("#term-verified") and page.cssselect("#term-refutes")


def test_an_evidence_rows_history_message_names_its_fields_by_our_verbose_names(root):
    article = make_article()
    claim = claim_for(article, "最後の文です。")
    add_evidence(claim, title="古い題")
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    page = lxml.html.fromstring(root.get(url).content.decode())
    [form] = [form for form in page.forms if form.get("id") == "claim_form"]
    data = dict(form.form_values())
    data["evidence-0-title"] = "新しい題"
    data["_save"] = "1"
    response = root.post(url, data)
    assert response.status_code == 302, shown_text(response, ".errornote, .errorlist")
    entry = LogEntry.objects.filter(object_id=str(claim.pk)).latest("action_time")
    with translation.override("ja"):
        message = entry.get_change_message()
    title = str(Evidence._meta.get_field("title").verbose_name)
    assert title in message and "Title" not in message, message
