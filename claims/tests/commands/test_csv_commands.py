"""manage.py import_claims, export_claims and export_evidence: exit codes, every problem printed,
--dry-run and --user, progress on long files, exports to a file or stdout.
"""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.csv import exporting
from claims.csv import format as csvformat
from claims.management.commands.import_claims import Progress
from claims.models import Claim, Evidence
from claims.roles import CHIEF_EDITORS
from claims.tests.factories import (
    FUJI,
    SOURCE_CELL,
    claim_for,
    csv_bytes,
    csv_row,
    export_bytes,
    make_article,
    make_user,
    populate_every_column,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
SOURCE = SOURCE_CELL


row = csv_row


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
    populate_every_column(article_without_claims)
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
    populate_every_column(article_without_claims)
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
    populate_every_column(article_without_claims)
    with django_assert_max_num_queries(4):
        rows = list(exporting.claim_rows())
    assert len(rows) == 1 + Claim.objects.count()
