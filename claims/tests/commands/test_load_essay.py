"""manage.py load_essay: the essay and its record loaded once, safe to run again, keeping what
the editors did; a deliberate reload needs confirmation.
"""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from claims import services
from claims.models import Claim, StatusChange

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


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
