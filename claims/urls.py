from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("", views.HomeArticleView.as_view(), name="home"),
    path("articles/<slug:slug>/", views.ArticleView.as_view(), name="article"),
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim"),
    path("tags/<slug:slug>/", views.TagView.as_view(), name="tag"),
]
