"""Import and export in the admin (claims/admin/importexport.py): the preview, the confirmation,
errors on the page, who may import or export, and the streamed export.
"""

import csv
import io

import lxml.html
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims import services
from claims.admin import importexport
from claims.models import Claim
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import (
    FUJI,
    LAST,
    QUOTE,
    SOURCE_CELL,
    TOKYO,
    add_evidence,
    claim_for,
    csv_bytes,
    csv_row,
    import_rows,
    make_user,
    populate_every_column,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status
SOURCE = SOURCE_CELL


row = csv_row


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(data, name="claims.csv"):
    return {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, data, content_type="text/csv")}


def test_admin_import_preview_shows_the_bad_row_and_writes_nothing(client, signed_in_chief, article_without_claims):
    data = csv_bytes([row(statement=FUJI), row(statement=LAST, status="done")])
    response = client.post(reverse("admin:claims_claim_import"), upload(data))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown status “done”" in page
    result = response.context["result"]
    assert [(r.number, list(r.error_dict)) for r in result.invalid_rows] == [(3, ["status"])]
    assert "confirm_form" not in response.context
    assert not Claim.objects.exists()


def test_admin_import_preview_then_confirm_writes_with_history(client, signed_in_chief, article_without_claims):
    data = csv_bytes([row(statement=FUJI, status="verified", evidence=SOURCE, tags="山"), row(statement=LAST)])
    response = client.post(reverse("admin:claims_claim_import"), upload(data))
    assert response.status_code == 200
    assert (
        "2 new, 0 updated, 0 proposed (published once another chief editor approves), 0 unchanged."
        in response.content.decode()
    )
    assert not Claim.objects.exists()
    confirm = response.context["confirm_form"]
    response = client.post(reverse("admin:claims_claim_process_import"), confirm.initial)
    assert response.status_code == 302
    assert Claim.objects.count() == 2
    change = claim_for(article_without_claims, FUJI).history.get()
    assert (change.via, change.user, change.note) == ("import", signed_in_chief, "Imported from claims.csv")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert (
        "Import finished: 2 new, 0 updated, 0 proposed (published once another chief editor approves), 0 unchanged."
        in messages
    )


def test_a_preview_shows_the_first_changes_and_counts_the_rest(
    client, signed_in_chief, article_without_claims, monkeypatch
):
    monkeypatch.setattr(importexport, "PREVIEW_LIMIT", 2)
    statements = [TOKYO, FUJI, QUOTE, "本当でしょうか?", LAST]
    response = client.post(
        reverse("admin:claims_claim_import"), upload(csv_bytes([row(statement=s) for s in statements]))
    )
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content.decode())
    shown = [cell.text_content() for cell in page.xpath("//table[contains(@class, 'import-preview')]//tbody/tr")]
    assert len(shown) == 2 and TOKYO in shown[0] and FUJI in shown[1]
    assert "The preview shows the first changes; 3 more are not shown but will be imported." in " ".join(
        page.text_content().split()
    )
    assert "5 new, 0 updated" in response.content.decode()
    # The report behind the page kept only what it shows; the confirmation imports every row.
    assert len(response.context["result"].claims_report.outcomes) == 2
    confirm = response.context["confirm_form"]
    assert client.post(reverse("admin:claims_claim_process_import"), confirm.initial).status_code == 302
    assert article_without_claims.claims.count() == 5


def test_readers_see_an_imported_status_change_without_the_file_name_editors_see_it(client, article_without_claims):
    import_rows(
        [row(statement=FUJI, status="verified", verdict_note="国土地理院の資料で確認。", evidence=SOURCE)],
        file_name="desk-2024.csv",
    )
    claim = claim_for(article_without_claims, FUJI)
    change = claim.history.get()
    assert change.note == "Imported from desk-2024.csv"

    page = client.get(claim.get_absolute_url()).content.decode()
    timeline = page[page.index('class="timeline"') :]
    assert f'id="change-{change.pk}"' in timeline  # the change and its date are there
    assert "desk-2024" not in page
    feed = client.get(reverse("claims:feed")).content.decode()
    assert f"#change-{change.pk}" in feed and "国土地理院の資料で確認。" in feed
    assert "desk-2024" not in feed

    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    admin_page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "Imported from desk-2024.csv" in admin_page


def test_admin_confirming_twice_asks_for_the_file_again(client, signed_in_chief, article_without_claims):
    response = client.post(reverse("admin:claims_claim_import"), upload(csv_bytes([row(statement=FUJI)])))
    confirm = response.context["confirm_form"].initial
    assert client.post(reverse("admin:claims_claim_process_import"), confirm).status_code == 302
    response = client.post(reverse("admin:claims_claim_process_import"), confirm, follow=True)
    assert response.status_code == 200
    assert "The uploaded file is no longer available. Upload it again." in response.content.decode()
    assert Claim.objects.count() == 1


def test_admin_confirm_after_the_data_changed_shows_errors_and_writes_nothing(
    client, signed_in_chief, article_without_claims
):
    services.article_create_claims(article=article_without_claims)
    claim = claim_for(article_without_claims, FUJI)
    add_evidence(claim)
    header = ["id", "article", "statement", "status"]
    data = csv_bytes([row(id=claim.pk, statement=FUJI, status="verified")], header=header)
    response = client.post(reverse("admin:claims_claim_import"), upload(data))
    confirm = response.context["confirm_form"]
    claim.evidence.all().delete()  # Someone removes the supporting link before the confirmation.
    response = client.post(reverse("admin:claims_claim_process_import"), confirm.initial, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Row 2, column status: Verified needs at least one evidence link" in page
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and not claim.history.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02binary", "not a text file"),
        (b"", "The submitted file is empty."),
        (b"name,colour\nx,y\n", "The first row must be the header"),
    ],
)
def test_admin_refuses_bad_files_on_the_page(client, signed_in_chief, data, message):
    response = client.post(reverse("admin:claims_claim_import"), upload(data))
    assert response.status_code == 200
    assert message in response.content.decode()


def test_admin_reads_a_shift_jis_file(client, signed_in_chief, article_without_claims):
    data = csv_bytes([row(statement=FUJI, status="未検証", verdict_note="確認中")], encoding="cp932")
    response = client.post(reverse("admin:claims_claim_import"), upload(data))
    assert response.status_code == 200
    assert (
        "1 new, 0 updated, 0 proposed (published once another chief editor approves), 0 unchanged."
        in response.content.decode()
    )
    assert "確認中" in response.content.decode()


def test_editors_may_export_but_not_import(client, article_without_claims):
    client.force_login(make_user("hanako", groups=[EDITORS]))
    assert client.get(reverse("admin:claims_claim_import")).status_code == 403
    data = csv_bytes([row(statement=FUJI)])
    assert client.post(reverse("admin:claims_claim_import"), upload(data)).status_code == 403
    assert client.post(reverse("admin:claims_claim_process_import"), {}).status_code == 403
    changelist = client.get(reverse("admin:claims_claim_changelist")).content.decode()
    assert reverse("admin:claims_claim_import") not in changelist
    assert reverse("admin:claims_claim_export") in changelist
    assert client.get(reverse("admin:claims_claim_export")).status_code == 200


def test_superusers_may_import(client, article_without_claims):
    client.force_login(make_user("root", superuser=True))
    assert client.get(reverse("admin:claims_claim_import")).status_code == 200


def test_admin_export_streams_the_filtered_claims(client, signed_in_chief, article_without_claims):
    populate_every_column(article_without_claims)
    response = client.post(
        reverse("admin:claims_claim_export") + "?status__exact=verified", {"format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbfid,article,statement")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r[2] for r in rows[1:]] == [FUJI]
