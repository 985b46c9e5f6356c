"""Bad rows named by row, column and reason: every problem of every row listed, duplicates found,
nothing written unless every row is valid.
"""

import pytest
from taggit.models import Tag

from claims import services
from claims.csv import format as csvformat
from claims.csv import importing
from claims.models import Claim, Evidence, StatusChange
from claims.tests.factories import (
    FUJI,
    LAST,
    QUOTE,
    SOURCE_CELL,
    claim_for,
    csv_bytes,
    csv_row,
    import_rows,
    messages_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
SOURCE = SOURCE_CELL


row = csv_row


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
    report = import_rows([row(**{"statement": FUJI, **cells})])
    assert any(m.startswith(message) for m in messages_of(report)), messages_of(report)
    assert not Claim.objects.exists()


def test_duplicate_rows_are_reported(article_without_claims):
    services.article_create_claims(article=article_without_claims)
    fuji = claim_for(article_without_claims, FUJI)
    report = import_rows(
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
    report = import_rows([row(id=str(last.pk), statement=FUJI)])
    assert messages_of(report) == [f"row 2, column statement: This statement already has a claim (#{fuji.pk})."]


def test_every_problem_of_every_row_is_listed(article_without_claims):
    report = import_rows(
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
    report = import_rows(
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


def write(tmp_path, data, name="claims.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)
