from django.conf import settings
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .models import Article, Claim


class ArticleView(DetailView):
    template_name = "claims/article.html"
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.published()


class HomeArticleView(ArticleView):
    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), slug=settings.HOME_ARTICLE_SLUG)


class ClaimDetailView(DetailView):
    template_name = "claims/claim_detail.html"
    context_object_name = "claim"

    def get_queryset(self):
        return Claim.objects.public().select_related("article").prefetch_related("evidence", "tags")


class ClaimListView(ListView):
    template_name = "claims/claim_list.html"
    paginate_by = 50

    def get_queryset(self):
        return Claim.objects.public().select_related("article")


class TagView(ClaimListView):
    def get_queryset(self):
        return super().get_queryset().filter(tags__slug=self.kwargs["slug"])
