"""Each permission boundary of the roles (claims/roles.py), through the admin as each role uses it.

Importing is tested with the importer (claims/tests/csv/).
"""

import pytest
from django.urls import reverse
from taggit.models import Tag

from claims.models import Article, Claim, Evidence
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import add_evidence, make_article, make_user, page_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged_claim(claim):
    """The claim tagged 地理, with a source giving context."""
    claim.tags.add("地理")
    add_evidence(claim, stance=Evidence.Stance.CONTEXT)
    return claim


@pytest.fixture
def spare_article():
    return make_article(slug="spare", title="予備", claims=False)


def as_role(client, role):
    if role == "superuser":
        user = make_user("root", superuser=True)
    else:
        user = make_user(role.lower().replace(" ", "-"), groups=[role])
    client.force_login(user)
    return user


def delete(client, name, pk):
    return client.post(reverse(f"admin:{name}_delete", args=[pk]), {"post": "yes"})


def edit_claim(client, claim, **changes):
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    return client.post(url, {**page_data(client.get(url)), **changes})


def edit_article(client, article, **changes):
    url = reverse("admin:claims_article_change", args=[article.pk])
    data = {
        "title": article.title,
        "slug": article.slug,
        "lead": article.lead,
        "body": article.body,
        "language": article.language,
        "is_published": "on",
    }
    return client.post(url, {**data, **changes})


def test_editor_edits_claims_and_evidence_and_changes_status(client, tagged_claim):
    as_role(client, EDITORS)
    response = edit_claim(
        client,
        tagged_claim,
        verdict_note="編集者のメモ",
        **{"evidence-0-title": "改題", "evidence-0-stance": "supports"},
        status="verified",
    )
    assert response.status_code == 302
    tagged_claim.refresh_from_db()
    assert tagged_claim.verdict_note == "編集者のメモ" and tagged_claim.status == Claim.Status.VERIFIED
    assert tagged_claim.evidence.get().title == "改題"


def test_editor_cannot_delete_claims_articles_or_tags(client, tagged_claim, spare_article):
    as_role(client, EDITORS)
    tag = Tag.objects.get(name="地理")
    assert delete(client, "claims_claim", tagged_claim.pk).status_code == 403
    assert delete(client, "claims_reviewqueueitem", tagged_claim.pk).status_code == 403
    assert delete(client, "claims_article", spare_article.pk).status_code == 403
    assert delete(client, "taggit_tag", tag.pk).status_code == 403
    assert Claim.objects.filter(pk=tagged_claim.pk).exists() and Article.objects.filter(pk=spare_article.pk).exists()
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_editor_cannot_bulk_delete_claims(client, tagged_claim):
    as_role(client, EDITORS)
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "delete_selected", "_selected_action": [tagged_claim.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302, 403)
    assert Claim.objects.filter(pk=tagged_claim.pk).exists()


def test_editor_cannot_add_or_change_articles_or_rename_tags(client, article):
    as_role(client, EDITORS)
    assert client.get(reverse("admin:claims_article_add")).status_code == 403
    assert edit_article(client, article, title="書き換え").status_code == 403
    article.refresh_from_db()
    assert article.title == "テスト記事"
    tag = Tag.objects.create(name="経済")
    response = client.post(reverse("admin:taggit_tag_change", args=[tag.pk]), {"name": "改名", "slug": "x"})
    assert response.status_code == 403
    assert Tag.objects.get(pk=tag.pk).name == "経済"


def test_editor_may_read_articles_and_the_review_queue(client, article):
    as_role(client, EDITORS)
    assert client.get(reverse("admin:claims_article_change", args=[article.pk])).status_code == 200
    assert client.get(reverse("admin:claims_reviewqueueitem_changelist")).status_code == 200


@pytest.mark.parametrize("role", [CHIEF_EDITORS, "superuser"])
def test_chief_editor_and_superuser_delete_and_manage_articles_and_tags(client, tagged_claim, spare_article, role):
    as_role(client, role)
    assert edit_claim(client, tagged_claim, verdict_note="主任のメモ").status_code == 302
    assert edit_article(client, spare_article, title="改題").status_code == 302
    assert Article.objects.get(pk=spare_article.pk).title == "改題"
    response = client.post(
        reverse("admin:claims_article_add"),
        {"title": "新記事", "slug": "new", "body": "一文目。", "language": "ja"},
    )
    assert response.status_code == 302 and Article.objects.filter(slug="new").exists()
    tag = Tag.objects.get(name="地理")
    tag_url = reverse("admin:taggit_tag_change", args=[tag.pk])
    assert client.post(tag_url, {**page_data(client.get(tag_url)), "name": "地学"}).status_code == 302
    assert delete(client, "taggit_tag", tag.pk).status_code == 302
    assert delete(client, "claims_claim", tagged_claim.pk).status_code == 302
    assert delete(client, "claims_article", spare_article.pk).status_code == 302
    assert not Claim.objects.filter(pk=tagged_claim.pk).exists() and not Tag.objects.filter(pk=tag.pk).exists()


def test_a_deleted_tag_is_recovered_with_its_uses(client, tagged_claim):
    as_role(client, CHIEF_EDITORS)
    tag = Tag.objects.get(name="地理")
    delete(client, "taggit_tag", tag.pk)
    assert tagged_claim.tags.count() == 0
    from reversion.models import Version

    deleted = Version.objects.get_deleted(Tag).get(object_id=str(tag.pk))
    recover = reverse("admin:taggit_tag_recover", args=[deleted.pk])
    response = client.post(recover, page_data(client.get(recover)))
    assert response.status_code == 302
    assert list(tagged_claim.tags.names()) == ["地理"]


def test_an_article_with_claims_cannot_be_deleted_even_by_a_chief_editor(client, tagged_claim):
    as_role(client, CHIEF_EDITORS)
    response = delete(client, "claims_article", tagged_claim.article_id)
    assert response.status_code in (200, 403)  # Django lists the protected claims instead
    assert Article.objects.filter(pk=tagged_claim.article_id).exists()


def test_staff_without_a_role_sees_nothing(client, tagged_claim):
    client.force_login(make_user("nobody"))
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 403
    assert client.get(reverse("admin:claims_claim_change", args=[tagged_claim.pk])).status_code == 403
