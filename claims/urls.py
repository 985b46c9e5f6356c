from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.generic import TemplateView

from . import views
from .feeds import StatusChangeFeed
from .sitemaps import SITEMAPS

app_name = "claims"

urlpatterns = [
    path("", views.HomeArticleView.as_view(), name="home"),
    path("articles/<slug:slug>/", views.ArticleView.as_view(), name="article"),
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim"),
    path("tags/<str:slug>/", views.TagView.as_view(), name="tag"),
    path("feed/", StatusChangeFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain"), name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
]
