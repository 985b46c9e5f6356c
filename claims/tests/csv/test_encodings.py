"""CSV encodings: UTF-8 with or without a BOM and Shift_JIS/CP932 read without loss; a
Shift_JIS file that lost characters is refused untouched; exports are UTF-8 with a BOM.
"""

import io

import pytest
from django.core.management import call_command

from claims import services
from claims.csv import exporting, importing
from claims.csv import format as csvformat
from claims.models import Claim
from claims.tests.factories import (
    FUJI,
    SOURCE_CELL,
    claim_for,
    csv_bytes,
    csv_row,
    database_state,
    export_bytes,
    import_counts,
    messages_of,
    populate_every_column,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status
COLUMNS = csvformat.COLUMNS
SOURCE = SOURCE_CELL


row = csv_row


def essay_export():
    from claims.models import Claim as ClaimModel

    out = io.StringIO(newline="")
    exporting.write_csv(out, exporting.claim_rows(ClaimModel.objects.all()))
    return out.getvalue()


def test_a_shift_jis_file_that_lost_characters_is_refused_untouched():
    call_command("load_essay", stdout=io.StringIO())
    text = essay_export()
    assert "–" in text  # the record has titles with an EN DASH, which Shift_JIS cannot hold
    lossy = text.lstrip("\ufeff").encode("cp932", errors="replace")  # what Excel's "CSV" save does
    before = database_state()
    report = importing.import_bytes(lossy, file_name="excel.csv")
    assert not report.ok
    lost = [str(e) for e in report.errors if "became “?”" in str(e)]
    assert lost and all(e.row and e.column for e in report.errors)
    assert any("column evidence" in m and "“–” (EN DASH)" in m for m in lost), lost
    assert database_state() == before


def test_a_shift_jis_round_trip_that_only_swapped_twins_writes_nothing(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    claim = Claim.objects.get(statement=FUJI)
    note = "標高は3776m〜3777m、気温は−5℃、‖区切り‖。"
    services.claims_apply(
        changes=[services.ClaimChange(claim=claim, values={"status": "unsupported", "verdict_note": note})],
        via="admin",
    )
    text = essay_export().lstrip("\ufeff")
    # Excel and LibreOffice read these back as their CP932 look-alikes.
    swapped = text.replace("〜", "～").replace("−", "－").replace("‖", "∥")
    assert swapped != text
    data = swapped.encode("cp932")  # every character survives: no "?"
    before = database_state()
    report = importing.import_bytes(data, file_name="excel.csv")
    assert report.ok, messages_of(report)
    assert import_counts(report) == (0, 0, len(report.outcomes))
    assert database_state() == before
    claim.refresh_from_db()
    assert claim.verdict_note == note


def test_a_shift_jis_edit_next_to_a_lost_character_is_refused(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    claim = Claim.objects.get(statement=FUJI)
    services.claims_apply(
        changes=[services.ClaimChange(claim=claim, values={"internal_note": "AI – 2023 の資料"})], via="admin"
    )
    text = essay_export().lstrip("\ufeff").replace("AI – 2023 の資料", "AI ? 2023 の資料(追記)")
    report = importing.import_bytes(text.encode("cp932"), file_name="excel.csv")
    assert [str(e) for e in report.errors] == [
        f"row {2 + list(Claim.objects.order_by('article', 'position', 'pk')).index(claim)}, column internal_note: "
        "The character “–” (EN DASH) became “?”: Shift_JIS cannot hold it. "
        "Save the file as “CSV UTF-8 (comma delimited)” and import it again."
    ]


@pytest.mark.parametrize("chunk", [None, 1, 3])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_utf8_with_or_without_bom_and_shift_jis_are_read(article_without_claims, encoding, chunk, monkeypatch):
    if chunk:  # the file's bytes are checked a piece at a time: a character may straddle two pieces
        monkeypatch.setattr(csvformat, "DECODE_CHUNK", chunk)
    data = csv_bytes(
        [row(statement=FUJI, status="検証済み", verdict_note="標高は３７７６ｍ。", tags="山、日本", evidence=SOURCE)],
        encoding=encoding,
    )
    if encoding == "cp932":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    table = csvformat.read_table(data)
    assert table.encoding == ("cp932" if encoding == "cp932" else "utf-8-sig")
    report = importing.import_table(table=table)
    assert messages_of(report) == []
    claim = claim_for(article_without_claims, FUJI)
    assert claim.status == Status.VERIFIED
    assert claim.verdict_note == "標高は３７７６ｍ。"
    assert sorted(claim.tags.names()) == ["山", "日本"]
    assert claim.evidence.get().publisher == "国土地理院"


def test_export_is_utf8_with_bom(article_without_claims):
    populate_every_column(article_without_claims)
    data = export_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n")
    assert "富士山".encode() in data
