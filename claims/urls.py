from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.generic import TemplateView

from . import accountability, site_pages, views
from .caching.pages import public_page
from .feeds import StatusChangeFeed
from .sitemaps import SITEMAPS

app_name = "claims"

urlpatterns = [
    path("", public_page(views.HomeArticleView.as_view(), params=["focus"]), name="home"),
    path("articles/", public_page(views.ArticleListView.as_view(), params=["page"]), name="article_list"),
    path("articles/<slug:slug>/", public_page(views.ArticleView.as_view(), params=["focus"]), name="article"),
    path("articles/<slug:slug>.txt", public_page(site_pages.article_text), name="article_text"),
    path(
        "claims/",
        public_page(views.ClaimListView.as_view(), params=["q", "status", "rating", "tag", "section", "page"]),
        name="claim_list",
    ),
    path("claims/<int:pk>/", public_page(views.ClaimDetailView.as_view()), name="claim"),
    path("snapshots/<int:pk>/", site_pages.SnapshotView.as_view(), name="snapshot"),
    path("tags/", public_page(views.TagListView.as_view()), name="tag_list"),
    path("tags/<str:slug>/", public_page(views.TagView.as_view(), params=["page"]), name="tag"),
    path("feed/", public_page(StatusChangeFeed()), name="feed"),
    path("method/", public_page(site_pages.MethodView.as_view()), name="method"),
    path("about/", public_page(site_pages.AboutView.as_view()), name="about"),
    path(
        "corrections/",
        public_page(accountability.CorrectionsView.as_view(), params=["claim", "article", "page"]),
        name="corrections",
    ),
    path(
        "corrections/policy/",
        public_page(accountability.CorrectionsPolicyView.as_view()),
        name="corrections_policy",
    ),
    path("report/", accountability.report_view, name="report"),
    path("sitemap.xml", public_page(sitemap, params=["p"]), {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain"), name="robots"),
    path("share/claims/<int:pk>.png", site_pages.claim_card, name="claim_card"),
    path("share/articles/<slug:slug>.png", site_pages.article_card, name="article_card"),
    path("share/default.png", site_pages.default_card, name="default_card"),
    path("favicon.ico", site_pages.favicon, name="favicon"),
]
