from django.contrib.sitemaps import Sitemap

from .models import Article, Claim


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


SITEMAPS = {"articles": ArticleSitemap, "claims": ClaimSitemap}
