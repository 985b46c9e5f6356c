"""CSV import and export: the format, the engine, the admin pages and the commands."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from taggit.models import Tag, TaggedItem

from claims import services
from claims.csv import exporting, importing
from claims.csv import format as csvformat
from claims.management.commands import load_essay
from claims.management.commands.import_claims import Progress
from claims.models import Claim, ContentRevision, Evidence, StatusChange
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
)

pytestmark = pytest.mark.django_db
Status = Claim.Status
COLUMNS = csvformat.COLUMNS
FUJI = "富士山は日本一高い山です。"
TOKYO = "東京は日本の首都です。"
LAST = "最後の文です。"
QUOTE = "「これは引用です。まだ引用です。」と彼は言った。"
SOURCE = SOURCE_CELL


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the Japanese catalogue may translate them later.
    with translation.override("en"):
        yield


row = csv_row


def run(rows, **kwargs):
    return importing.import_bytes(csv_bytes(rows), **kwargs)


def export_bytes(queryset=None):
    out = io.StringIO(newline="")
    exporting.write_csv(out, exporting.claim_rows(queryset))
    return out.getvalue().encode("utf-8")


def messages_of(report):
    return [str(error) for error in report.errors]


def counts(report):
    c = report.counts
    return c[importing.NEW], c[importing.UPDATED], c[importing.UNCHANGED]


# ---------------------------------------------------------------------------------------------
# Creating, identity, unchanged rows


def test_new_rows_create_claims_with_evidence_tags_and_history(article_without_claims):
    report = run(
        [
            row(
                statement=FUJI,
                status="verified",
                verdict_note="国土地理院の資料で確認。",
                as_of="2023-04-01",
                tags="地理、山,日本",
                evidence=SOURCE + " | accessed=2024-01-02 | excerpt=3776 m\n"
                "context | https://example.com/a | 別の資料 |  | ",
            ),
            row(statement=LAST, kind="not_claim"),
        ],
        file_name="desk.csv",
    )
    assert messages_of(report) == []
    assert counts(report) == (2, 0, 0)
    claim = claim_for(article_without_claims, FUJI)
    assert claim.status == Status.VERIFIED
    assert claim.verdict_note == "国土地理院の資料で確認。"
    assert claim.as_of == datetime.date(2023, 4, 1)
    assert claim.last_checked == timezone.localdate()
    assert claim.is_anchored and claim.position == article_without_claims.body.index(FUJI)
    assert claim.section == "第一章"
    assert sorted(claim.tags.names()) == ["地理", "山", "日本"]
    links = list(claim.evidence.order_by("pk").values("stance", "url", "title", "publisher", "published", "accessed"))
    assert links == [
        {
            "stance": "supports",
            "url": "https://www.gsi.go.jp/fuji",
            "title": "日本の山岳標高一覧",
            "publisher": "国土地理院",
            "published": "2023-04",
            "accessed": datetime.date(2024, 1, 2),
        },
        {
            "stance": "context",
            "url": "https://example.com/a",
            "title": "別の資料",
            "publisher": "",
            "published": "",
            "accessed": None,
        },
    ]
    history = list(claim.history.values_list("from_status", "to_status", "via", "user", "note"))
    assert history == [("pending", "verified", "import", None, "Imported from desk.csv")]
    not_claim = claim_for(article_without_claims, LAST)
    assert not not_claim.is_claim and not not_claim.history.exists() and not_claim.last_checked is None


def test_a_row_with_an_id_updates_that_claim(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    claim = claim_for(article_without_claims, FUJI)
    report = run([row(id=str(claim.pk), statement=FUJI, verdict_note="メモ", tags="山")])
    assert counts(report) == (0, 1, 0)
    claim.refresh_from_db()
    assert claim.verdict_note == "メモ" and list(claim.tags.names()) == ["山"]
    assert claim.version == 2


def test_a_row_without_id_matches_article_and_statement_so_reimport_never_duplicates(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    before = Claim.objects.count()
    first = run([row(statement=FUJI, verdict_note="メモ")])
    again = run([row(statement=FUJI, verdict_note="メモ")])
    assert counts(first) == (0, 1, 0)
    assert counts(again) == (0, 0, 1)
    assert Claim.objects.count() == before


def test_a_repeated_sentence_matches_its_claims_in_order_then_is_a_duplicate(article_without_claims):
    first = run([row(statement=TOKYO, verdict_note="一つ目"), row(statement=TOKYO, verdict_note="二つ目")])
    assert counts(first) == (2, 0, 0)
    positions = list(Claim.objects.filter(statement=TOKYO).order_by("position").values_list("verdict_note", flat=True))
    assert positions == ["一つ目", "二つ目"]
    again = run([row(statement=TOKYO, verdict_note="一つ目"), row(statement=TOKYO, verdict_note="二つ目")])
    assert counts(again) == (0, 0, 2)
    third = run([row(statement=TOKYO), row(statement=TOKYO), row(statement=TOKYO)])
    assert messages_of(third) == ["row 4, column statement: Duplicate row: row 2 has the same statement."]


def test_importing_an_unchanged_export_reports_every_row_unchanged_and_writes_nothing(article_without_claims):
    run(
        [
            row(statement=FUJI, status="verified", tags="山", evidence=SOURCE, verdict_note="確認"),
            row(statement=LAST, kind="not_claim", internal_note="=メモ"),
        ]
    )
    services.article_create_claims(article=article_without_claims)
    data = export_bytes()
    stamps = dict(Claim.objects.values_list("pk", "updated_at"))
    versions = dict(Claim.objects.values_list("pk", "version"))
    history = StatusChange.objects.count()
    revision = ContentRevision.objects.values_list("number", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        report = importing.import_bytes(data)
    assert counts(report) == (0, 0, Claim.objects.count())
    assert not report.written
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert dict(Claim.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Claim.objects.values_list("pk", "version")) == versions
    assert StatusChange.objects.count() == history
    assert ContentRevision.objects.values_list("number", flat=True).first() == revision


def test_tags_and_links_in_another_order_are_no_change(article_without_claims):
    other = "context | https://example.com/b | B"
    run([row(statement=FUJI, tags="山,日本", evidence=f"{SOURCE}\n{other}")])
    report = run([row(statement=FUJI, tags="日本、山", evidence=f"{other}\n{SOURCE}")])
    assert counts(report) == (0, 0, 1)


# ---------------------------------------------------------------------------------------------
# Round trips


def populate(article):
    """Claims that use every column and every evidence field, including awkward text."""
    run(
        [
            row(
                statement=FUJI,
                status="verified",
                verdict_note="=1+1 は式ではない。\n二行目。",
                internal_note="-内部メモ",
                as_of="2023-04-01",
                recheck_after="2027-01-31",
                tags="山,地理,@タグ",
                evidence=SOURCE
                + " | accessed=2024-01-02 | archived=https://web.archive.org/x | excerpt=一行目\\n二行目 a\\|b C:\\path\n"
                "refutes | https://example.com/r?a=1&b=2 | 題 \\| 副題 | 出版社 | 2020",
            ),
            row(statement=QUOTE, status="unsupported", verdict_note="+異論あり", tags="引用"),
            row(statement=LAST, kind="not_claim", verdict_note="@場面設定"),
            row(statement=TOKYO, status="outdated", as_of="2020-01-01", verdict_note="\t古い情報"),
        ]
    )
    services.article_create_claims(article=article)


def test_round_trip_export_flush_import_export_gives_identical_bytes(article_without_claims):
    populate(article_without_claims)
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


def test_load_essay_imports_the_record_once_and_is_safe_to_run_again():
    out = io.StringIO()
    call_command("load_essay", stdout=out)
    assert "record hundred-model-war.claims.csv: 100 new, 0 updated, 0 unchanged claims" in out.getvalue()
    history = StatusChange.objects.count()
    assert history > 0
    assert set(StatusChange.objects.values_list("via", "user")) == {("load", None)}
    claims = Claim.objects.count()
    out = io.StringIO()
    call_command("load_essay", stdout=out)
    assert "is already loaded: nothing was changed" in out.getvalue()
    assert StatusChange.objects.count() == history
    assert Claim.objects.count() == claims


def test_running_load_essay_again_keeps_what_the_editors_did():
    call_command("load_essay", stdout=io.StringIO())
    claim = Claim.objects.filter(status="unsupported", is_claim=True).first()
    link = {"stance": "supports", "url": "https://example.org/editor-found-this", "title": "編集者の出典"}
    services.claims_apply(
        changes=[
            services.ClaimChange(
                claim=claim,
                values={"status": "verified", "verdict_note": "編集者が確認。", "rating": None},
                evidence=[link],
                tags=["編集"],
            )
        ],
        via="admin",
    )
    not_claim = Claim.objects.filter(is_claim=True).exclude(pk=claim.pk).first()
    services.claims_set_is_claim(claims=[not_claim], is_claim=False)
    before = list(Claim.objects.values_list("pk", "status", "verdict_note", "is_claim", "version").order_by("pk"))
    feed_rows = StatusChange.objects.count()

    call_command("load_essay", stdout=io.StringIO())  # what dev.py start runs on every start

    assert (
        list(Claim.objects.values_list("pk", "status", "verdict_note", "is_claim", "version").order_by("pk")) == before
    )
    claim.refresh_from_db()
    assert claim.status == "verified" and claim.evidence.get().url == link["url"]
    assert list(claim.tags.names()) == ["編集"]
    assert StatusChange.objects.count() == feed_rows


def test_a_deliberate_reload_needs_confirmation(monkeypatch):
    call_command("load_essay", stdout=io.StringIO())
    claim = Claim.objects.filter(status="verified").first()
    services.claims_apply(
        changes=[services.ClaimChange(claim=claim, values={"verdict_note": "編集者のメモ"})], via="admin"
    )
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="confirmation"):
        call_command("load_essay", "--reload", stdout=io.StringIO())
    claim.refresh_from_db()
    assert claim.verdict_note == "編集者のメモ"
    out = io.StringIO()
    call_command("load_essay", "--reload", "--yes", stdout=out)
    assert "Reloaded" in out.getvalue()
    claim.refresh_from_db()
    assert claim.verdict_note != "編集者のメモ"


# ---------------------------------------------------------------------------------------------
# Encodings


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
    assert counts(report) == (0, 0, len(report.outcomes))
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


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_utf8_with_or_without_bom_and_shift_jis_are_read(article_without_claims, encoding):
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
    populate(article_without_claims)
    data = export_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n")
    assert "富士山".encode() in data


# ---------------------------------------------------------------------------------------------
# Files refused up front


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook"),
        ("id,article\n".encode("utf-16"), "UTF-16"),
        (b"id,article\x81\x7f\n", "neither UTF-8 nor Shift_JIS"),
        (",test-article,富士山は日本一高い山です。\n".encode(), "The first row must be the header"),
        (b"id,article,statement,colour\n,test-article,x,red\n", "Unknown column(s) in the header: colour"),
        (b"id,article,statement,article\n", "names a column twice: article"),
        (b"id,statement\n1,x\n", "lacks the required column(s): article"),
        (",".join(COLUMNS).encode() + b"\r\n", "header but no rows"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data, message):
    with pytest.raises(csvformat.FileRefused) as excinfo:
        csvformat.read_table(data)
    assert message in " ".join(excinfo.value.messages)


def test_files_over_the_size_limit_are_refused(settings, article_without_claims):
    settings.CLAIMS_IMPORT_MAX_BYTES = 100
    with pytest.raises(csvformat.FileRefused, match="files up to 0.0 MB"):
        csvformat.read_table(csv_bytes([row(statement=FUJI, verdict_note="長い" * 50)]))


def test_a_subset_of_columns_leaves_the_others_as_they_are(article_without_claims):
    run([row(statement=FUJI, status="verified", evidence=SOURCE, tags="山", verdict_note="確認")])
    claim = claim_for(article_without_claims, FUJI)
    data = csv_bytes(
        [{"id": claim.pk, "article": "test-article", "statement": FUJI, "internal_note": "内部"}],
        header=["id", "article", "statement", "internal_note"],
    )
    report = importing.import_bytes(data)
    assert counts(report) == (0, 1, 0)
    claim.refresh_from_db()
    assert (claim.internal_note, claim.status, claim.verdict_note) == ("内部", Status.VERIFIED, "確認")
    assert list(claim.tags.names()) == ["山"] and claim.evidence.count() == 1


# ---------------------------------------------------------------------------------------------
# Bad rows: row, column and reason


BAD_ROWS = [
    ({"status": "done"}, "row 2, column status: Unknown status “done”"),
    ({"status": ""}, "row 2, column status: Missing required value"),
    ({"kind": "maybe"}, "row 2, column kind: Unknown kind “maybe”"),
    ({"article": "no-such-article"}, "row 2, column article: No article with the slug “no-such-article”."),
    ({"article": ""}, "row 2, column article: Missing required value"),
    ({"statement": ""}, "row 2, column statement: Missing required value"),
    ({"statement": "記事にない文です。"}, "row 2, column statement: This statement is not a sentence of “テスト記事”"),
    ({"id": "abc"}, "row 2, column id: “abc” is not a claim id"),
    ({"as_of": "2023-13-01"}, "row 2, column as_of: “2023-13-01” is not a date"),
    ({"last_checked": "yesterday"}, "row 2, column last_checked: “yesterday” is not a date"),
    ({"verdict_note": "長" * 4001}, "row 2, column verdict_note: This is 4001 characters long; at most 4000"),
    (
        {"verdict_note": "隠し\u202e文字"},
        "row 2, column verdict_note: This text contains an invisible control character",
    ),
    ({"status": "verified"}, "row 2, column status: Verified needs at least one evidence link that supports"),
    ({"status": "outdated", "verdict_note": "x"}, "row 2, column status: Outdated needs an “as of” date"),
    ({"status": "disputed"}, "row 2, column status: Disputed needs contrary evidence"),
    ({"status": "unsupported"}, "row 2, column status: Unsupported needs a verdict note"),
    ({"evidence": "supports | javascript:alert(1) | 題"}, "row 2, column evidence: line 1: Unsafe address"),
    ({"evidence": "supports | data:text/html,x | 題"}, "row 2, column evidence: line 1: Unsafe address"),
    (
        {"evidence": "supports | www.example.com | 題"},
        "row 2, column evidence: line 1: “www.example.com”: Enter a web address",
    ),
    (
        {"evidence": "supports | https://exa mple.com | 題"},
        "row 2, column evidence: line 1: “https://exa mple.com”: Enter a web",
    ),
    (
        {"evidence": "supports | https://e.com | A\nsideways | https://example.com | 題"},
        "row 2, column evidence: line 2: Unknown stance “sideways”",
    ),
    (
        {"evidence": "supports | https://example.com"},
        "row 2, column evidence: line 1: Write at least “stance | URL | title”",
    ),
    ({"evidence": "supports |  | 題"}, "row 2, column evidence: line 1: Missing required value: the link’s URL."),
    (
        {"evidence": "supports | https://e.com | 題 | P | 2023-99"},
        "row 2, column evidence: line 1: date of the source: Enter a date",
    ),
    (
        {"evidence": "supports | https://e.com | 題 | | | accessed=soon"},
        "row 2, column evidence: line 1: accessed: “soon”",
    ),
    (
        {"evidence": "supports | https://e.com | 題 | | | archived=ftp://x"},
        "row 2, column evidence: line 1: “ftp://x”: Enter a web",
    ),
    ({"evidence": "supports | https://e.com | 題 | a | b | c"}, "row 2, column evidence: line 1: Too many parts"),
    (
        {"evidence": "supports | https://e.com | A\ncontext | https://e.com | B"},
        "row 2, column evidence: line 2: The URL is also on line 1",
    ),
    ({"tags": "ok,\u202ebad"}, "row 2, column tags: “\u202ebad”: This text contains an invisible control character"),
]


@pytest.mark.parametrize(("cells", "message"), BAD_ROWS)
def test_each_bad_row_is_reported_with_row_column_and_reason(article_without_claims, cells, message):
    report = run([row(**{"statement": FUJI, **cells})])
    assert any(m.startswith(message) for m in messages_of(report)), messages_of(report)
    assert not Claim.objects.exists()


def test_duplicate_rows_are_reported(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    fuji = claim_for(article_without_claims, FUJI)
    report = run(
        [
            row(id=str(fuji.pk), statement=FUJI),
            row(id=str(fuji.pk), statement=FUJI),
            row(statement=LAST),
            row(statement=LAST),
        ]
    )
    assert messages_of(report) == [
        f"row 3, column id: Duplicate row: claim #{fuji.pk} is also on row 2.",
        "row 5, column statement: Duplicate row: row 4 has the same statement.",
    ]


def test_a_statement_another_claim_holds_is_refused(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    fuji, last = claim_for(article_without_claims, FUJI), claim_for(article_without_claims, LAST)
    report = run([row(id=str(last.pk), statement=FUJI)])
    assert messages_of(report) == [f"row 2, column statement: This statement already has a claim (#{fuji.pk})."]


def test_every_problem_of_every_row_is_listed(article_without_claims):
    report = run(
        [
            row(statement=FUJI),
            row(statement="ない文。", status="nope"),
            row(statement=LAST, evidence="refutes | file:///etc/passwd | x"),
        ]
    )
    assert [(e.row, e.column) for e in report.errors] == [(3, "statement"), (3, "status"), (4, "evidence")]


def test_cells_beyond_the_header_are_an_error(article_without_claims):
    data = csv_bytes([row(statement=FUJI)]).rstrip(b"\r\n") + b",surplus\r\n"
    report = importing.import_bytes(data)
    column = len(csvformat.COLUMNS) + 1  # the first cell past the header
    assert messages_of(report) == [
        f"row 2, column {column}: This row has more cells than the header has columns: surplus"
    ]


def test_nothing_is_written_unless_every_row_is_valid(article_without_claims):
    tags = Tag.objects.count()
    report = run(
        [
            row(statement=FUJI, status="verified", evidence=SOURCE, tags="新しいタグ"),
            row(statement=LAST, tags="別のタグ"),
            row(statement=QUOTE, status="unknown"),
        ]
    )
    assert messages_of(report) == [
        "row 4, column status: Unknown status “unknown”: write one of pending, verified, "
        "disputed, unsupported, outdated, or its label (未検証, 検証済み, 異論あり, 根拠不明, 情報が古い)."
    ]
    assert not Claim.objects.exists()
    assert not Evidence.objects.exists()
    assert not StatusChange.objects.exists()
    assert Tag.objects.count() == tags


# ---------------------------------------------------------------------------------------------
# Values accepted


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", Status.PENDING),
        ("VERIFIED", Status.VERIFIED),
        ("未検証", Status.PENDING),
        ("検証済み", Status.VERIFIED),
        ("異論あり", Status.DISPUTED),
        ("情報が古い", Status.OUTDATED),
        ("Disputed", Status.DISPUTED),
        ("unverified", Status.PENDING),
    ],
)
def test_status_accepts_values_and_english_and_japanese_labels(status, expected):
    assert csvformat.parse_status(status) == expected


@pytest.mark.parametrize(
    ("kind", "is_claim"), [("claim", True), ("主張", True), ("not_claim", False), ("主張ではない", False)]
)
def test_kind_accepts_values_and_japanese(kind, is_claim):
    assert csvformat.parse_kind(kind) is is_claim


def test_dates_as_a_spreadsheet_rewrites_them_are_read(article_without_claims):
    run([row(statement=TOKYO, status="outdated", as_of="2023/10/1", verdict_note="古い", recheck_after="2027/1/31")])
    claim = claim_for(article_without_claims, TOKYO)
    assert (claim.as_of, claim.recheck_after) == (datetime.date(2023, 10, 1), datetime.date(2027, 1, 31))


def test_evidence_cells_parse_escapes_and_key_value_parts_in_any_order():
    links, problems = csvformat.parse_evidence(
        "Supports | https://e.com/a\\|b | 題 \\| 副題 | 出版 | 2023 | excerpt=抜粋 | accessed=2024/2/3 | ARCHIVED=https://a.org\n\n"
        "反証 | https://e.com/c | C"
    )
    assert problems == []
    assert links[0] == {
        "line": 1,
        "stance": "Supports",
        "url": "https://e.com/a|b",
        "title": "題 | 副題",
        "publisher": "出版",
        "published": "2023",
        "accessed": "2024/2/3",
        "archive_url": "https://a.org",
        "excerpt": "抜粋",
    }
    assert (links[1]["line"], links[1]["stance"], links[1]["publisher"]) == (3, "反証", "")
    assert csvformat.parse_stance("反証") == "refutes"


# ---------------------------------------------------------------------------------------------
# Evidence and tags on update


def test_evidence_is_matched_by_url_links_not_in_the_cell_are_removed(article_without_claims):
    other = "context | https://example.com/b | B"
    run([row(statement=FUJI, evidence=f"{SOURCE}\n{other}")])
    claim = claim_for(article_without_claims, FUJI)
    kept = claim.evidence.get(url="https://www.gsi.go.jp/fuji")
    report = run(
        [row(statement=FUJI, evidence=SOURCE.replace("国土地理院", "GSI") + "\nrefutes | https://example.com/c | C")]
    )
    assert counts(report) == (0, 1, 0)
    links = {link.url: link for link in claim.evidence.all()}
    assert set(links) == {"https://www.gsi.go.jp/fuji", "https://example.com/c"}
    assert links["https://www.gsi.go.jp/fuji"].pk == kept.pk
    assert links["https://www.gsi.go.jp/fuji"].publisher == "GSI"
    assert counts(run([row(statement=FUJI, evidence="")])) == (0, 1, 0)
    assert not claim.evidence.exists()


def test_removing_the_supporting_link_of_a_verified_claim_breaks_the_rule(article_without_claims):
    run([row(statement=FUJI, status="verified", evidence=SOURCE)])
    report = run([row(statement=FUJI, status="verified", evidence="")])
    assert messages_of(report) == [
        "row 2, column status: Verified needs at least one evidence link that supports the statement."
    ]
    assert claim_for(article_without_claims, FUJI).evidence.count() == 1


def test_tags_are_created_by_name_and_removed(article_without_claims):
    run([row(statement=FUJI, tags="山,日本")])
    claim = claim_for(article_without_claims, FUJI)
    run([row(statement=FUJI, tags="日本，新タグ")])
    assert sorted(claim.tags.names()) == ["新タグ", "日本"]
    assert Tag.objects.filter(name="山").exists()


# ---------------------------------------------------------------------------------------------
# The workflow: rules, history, last checked


def test_status_changes_write_history_rows_with_the_importing_user(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    chief = make_user("chief", groups=[CHIEF_EDITORS])
    claim = claim_for(article_without_claims, FUJI)
    report = run([row(id=str(claim.pk), statement=FUJI, status="verified", evidence=SOURCE)], user=chief)
    assert counts(report) == (0, 1, 0)
    change = claim.history.get()
    assert (change.from_status, change.to_status, change.via, change.user) == ("pending", "verified", "import", chief)
    # The same status again is no change and no history row.
    run([row(id=str(claim.pk), statement=FUJI, status="verified", evidence=SOURCE, verdict_note="追記")], user=chief)
    assert claim.history.count() == 1


def test_last_checked_comes_from_the_column_else_from_the_status_change(article_without_claims):
    run([row(statement=FUJI, status="verified", evidence=SOURCE, last_checked="2024-05-06")])
    assert claim_for(article_without_claims, FUJI).last_checked == datetime.date(2024, 5, 6)
    run([row(statement=LAST, status="unsupported", verdict_note="違う")])
    assert claim_for(article_without_claims, LAST).last_checked == timezone.localdate()
    # A blank cell on an unchanged status keeps the stored date.
    assert counts(run([row(statement=FUJI, status="verified", evidence=SOURCE)])) == (0, 0, 1)
    assert claim_for(article_without_claims, FUJI).last_checked == datetime.date(2024, 5, 6)


def test_a_changed_statement_moves_the_claim_and_two_claims_can_swap(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    fuji, last = claim_for(article_without_claims, FUJI), claim_for(article_without_claims, LAST)
    fuji.delete()
    report = run([row(id=str(last.pk), statement=FUJI)])
    assert counts(report) == (0, 1, 0)
    last.refresh_from_db()
    assert last.statement == FUJI and last.position == article_without_claims.body.index(FUJI)
    quote = claim_for(article_without_claims, QUOTE)
    report = run([row(id=str(last.pk), statement=QUOTE), row(id=str(quote.pk), statement=FUJI)])
    assert messages_of(report) == []
    quote.refresh_from_db()
    assert quote.statement == FUJI and quote.position == article_without_claims.body.index(FUJI)


def test_a_claim_saved_by_someone_else_during_the_import_is_not_overwritten(article_without_claims, monkeypatch):
    services.article_create_claims(article=article_without_claims)
    claim = claim_for(article_without_claims, FUJI)
    original = services.claims_apply

    def someone_saves_first(**kwargs):
        Claim.objects.filter(pk=claim.pk).update(version=claim.version + 5)
        return original(**kwargs)

    monkeypatch.setattr(importing.services, "claims_apply", someone_saves_first)
    report = run([row(id=str(claim.pk), statement=FUJI, verdict_note="上書き")])
    assert messages_of(report) == [
        f"row 2, column id: Someone saved claim #{claim.pk} while this file was imported. "
        "Nothing was written: import it again."
    ]
    claim.refresh_from_db()
    assert claim.verdict_note == ""


def test_dry_run_checks_but_writes_nothing(article_without_claims):
    report = run([row(statement=FUJI)], dry_run=True)
    assert counts(report) == (1, 0, 0) and not report.written
    assert not Claim.objects.exists()


# ---------------------------------------------------------------------------------------------
# Spreadsheet formula escaping


@pytest.mark.parametrize("value", ["=1+1", "+81 3", "-x", "@SUM(A1)", "\tindent", "\rcr", "'=already", "''+x"])
def test_cells_a_spreadsheet_would_run_get_a_quote_that_import_removes(value):
    escaped = csvformat.escape_formula(value)
    assert escaped == "'" + value
    assert csvformat.unescape_formula(escaped) == value


@pytest.mark.parametrize("value", ["plain", "'quoted", "", "1-2", "a=b", "“=”"])
def test_other_cells_are_left_alone(value):
    assert csvformat.escape_formula(value) == value
    assert csvformat.unescape_formula(value) == value


def test_export_escapes_formula_cells_and_import_restores_them(article_without_claims):
    populate(article_without_claims)
    data = export_bytes()
    cells = {}
    for cells_of_row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
        cells.setdefault(cells_of_row[2], cells_of_row)
    note, internal, tags = (COLUMNS.index(name) for name in ("verdict_note", "internal_note", "tags"))
    assert cells[FUJI][note].startswith("'=1+1")
    assert cells[FUJI][internal] == "'-内部メモ"
    assert cells[FUJI][tags].endswith("'@タグ") is False  # only the start of a cell can run
    assert cells[QUOTE][note] == "'+異論あり"
    assert cells[LAST][note] == "'@場面設定"
    assert cells[TOKYO][note] == "'\t古い情報"
    assert counts(importing.import_bytes(data)) == (0, 0, Claim.objects.count())
    assert claim_for(article_without_claims, TOKYO).verdict_note == "\t古い情報"


# ---------------------------------------------------------------------------------------------
# The admin


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def signed_in_chief(client, chief):
    """The chief editor of conftest.py, signed in on the test client."""
    client.force_login(chief)
    return chief


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


def test_readers_see_an_imported_status_change_without_the_file_name_editors_see_it(client, article_without_claims):
    run(
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
    populate(article_without_claims)
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


# ---------------------------------------------------------------------------------------------
# The commands


def write(tmp_path, data, name="claims.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_claims_exits_non_zero_and_prints_every_problem(tmp_path, article_without_claims):
    path = write(tmp_path, csv_bytes([row(statement=FUJI, status="nope"), row(statement="ない文。")]))
    err = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_claims", path, stderr=err)
    assert excinfo.value.returncode == 1
    assert "row 2, column status: Unknown status “nope”" in err.getvalue()
    assert "row 3, column statement: This statement is not a sentence" in err.getvalue()
    assert not Claim.objects.exists()


def test_import_claims_refuses_a_bad_file(tmp_path):
    with pytest.raises(CommandError, match="not a text file"):
        call_command("import_claims", write(tmp_path, b"\x00\x00"))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_claims", str(tmp_path / "missing.csv"))


def test_import_claims_dry_run_and_user(tmp_path, article_without_claims):
    chief = make_user("chief", groups=[CHIEF_EDITORS])
    path = write(tmp_path, csv_bytes([row(statement=FUJI, status="verified", evidence=SOURCE)]))
    out = io.StringIO()
    call_command("import_claims", path, "--dry-run", stdout=out)
    assert (
        "would import 1 new, 0 updated, 0 proposed (published once another chief editor approves), 0 unchanged"
        in out.getvalue()
    )
    assert not Claim.objects.exists()
    call_command("import_claims", path, "--user", "chief", stdout=out)
    assert claim_for(article_without_claims, FUJI).history.get().user == chief
    with pytest.raises(CommandError, match="No user"):
        call_command("import_claims", path, "--user", "nobody")


def test_import_claims_shows_progress_on_long_files(tmp_path):
    body = "\n\n".join(f"第{i}の文です。" for i in range(1200)) + "\n"
    make_article(slug="long", body=body, claims=False)
    rows = [row(article="long", statement=f"第{i}の文です。") for i in range(1200)]
    err = io.StringIO()
    call_command("import_claims", write(tmp_path, csv_bytes(rows)), stdout=io.StringIO(), stderr=err)
    assert Claim.objects.count() == 1200
    assert "Checking  [##############################] 1,200/1,200 rows" in err.getvalue()
    assert "Writing" in err.getvalue()


def test_progress_meter_redraws_in_place_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress(stream)
    progress("Checking", 500, 1000)
    progress("Checking", 1000, 1000)
    assert stream.getvalue() == (
        "\rChecking  [###############...............] 500/1,000 rows"
        "\rChecking  [##############################] 1,000/1,000 rows\n"
    )


def test_export_claims_to_a_file_and_to_stdout(tmp_path, article_without_claims):
    populate(article_without_claims)
    make_article(slug="other", claims=True)
    path = tmp_path / "out.csv"
    call_command("export_claims", "--article", "test-article", "-o", str(path), stderr=io.StringIO())
    data = path.read_bytes()
    assert data == export_bytes(Claim.objects.filter(article=article_without_claims))
    out = io.StringIO()
    call_command("export_claims", "--article", "test-article", stdout=out)
    assert out.getvalue().encode("utf-8") == data
    with pytest.raises(CommandError, match="No article"):
        call_command("export_claims", "--article", "nope")


def test_export_evidence_has_every_field(tmp_path, article_without_claims):
    populate(article_without_claims)
    out = io.StringIO()
    call_command("export_evidence", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"), newline="")))
    assert rows[0] == csvformat.EVIDENCE_COLUMNS
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["url"] == "https://www.gsi.go.jp/fuji"
    assert first["accessed"] == "2024-01-02" and first["archived"] == "https://web.archive.org/x"
    assert first["excerpt"] == "一行目\n二行目 a|b C:\\path"
    assert len(rows) == 1 + Evidence.objects.count()


def test_export_memory_does_not_hold_every_claim(article_without_claims, django_assert_max_num_queries):
    """The export reads claims in chunks: a few queries per chunk, whatever the total."""
    populate(article_without_claims)
    with django_assert_max_num_queries(4):
        rows = list(exporting.claim_rows())
    assert len(rows) == 1 + Claim.objects.count()


# ---------------------------------------------------------------------------------------------
# The editor's round: export, edit in a spreadsheet, a bad row, fix, import


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
    assert counts(report) == (0, 0, len(report.outcomes))
    assert database_state() == before


# ---------------------------------------------------------------------------------------------
# A big file: read, checked and written a chunk of rows at a time, still all or nothing


@pytest.fixture
def chunks_of_two(monkeypatch):
    monkeypatch.setattr(importing, "ROWS_CHUNK", 2)


def test_a_file_in_chunks_writes_every_row(article_without_claims, chunks_of_two):
    report = run(
        [row(statement=TOKYO), row(statement=FUJI), row(statement=LAST), row(statement=QUOTE)],
        keep_outcomes=False,
    )
    assert messages_of(report) == []
    assert counts(report) == (4, 0, 0) and report.outcomes == []
    assert set(Claim.objects.values_list("statement", flat=True)) == {TOKYO, FUJI, LAST, QUOTE}
    again = run([row(statement=TOKYO), row(statement=FUJI), row(statement=LAST), row(statement=QUOTE)])
    assert counts(again) == (0, 0, 4)


def test_a_bad_row_in_the_last_chunk_writes_nothing_of_the_first(article_without_claims, chunks_of_two):
    before = database_state()
    report = run([row(statement=TOKYO), row(statement=FUJI), row(statement=LAST), row(statement="本文にない文。")])
    assert [e.row for e in report.errors] == [5]
    assert database_state() == before and not Claim.objects.exists()


def test_a_statement_repeated_in_a_later_chunk_is_a_duplicate(article_without_claims, chunks_of_two):
    # TOKYO is in the article twice: the third row takes the second sentence, the fourth has none left.
    report = run([row(statement=TOKYO), row(statement=FUJI), row(statement=TOKYO), row(statement=TOKYO)])
    assert messages_of(report) == ["row 5, column statement: Duplicate row: row 2 has the same statement."]
    assert not Claim.objects.exists()


def test_a_claim_id_repeated_in_a_later_chunk_is_a_duplicate(article_without_claims, chunks_of_two):
    claim = claim_for(make_article(slug="other"), FUJI)
    before = database_state()
    report = run(
        [
            row(id=str(claim.pk), article="other", statement=FUJI),
            row(statement=TOKYO),
            row(statement=LAST),
            row(id=str(claim.pk), article="other", statement=FUJI),
        ]
    )
    assert messages_of(report) == [f"row 5, column id: Duplicate row: claim #{claim.pk} is also on row 2."]
    assert database_state() == before
