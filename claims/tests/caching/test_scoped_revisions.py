"""An edit re-renders what it touched: each service names the scopes of its change, and a page is
keyed by the scopes it shows (claims/caching/revision.py, pages.py)."""

import pytest
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from claims import services
from claims.caching.revision import content_changed
from claims.models import Claim, Proposal, Report, ScopeRevision
from claims.services.reports import report_submit, reports_update
from claims.services.tags import tag_save, tags_delete
from claims.tests.factories import claim_for, edit, make_article, make_user

pytestmark = pytest.mark.django_db

FUJI = "富士山は日本一高い山です。"
CAPITAL = "東京は日本の首都です。"


@pytest.fixture
def article_a():
    return make_article(slug="article-a")


@pytest.fixture
def article_b():
    return make_article(slug="article-b", title="別の記事")


def moved_by(action):
    """The scopes whose revision the action moved."""
    before = dict(ScopeRevision.objects.values_list("scope", "number"))
    action()
    after = dict(ScopeRevision.objects.values_list("scope", "number"))
    return {scope for scope, number in after.items() if before.get(scope) != number}


def claim_scopes(article):
    return {f"claim-{pk}" for pk in article.claims.values_list("pk", flat=True)}


def test_a_claim_edit_names_its_claim_its_article_its_tags_and_the_index(article_a, article_b):
    claim = claim_for(article_a, FUJI)
    edit(claim, tags=["地理"])
    tag = Tag.objects.get(name="地理")
    assert moved_by(lambda: edit(claim, verdict_note="新しい判定メモ")) == {
        "index",
        "article-article-a",
        f"claim-{claim.pk}",
        f"tag-{tag.pk}",
    }


def test_a_status_change_and_a_new_tag_name_what_they_touched(article_a):
    claim = claim_for(article_a, FUJI)
    moved = moved_by(
        lambda: services.claim_change_status(
            claim=claim, to="unsupported", via="command", verdict_note="根拠が見つからない。"
        )
    )
    assert moved == {"index", "article-article-a", f"claim-{claim.pk}"}
    moved = moved_by(lambda: edit(claim, tags=["火山"]))
    assert moved == {"index", "article-article-a", f"claim-{claim.pk}", f"tag-{Tag.objects.get(name='火山').pk}"}


def test_one_batch_over_two_articles_names_both(article_a, article_b):
    changes = [
        services.ClaimChange(claim=claim_for(article, FUJI), values={"verdict_note": "まとめて"})
        for article in (article_a, article_b)
    ]
    moved = moved_by(lambda: services.claims_apply(changes=changes, via="bulk"))
    assert moved == {
        "index",
        "article-article-a",
        "article-article-b",
        *(f"claim-{change.claim.pk}" for change in changes),
    }


def test_an_article_edit_names_its_page_its_claims_and_the_index_and_nothing_of_another_article(article_a, article_b):
    moved = moved_by(lambda: services.article_update(article=article_a, title="新しい題"))
    assert moved == {"index", "article-article-a", *claim_scopes(article_a)}
    assert not moved & ({"article-article-b"} | claim_scopes(article_b))


def test_a_renamed_article_moves_its_old_address_and_its_new_one(article_a):
    moved = moved_by(lambda: services.article_update(article=article_a, slug="renamed-a"))
    assert {"article-article-a", "article-renamed-a", "index"} <= moved


def test_a_renamed_or_deleted_tag_names_its_claims_and_their_articles(article_a, article_b):
    claim = claim_for(article_a, FUJI)
    edit(claim, tags=["地理"])
    tag = Tag.objects.get(name="地理")
    tag.name = "地学"
    expected = {"index", "article-article-a", f"claim-{claim.pk}", f"tag-{tag.pk}"}
    assert moved_by(lambda: tag_save(tag=tag)) == expected
    assert moved_by(lambda: tags_delete(tags=[tag])) == expected


def test_reports_name_the_claim_they_count_on(article_a):
    claim = claim_for(article_a, FUJI)
    moved = moved_by(lambda: report_submit(article=article_a, claim=claim, message="間違いでは"))
    assert moved == {"index", f"claim-{claim.pk}"}
    report = Report.objects.get()
    moved = moved_by(lambda: reports_update(reports=[report], state="reviewing", public_reply="確認中です。"))
    assert moved == {"index", f"claim-{claim.pk}"}


@pytest.mark.sign_off
def test_a_proposal_names_nothing_public_until_it_is_approved(article_a):
    from claims.roles import CHIEF_EDITORS, EDITORS

    claim = claim_for(article_a, FUJI)
    editor = make_user("hanako", groups=[EDITORS])
    chief = make_user("taro", groups=[CHIEF_EDITORS])
    edit(claim, user=editor, via="admin", verdict_note="提案された判定メモ")
    proposal = Proposal.objects.get(claim=claim)
    moved = moved_by(lambda: services.proposal_approve(proposal=proposal, user=chief))
    assert moved == {"index", "article-article-a", f"claim-{claim.pk}"}


def test_deleting_a_claim_in_the_admin_names_its_claim_its_article_its_tags_and_the_index(
    client, admin_user, article_a, article_b
):
    claim = claim_for(article_a, FUJI)
    edit(claim, tags=["地理"])
    tag = Tag.objects.get(name="地理")
    reader = Client()
    b_page = reader.get("/articles/article-b/")
    client.force_login(admin_user)
    url = reverse("admin:claims_claim_delete", args=[claim.pk])
    assert client.get(url).status_code == 200  # the confirmation page
    moved = moved_by(lambda: client.post(url, {"post": "yes"}))
    assert moved == {"index", "article-article-a", f"claim-{claim.pk}", f"tag-{tag.pk}"}
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert reader.get("/articles/article-b/", HTTP_IF_NONE_MATCH=b_page["ETag"]).status_code == 304


def test_deleting_claims_in_bulk_names_each_and_their_articles(client, admin_user, article_a, article_b):
    claims = [claim_for(article_a, FUJI), claim_for(article_b, CAPITAL)]
    client.force_login(admin_user)
    changelist = reverse("admin:claims_claim_changelist")
    data = {"action": "delete_selected", "_selected_action": [claim.pk for claim in claims]}
    confirmation = client.post(changelist, data)
    assert confirmation.status_code == 200 and FUJI in confirmation.content.decode()
    moved = moved_by(lambda: client.post(changelist, {**data, "post": "yes"}))
    assert moved == {"index", "article-article-a", "article-article-b", *(f"claim-{c.pk}" for c in claims)}


def test_deleting_an_article_in_the_admin_names_its_page_and_the_index(client, admin_user, article_b):
    article = make_article(slug="empty-article", claims=False)
    client.force_login(admin_user)
    url = reverse("admin:claims_article_delete", args=[article.pk])
    assert client.get(url).status_code == 200
    assert moved_by(lambda: client.post(url, {"post": "yes"})) == {"index", "article-empty-article"}


def test_a_change_that_names_nothing_moves_every_page():
    assert moved_by(content_changed) == {"all"}


def test_an_edit_to_article_a_leaves_article_b_and_its_claim_pages_cached(
    article_a, article_b, django_assert_max_num_queries
):
    reader = Client()
    b_pages = [
        "/articles/article-b/",
        *(reverse("claims:claim", args=[pk]) for pk in article_b.claims.values_list("pk", flat=True)),
    ]
    a_pages = ["/articles/article-a/", reverse("claims:claim", args=[claim_for(article_a, FUJI).pk])]
    index_pages = ["/claims/", "/articles/", "/feed/", "/sitemap.xml"]
    before = {url: reader.get(url) for url in b_pages + a_pages + index_pages}
    edit(claim_for(article_a, FUJI), verdict_note="Aだけの判定メモ")
    services.article_update(article=article_a, title="Aの新しい題")
    for url in b_pages:
        # Served from the page cache: the one query reads the page's scope revisions (no Redis here).
        with django_assert_max_num_queries(1):
            response = reader.get(url)
        assert response.status_code == 200
        assert response["ETag"] == before[url]["ETag"] and response.content == before[url].content, url
        assert reader.get(url, HTTP_IF_NONE_MATCH=before[url]["ETag"]).status_code == 304
    for url in a_pages + index_pages:
        assert reader.get(url)["ETag"] != before[url]["ETag"], url
    assert "Aの新しい題" in reader.get("/articles/article-a/").content.decode()
    assert "Aだけの判定メモ" in reader.get(a_pages[1]).content.decode()


def test_claims_of_an_unpublished_article_leave_its_claim_pages(article_a):
    claim = claim_for(article_a, CAPITAL)
    reader = Client()
    assert reader.get(reverse("claims:claim", args=[claim.pk])).status_code == 200
    services.article_update(article=article_a, is_published=False)
    assert reader.get(reverse("claims:claim", args=[claim.pk])).status_code == 404
    assert Claim.objects.filter(pk=claim.pk).exists()
