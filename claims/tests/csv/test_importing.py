"""Importing a CSV file (claims/csv/importing.py): new rows and updates, identity by id or by
article and statement, evidence and tags, history and sign-off's rules, files refused up front,
and a big file read and written a chunk at a time, still all or nothing.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from claims import services
from claims.csv import format as csvformat
from claims.csv import importing
from claims.models import Claim, ContentRevision, StatusChange
from claims.roles import CHIEF_EDITORS
from claims.tests.factories import (
    FUJI,
    LAST,
    QUOTE,
    SOURCE_CELL,
    TOKYO,
    claim_for,
    csv_bytes,
    csv_row,
    database_state,
    export_bytes,
    import_counts,
    import_rows,
    make_article,
    make_user,
    messages_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status
COLUMNS = csvformat.COLUMNS
SOURCE = SOURCE_CELL


row = csv_row


def test_new_rows_create_claims_with_evidence_tags_and_history(article_without_claims):
    report = import_rows(
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
    assert import_counts(report) == (2, 0, 0)
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
    report = import_rows([row(id=str(claim.pk), statement=FUJI, verdict_note="メモ", tags="山")])
    assert import_counts(report) == (0, 1, 0)
    claim.refresh_from_db()
    assert claim.verdict_note == "メモ" and list(claim.tags.names()) == ["山"]
    assert claim.version == 2


def test_a_row_without_id_matches_article_and_statement_so_reimport_never_duplicates(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    before = Claim.objects.count()
    first = import_rows([row(statement=FUJI, verdict_note="メモ")])
    again = import_rows([row(statement=FUJI, verdict_note="メモ")])
    assert import_counts(first) == (0, 1, 0)
    assert import_counts(again) == (0, 0, 1)
    assert Claim.objects.count() == before


def test_a_repeated_sentence_matches_its_claims_in_order_then_is_a_duplicate(article_without_claims):
    first = import_rows([row(statement=TOKYO, verdict_note="一つ目"), row(statement=TOKYO, verdict_note="二つ目")])
    assert import_counts(first) == (2, 0, 0)
    positions = list(Claim.objects.filter(statement=TOKYO).order_by("position").values_list("verdict_note", flat=True))
    assert positions == ["一つ目", "二つ目"]
    again = import_rows([row(statement=TOKYO, verdict_note="一つ目"), row(statement=TOKYO, verdict_note="二つ目")])
    assert import_counts(again) == (0, 0, 2)
    third = import_rows([row(statement=TOKYO), row(statement=TOKYO), row(statement=TOKYO)])
    assert messages_of(third) == ["row 4, column statement: Duplicate row: row 2 has the same statement."]


def test_importing_an_unchanged_export_reports_every_row_unchanged_and_writes_nothing(article_without_claims):
    import_rows(
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
    assert import_counts(report) == (0, 0, Claim.objects.count())
    assert not report.written
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert dict(Claim.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Claim.objects.values_list("pk", "version")) == versions
    assert StatusChange.objects.count() == history
    assert ContentRevision.objects.values_list("number", flat=True).first() == revision


def test_tags_and_links_in_another_order_are_no_change(article_without_claims):
    other = "context | https://example.com/b | B"
    import_rows([row(statement=FUJI, tags="山,日本", evidence=f"{SOURCE}\n{other}")])
    report = import_rows([row(statement=FUJI, tags="日本、山", evidence=f"{other}\n{SOURCE}")])
    assert import_counts(report) == (0, 0, 1)


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
    import_rows([row(statement=FUJI, status="verified", evidence=SOURCE, tags="山", verdict_note="確認")])
    claim = claim_for(article_without_claims, FUJI)
    data = csv_bytes(
        [{"id": claim.pk, "article": "test-article", "statement": FUJI, "internal_note": "内部"}],
        header=["id", "article", "statement", "internal_note"],
    )
    report = importing.import_bytes(data)
    assert import_counts(report) == (0, 1, 0)
    claim.refresh_from_db()
    assert (claim.internal_note, claim.status, claim.verdict_note) == ("内部", Status.VERIFIED, "確認")
    assert list(claim.tags.names()) == ["山"] and claim.evidence.count() == 1


def test_evidence_is_matched_by_url_links_not_in_the_cell_are_removed(article_without_claims):
    other = "context | https://example.com/b | B"
    import_rows([row(statement=FUJI, evidence=f"{SOURCE}\n{other}")])
    claim = claim_for(article_without_claims, FUJI)
    kept = claim.evidence.get(url="https://www.gsi.go.jp/fuji")
    report = import_rows(
        [row(statement=FUJI, evidence=SOURCE.replace("国土地理院", "GSI") + "\nrefutes | https://example.com/c | C")]
    )
    assert import_counts(report) == (0, 1, 0)
    links = {link.url: link for link in claim.evidence.all()}
    assert set(links) == {"https://www.gsi.go.jp/fuji", "https://example.com/c"}
    assert links["https://www.gsi.go.jp/fuji"].pk == kept.pk
    assert links["https://www.gsi.go.jp/fuji"].publisher == "GSI"
    assert import_counts(import_rows([row(statement=FUJI, evidence="")])) == (0, 1, 0)
    assert not claim.evidence.exists()


def test_removing_the_supporting_link_of_a_verified_claim_breaks_the_rule(article_without_claims):
    import_rows([row(statement=FUJI, status="verified", evidence=SOURCE)])
    report = import_rows([row(statement=FUJI, status="verified", evidence="")])
    assert messages_of(report) == [
        "row 2, column status: Verified needs at least one evidence link that supports the statement."
    ]
    assert claim_for(article_without_claims, FUJI).evidence.count() == 1


def test_tags_are_created_by_name_and_removed(article_without_claims):
    import_rows([row(statement=FUJI, tags="山,日本")])
    claim = claim_for(article_without_claims, FUJI)
    import_rows([row(statement=FUJI, tags="日本，新タグ")])
    assert sorted(claim.tags.names()) == ["新タグ", "日本"]
    assert Tag.objects.filter(name="山").exists()


def test_status_changes_write_history_rows_with_the_importing_user(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    chief = make_user("chief", groups=[CHIEF_EDITORS])
    claim = claim_for(article_without_claims, FUJI)
    report = import_rows([row(id=str(claim.pk), statement=FUJI, status="verified", evidence=SOURCE)], user=chief)
    assert import_counts(report) == (0, 1, 0)
    change = claim.history.get()
    assert (change.from_status, change.to_status, change.via, change.user) == ("pending", "verified", "import", chief)
    # The same status again is no change and no history row.
    import_rows(
        [row(id=str(claim.pk), statement=FUJI, status="verified", evidence=SOURCE, verdict_note="追記")], user=chief
    )
    assert claim.history.count() == 1


def test_last_checked_comes_from_the_column_else_from_the_status_change(article_without_claims):
    import_rows([row(statement=FUJI, status="verified", evidence=SOURCE, last_checked="2024-05-06")])
    assert claim_for(article_without_claims, FUJI).last_checked == datetime.date(2024, 5, 6)
    import_rows([row(statement=LAST, status="unsupported", verdict_note="違う")])
    assert claim_for(article_without_claims, LAST).last_checked == timezone.localdate()
    # A blank cell on an unchanged status keeps the stored date.
    assert import_counts(import_rows([row(statement=FUJI, status="verified", evidence=SOURCE)])) == (0, 0, 1)
    assert claim_for(article_without_claims, FUJI).last_checked == datetime.date(2024, 5, 6)


def test_a_changed_statement_moves_the_claim_and_two_claims_can_swap(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    fuji, last = claim_for(article_without_claims, FUJI), claim_for(article_without_claims, LAST)
    fuji.delete()
    report = import_rows([row(id=str(last.pk), statement=FUJI)])
    assert import_counts(report) == (0, 1, 0)
    last.refresh_from_db()
    assert last.statement == FUJI and last.position == article_without_claims.body.index(FUJI)
    quote = claim_for(article_without_claims, QUOTE)
    report = import_rows([row(id=str(last.pk), statement=QUOTE), row(id=str(quote.pk), statement=FUJI)])
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
    report = import_rows([row(id=str(claim.pk), statement=FUJI, verdict_note="上書き")])
    assert messages_of(report) == [
        f"row 2, column id: Someone saved claim #{claim.pk} while this file was imported. "
        "Nothing was written: import it again."
    ]
    claim.refresh_from_db()
    assert claim.verdict_note == ""


def test_dry_run_checks_but_writes_nothing(article_without_claims):
    report = import_rows([row(statement=FUJI)], dry_run=True)
    assert import_counts(report) == (1, 0, 0) and not report.written
    assert not Claim.objects.exists()


@pytest.fixture
def chunks_of_two(monkeypatch):
    monkeypatch.setattr(importing, "ROWS_CHUNK", 2)


def test_a_file_in_chunks_writes_every_row(article_without_claims, chunks_of_two):
    report = import_rows(
        [row(statement=TOKYO), row(statement=FUJI), row(statement=LAST), row(statement=QUOTE)],
        keep_outcomes=False,
    )
    assert messages_of(report) == []
    assert import_counts(report) == (4, 0, 0) and report.outcomes == []
    assert set(Claim.objects.values_list("statement", flat=True)) == {TOKYO, FUJI, LAST, QUOTE}
    again = import_rows([row(statement=TOKYO), row(statement=FUJI), row(statement=LAST), row(statement=QUOTE)])
    assert import_counts(again) == (0, 0, 4)


def test_a_bad_row_in_the_last_chunk_writes_nothing_of_the_first(article_without_claims, chunks_of_two):
    before = database_state()
    report = import_rows(
        [row(statement=TOKYO), row(statement=FUJI), row(statement=LAST), row(statement="本文にない文。")]
    )
    assert [e.row for e in report.errors] == [5]
    assert database_state() == before and not Claim.objects.exists()


def test_a_statement_repeated_in_a_later_chunk_is_a_duplicate(article_without_claims, chunks_of_two):
    # TOKYO is in the article twice: the third row takes the second sentence, the fourth has none left.
    report = import_rows([row(statement=TOKYO), row(statement=FUJI), row(statement=TOKYO), row(statement=TOKYO)])
    assert messages_of(report) == ["row 5, column statement: Duplicate row: row 2 has the same statement."]
    assert not Claim.objects.exists()


def test_a_claim_id_repeated_in_a_later_chunk_is_a_duplicate(article_without_claims, chunks_of_two):
    claim = claim_for(make_article(slug="other"), FUJI)
    before = database_state()
    report = import_rows(
        [
            row(id=str(claim.pk), article="other", statement=FUJI),
            row(statement=TOKYO),
            row(statement=LAST),
            row(id=str(claim.pk), article="other", statement=FUJI),
        ]
    )
    assert messages_of(report) == [f"row 5, column id: Duplicate row: claim #{claim.pk} is also on row 2."]
    assert database_state() == before
