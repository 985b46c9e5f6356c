"""Round trips: export, import and export again gives the same bytes; the editor's round of
export, spreadsheet edit, a bad row, the fix and the import of exactly the changes.
"""

import csv
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from taggit.models import Tag, TaggedItem

from claims import services
from claims.csv import importing
from claims.management.commands import load_essay
from claims.models import Claim, StatusChange
from claims.tests.factories import (
    FUJI,
    claim_for,
    csv_row,
    database_state,
    export_bytes,
    import_counts,
    make_article,
    messages_of,
    populate_every_column,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status


row = csv_row


def test_round_trip_export_flush_import_export_gives_identical_bytes(article_without_claims):
    populate_every_column(article_without_claims)
    first = export_bytes()
    Claim.objects.all().delete()
    TaggedItem.objects.all().delete()
    Tag.objects.all().delete()
    report = importing.import_bytes(first)
    assert messages_of(report) == []
    assert export_bytes() == first
    fuji = claim_for(article_without_claims, FUJI)
    assert fuji.verdict_note == "=1+1 は式ではない。\n二行目。"
    assert fuji.evidence.get(stance="supports").excerpt == "一行目\n二行目 a|b C:\\path"
    assert fuji.evidence.get(stance="refutes").title == "題 | 副題"
    # New claims with ids keep them, and the id sequence moves past them.
    services.article_create_claims(article=make_article(slug="second", claims=False))


def test_the_essays_record_exports_as_it_was_written():
    path = load_essay.RECORD
    article, _created, _report = services.article_load_file(path=load_essay.ESSAY)
    report = importing.import_bytes(path.read_bytes(), file_name=path.name)
    assert messages_of(report) == []
    shipped = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    exported = list(csv.reader(io.StringIO(export_bytes().decode("utf-8-sig"), newline="")))
    assert len(exported) == len(shipped)
    # Every column the shipped file has comes back as written (a file without the rating column
    # leaves the claims unrated, and the export writes that column empty).
    keep = [exported[0].index(column) for column in shipped[0]]
    assert [[r[i] for i in keep][1:] for r in exported] == [r[1:] for r in shipped]
    if "rating" not in shipped[0]:
        assert {r[exported[0].index("rating")] for r in exported[1:]} == {""}
    assert all(r[0] for r in exported[1:])


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(data, name="claims.csv"):
    return {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, data, content_type="text/csv")}


def spreadsheet_save(rows):
    """What a spreadsheet writes back: the same cells, dates reformatted as YYYY/M/D."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for cells in rows:
        writer.writerow(
            [
                f"{int(c[:4])}/{int(c[5:7])}/{int(c[8:10])}" if len(c) == 10 and c[4] == "-" and c[7] == "-" else c
                for c in cells
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def test_editor_exports_edits_sees_the_bad_row_fixes_it_and_imports_exactly_the_changes(client, signed_in_chief):
    call_command("load_essay", stdout=io.StringIO())
    response = client.post(reverse("admin:claims_claim_export"), {"format": "0", "resource": "0"})
    exported = b"".join(response.streaming_content)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    header = rows[0]
    col = {name: header.index(name) for name in header}
    pending = next(r for r in rows[1:] if r[col["kind"]] == "claim" and r[col["status"]] == "unsupported")
    noted = next(r for r in rows[1:] if r[col["status"]] == "verified")
    pending[col["status"]] = "検証済み"
    pending[col["verdict_note"]] = "教科書で確認した。"
    pending[col["rating"]] = "accurate"  # the 根拠不明 rating went with the old status
    pending[col["evidence"]] = "supports | https://example.com/textbook | 自然言語処理の教科書 | 出版社 | 2020"
    noted[col["internal_note"]] = "=再確認する"  # typed into a spreadsheet cell as text
    bad = rows[5]
    status_of_bad = bad[col["status"]]
    bad[col["status"]] = "done"
    before = {c.pk: (c.updated_at, c.version) for c in Claim.objects.all()}
    history = StatusChange.objects.count()

    response = client.post(reverse("admin:claims_claim_import"), upload(spreadsheet_save(rows)))
    assert response.status_code == 200
    assert "Unknown status “done”" in response.content.decode()
    assert [r.number for r in response.context["result"].invalid_rows] == [6]
    assert StatusChange.objects.count() == history

    bad[col["status"]] = status_of_bad
    response = client.post(reverse("admin:claims_claim_import"), upload(spreadsheet_save(rows)))
    assert (
        "0 new, 2 updated, 0 proposed (published once another chief editor approves), 98 unchanged."
        in response.content.decode()
    )
    response = client.post(reverse("admin:claims_claim_process_import"), response.context["confirm_form"].initial)
    assert response.status_code == 302

    changed = {c.pk for c in Claim.objects.all() if (c.updated_at, c.version) != before[c.pk]}
    assert changed == {int(pending[0]), int(noted[0])}
    verified = Claim.objects.get(pk=pending[0])
    assert verified.status == Status.VERIFIED and verified.verdict_note == "教科書で確認した。"
    assert list(verified.evidence.values_list("url", flat=True)) == ["https://example.com/textbook"]
    assert Claim.objects.get(pk=noted[0]).internal_note == "=再確認する"
    change = StatusChange.objects.latest("pk")
    assert StatusChange.objects.count() == history + 1
    assert (change.claim_id, change.from_status, change.to_status, change.via, change.user) == (
        verified.pk,
        "unsupported",
        "verified",
        "import",
        signed_in_chief,
    )


def test_an_export_with_japanese_headers_and_labels_imports_back_unchanged(tmp_path):
    call_command("load_essay", stdout=io.StringIO())
    path = tmp_path / "japanese.csv"
    call_command("export_claims", "--japanese", "-o", str(path), stderr=io.StringIO())
    text = path.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("ID,記事,文,種類,ステータス,レーティング,判定メモ")
    assert "検証済み" in text and ",主張," in text and "裏付け |" in text
    before = database_state()
    report = importing.import_bytes(path.read_bytes(), file_name="japanese.csv")
    assert report.ok, messages_of(report)
    assert import_counts(report) == (0, 0, len(report.outcomes))
    assert database_state() == before
