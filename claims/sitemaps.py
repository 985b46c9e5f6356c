from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from taggit.models import Tag

from .models import Article, Claim


class IndexSitemap(Sitemap):
    """The lists a reader starts from: the articles and the claims index."""

    changefreq = "daily"
    priority = 0.8

    def items(self):
        return ["claims:article_list", "claims:claim_list"]

    def location(self, name):
        return reverse(name)


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    priority = 1.0

    def items(self):
        return Article.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at


class ClaimSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5
    limit = 5000

    def items(self):
        return Claim.objects.public().only("pk", "updated_at").order_by("pk")

    def lastmod(self, claim):
        return claim.updated_at


class TagSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        # The tags of public claims that have a page (a slug), as the index lists them.
        return (
            Tag.objects.filter(claim__in=Claim.objects.public())
            .exclude(slug="")
            .distinct()
            .only("slug")
            .order_by("slug")
        )

    def location(self, tag):
        return reverse("claims:tag", args=[tag.slug])


SITEMAPS = {"index": IndexSitemap, "articles": ArticleSitemap, "tags": TagSitemap, "claims": ClaimSitemap}
