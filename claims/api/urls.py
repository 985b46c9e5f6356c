"""The open-data routes: the API and its docs, annotation containers, the ClaimReview feed, downloads."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from claims.caching.pages import public_page

from . import annotation_views, opendata, views

app_name = "api"

urlpatterns = [
    path("api/", public_page(opendata.ApiDocsView.as_view()), name="docs"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/articles", views.ArticleListView.as_view(), name="articles"),
    path("api/v1/articles/<str:slug>", views.ArticleDetailView.as_view(), name="article"),
    path("api/v1/claims", views.ClaimListView.as_view(), name="claims"),
    path("api/v1/claims/<str:id>", views.ClaimDetailView.as_view(), name="claim"),
    path("api/v1/tags", views.TagListView.as_view(), name="tags"),
    path("annotations/<slug:slug>/", annotation_views.annotation_container, name="annotations"),
    path("annotations/<slug:slug>/<int:pk>", annotation_views.annotation_detail, name="annotation"),
    path("claimreview.json", public_page(opendata.claimreview_json), name="claimreview"),
    path("data/claims.csv", public_page(opendata.claims_csv), name="claims_csv"),
    path(
        "data/claims.csv-metadata.json",
        public_page(opendata.claims_csv_metadata_json),
        name="claims_csv_metadata",
    ),
    path("data/claims.json", public_page(opendata.claims_json), name="claims_json"),
]
