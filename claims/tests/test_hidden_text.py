"""Invisible characters, markup and formulas through every entry point (the claim form, the bulk
action, the import command): refused with the character named, or stored and shown inert; never a
500, nothing half-written.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from claims.models import Claim, StatusChange
from claims.roles import EDITORS
from claims.tests.factories import (
    add_evidence,
    csv_bytes,
    csv_row,
    database_state,
    edit,
    make_article,
    make_user,
    page_data,
)
from claims.validators import validate_visible_text

pytestmark = pytest.mark.django_db

FUJI = "富士山は日本一高い山です。"


def reader():
    return Client(raise_request_exception=False)


# History notes, and characters that show nothing

HIDDEN = {
    "U+202E": "\u202e",
    "U+200B": "\u200b",
    "U+2060": "\u2060",
    "U+061C": "\u061c",
    "U+3164": "\u3164",
    "U+00AD": "\u00ad",
    "U+FEFF": "\ufeff",
    "U+0007": "\x07",
    "U+2028": "\u2028",
}


@pytest.mark.parametrize("code", HIDDEN)
def test_the_validator_names_every_invisible_character(code):
    with pytest.raises(Exception) as refused:
        validate_visible_text(f"確認した{HIDDEN[code]}。")
    assert refused.value.code == "hidden_characters"
    assert code in " ".join(refused.value.messages)


@pytest.mark.parametrize("text", ["普通の文。", "tab\tand\r\nlines", "👨‍👩‍👧 家族", "\u200e左から右"])
def test_the_validator_lets_ordinary_text_through(text):
    validate_visible_text(text)


@pytest.fixture
def editor_client():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("editor", groups=[EDITORS]))
    return client


@pytest.mark.parametrize("code", ["U+202E", "U+200B", "U+0007"])
def test_the_claim_forms_history_note_refuses_hidden_characters(editor_client, code):
    claim = make_article().claims.first()
    add_evidence(claim)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(editor_client.get(url))
    before = database_state()
    data.update(status=Claim.Status.VERIFIED, status_note=f"出典で確認{HIDDEN[code]}した。")
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert code in str(response.context["adminform"].form.errors["status_note"])
    assert database_state() == before


@pytest.mark.parametrize("code", ["U+202E", "U+200B", "U+0007"])
def test_the_bulk_actions_history_note_refuses_hidden_characters(editor_client, code):
    claim = make_article().claims.first()
    add_evidence(claim)
    changelist = reverse("admin:claims_claim_changelist")
    assert editor_client.get(changelist).status_code == 200
    chosen = {"action": "change_status_action", "_selected_action": [str(claim.pk)], "index": "0"}
    assert editor_client.post(changelist, chosen).status_code == 200
    before = database_state()
    response = editor_client.post(
        changelist,
        {**chosen, "status": Claim.Status.VERIFIED, "note": f"一括{HIDDEN[code]}", "apply": "1"},
    )
    assert response.status_code == 200
    assert code in response.content.decode()
    assert database_state() == before


def test_the_feed_and_the_claim_page_survive_any_stored_history_note(home):
    add_evidence(home)
    edit(home, status=Claim.Status.VERIFIED)
    hostile = "".join(HIDDEN.values()) + "\x01\x1b[31m\uffff<b>太字</b>"  # no NUL: PostgreSQL refuses it in text itself
    StatusChange.objects.filter(claim=home).update(note=hostile)  # stored before the validator
    client = reader()
    feed = client.get("/feed/")
    assert feed.status_code == 200
    import xml.etree.ElementTree as ET

    ET.fromstring(feed.content)
    page = client.get(reverse("claims:claim", args=[home.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for char in HIDDEN.values():
        assert char not in text
    assert "<b>太字</b>" not in text and "&lt;b&gt;太字&lt;/b&gt;" in text


# The corpus, through every entry point: refused with a named reason, or stored and inert; never
# a 500, nothing half-written.

INVISIBLE_PAYLOADS = {code: f"確認{char}した。" for code, char in HIDDEN.items() if code != "U+2028"}
INERT_PAYLOADS = [
    '<script>alert("x")</script>',
    '=HYPERLINK("http://evil.example/","x")',
    "＝1+1",
    " =1+1",
    "\u3000=1",
    "'; DROP TABLE claims_claim; --",
    "https://169.254.169.254/latest/",
]


def assert_inert(client, claim, payload):
    for url in (reverse("claims:claim", args=[claim.pk]), "/claims/", "/feed/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.content.decode(), url


@pytest.mark.parametrize("code", INVISIBLE_PAYLOADS)
@pytest.mark.parametrize("field", ["verdict_note", "internal_note", "status_note"])
def test_admin_claim_form_refuses_invisible_text_by_name(editor_client, field, code):
    claim = make_article().claims.first()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(editor_client.get(url))
    before = database_state()
    response = editor_client.post(url, {**data, field: INVISIBLE_PAYLOADS[code]})
    assert response.status_code == 200
    assert code in str(response.context["adminform"].form.errors.get(field))
    assert database_state() == before


@pytest.mark.parametrize("payload", INERT_PAYLOADS)
def test_admin_claim_form_stores_markup_and_formulas_inert(editor_client, payload):
    claim = make_article().claims.first()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(editor_client.get(url))
    response = editor_client.post(url, {**data, "verdict_note": payload, "internal_note": payload})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.verdict_note == payload.strip()  # form fields are trimmed
    assert_inert(reader(), claim, payload)
    export = editor_client.get(reverse("admin:claims_claim_changelist"))
    assert export.status_code == 200


@pytest.mark.parametrize("code", INVISIBLE_PAYLOADS)
def test_the_import_command_refuses_invisible_text_by_name_and_writes_nothing(tmp_path, code):
    make_article(claims=False)
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([csv_row(statement=FUJI, verdict_note=INVISIBLE_PAYLOADS[code])]))
    before = database_state()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_claims", str(path), stdout=out, stderr=err)
    assert code in out.getvalue() + err.getvalue()
    assert database_state() == before


@pytest.mark.parametrize("payload", INERT_PAYLOADS)
def test_the_import_command_stores_markup_and_formulas_inert(tmp_path, payload):
    article = make_article(claims=False)
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([csv_row(statement=FUJI, verdict_note=payload, tags="!!!")]))
    call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    claim = article.claims.get(statement=FUJI)
    assert claim.verdict_note == payload  # the formula escaping round-trips exactly
    assert_inert(reader(), claim, payload)
