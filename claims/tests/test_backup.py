"""Backup and restore as docs/operations.md says: dumpdata, an empty database, loaddata, the same site."""

import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from reversion.models import Version
from taggit.models import Tag, TaggedItem

from claims.models import Article, Claim, Evidence, StatusChange
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import SOURCE_LINK as SOURCE
from claims.tests.factories import admin_save, make_article, make_user

pytestmark = pytest.mark.django_db

# The documented command (docs/operations.md, "Backing up"). Not --natural-primary: taggit's
# tagged items use the tagged object's id alone as their natural key, so two tags of one claim
# would load as one.
# JSON keeps times to the millisecond (Django's encoder), so pages are compared to the millisecond;
# XML would keep them whole but drops a text's trailing line break. pg_dump keeps everything.
DUMP_OPTIONS = {
    "natural_foreign": True,
    "exclude": ["contenttypes", "auth.permission", "sessions", "axes"],
    "indent": 1,
}


def page(client, path):
    """The page as a reader gets it, less the per-request CSRF token, times to the millisecond."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", client.get(path).content)
    return re.sub(rb"(T\d\d:\d\d:\d\d\.\d{3})\d{3}", rb"\1000", content)


def snapshot():
    return {
        "articles": list(Article.objects.order_by("slug").values("slug", "title", "body", "is_published")),
        "claims": list(
            Claim.objects.order_by("pk").values(
                "pk", "statement", "position", "status", "verdict_note", "internal_note", "is_anchored", "version"
            )
        ),
        "evidence": list(Evidence.objects.order_by("pk").values("pk", "claim_id", "url", "title", "stance")),
        "history": list(
            StatusChange.objects.order_by("pk").values("claim_id", "from_status", "to_status", "note", "user__username")
        ),
        "tags": sorted((t.object_id, t.tag.name) for t in TaggedItem.objects.select_related("tag")),
        "versions": Version.objects.count(),
        "groups": {g.name: sorted(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()},
    }


@pytest.fixture(autouse=True)
def forget_content_types():
    """flush and loaddata give content types new ids that the test's rollback takes away again:
    drop them from the process-wide cache, or later tests tag claims with a content type that
    no longer exists (taggit then finds no tags)."""
    yield
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """flush renumbers content types inside the test's transaction: forget them both ways."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


def empty_the_database():
    """manage.py flush, inside the test's transaction (PostgreSQL first runs its deferred checks)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_dumpdata_into_an_empty_database_gives_the_same_site(client, tmp_path, settings):
    settings.HOME_ARTICLE_SLUG = "hundred-model-war"
    article = make_article(slug="hundred-model-war")
    chief = make_user("chief", groups=[CHIEF_EDITORS])
    make_user("hanako", groups=[EDITORS])
    client.force_login(chief)
    claim = article.claims.order_by("position")[1]
    admin_save(client, claim, new_evidence=[SOURCE], status="verified", status_note="確認", tags="地理, 山")
    admin_save(client, claim, verdict_note="国土地理院の資料で確認。")
    client.logout()
    before = snapshot()
    pages = {path: page(client, path) for path in ["/", "/claims/", f"/claims/{claim.pk}/", "/feed/"]}
    assert before["history"] and before["tags"] and before["versions"] >= 2

    backup = tmp_path / "backup.json"
    call_command("dumpdata", output=str(backup), **DUMP_OPTIONS)
    empty_the_database()
    assert not Claim.objects.exists() and not Group.objects.exists() and not Tag.objects.exists()

    call_command("loaddata", str(backup), verbosity=0)
    assert snapshot() == before
    for path, content in pages.items():
        assert page(client, path) == content, path
    # People, roles and the history that restores old versions all came back.
    assert client.login(username="chief", password="a-long-test-password-42")
    revert = reverse("admin:claims_claim_revision", args=[claim.pk, Version.objects.get_for_object(claim).last().pk])
    assert client.get(revert).status_code == 200
