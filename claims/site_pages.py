"""The site's own pages beside the articles and claims: the article's plain text (the annotations'
source), share cards, 方法と評価基準 (/method/), 運営者情報 (/about/) and the saved copies of sources."""

from csp.decorators import csp
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, TemplateView

from . import share_cards
from .api.annotations import plain_text
from .models import AboutPage, Article, Claim, EditorProfile, RatingScale, Snapshot
from .views import PublicMixin

Status = Claim.Status


def article_text(request, slug):
    """The article's plain text, UTF-8: the source whose code points the annotations' positions
    count (claims/api/annotations.py, docs/annotations.md)."""
    article = get_object_or_404(Article.objects.published(), slug=slug)
    return HttpResponse(plain_text(article).text, content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------------------------
# Share cards (og:image)


def _card(request, png, version):
    response = HttpResponse(png, content_type="image/png")
    # The address names the version: a current one is kept a day by any cache, another an hour.
    response["Cache-Control"] = f"public, max-age={86400 if request.GET.get('v') == version else 3600}"
    return response


def claim_card(request, pk):
    claim = get_object_or_404(Claim.objects.public().select_related("article"), pk=pk)
    return _card(request, share_cards.claim_card(claim), str(claim.version))


def article_card(request, slug):
    article = get_object_or_404(Article.objects.published(), slug=slug)
    return _card(request, share_cards.article_card(article), str(int(article.updated_at.timestamp())))


def default_card(request):
    return _card(request, share_cards.default_card(), request.GET.get("v"))


def favicon(request):
    return HttpResponseRedirect(static("favicon.svg"))


# ---------------------------------------------------------------------------------------------
# How we check


class MethodView(TemplateView):
    """方法と評価基準: each verdict, the rules the workflow enforces for it, sign-off, rechecks, sources.

    The rules are the workflow's own messages for an empty claim taking each status, so the page
    cannot drift from what the code checks; the sign-off paragraph follows the setting.
    """

    template_name = "claims/method.html"

    def get_context_data(self, **kwargs):
        from .services import status_rule_errors
        from .structured_data import REVIEW_RATINGS
        from .templatetags.claims_tags import STATUS_MEANINGS

        statuses = [
            {
                "value": status,
                "meaning": STATUS_MEANINGS[status],
                "rules": status_rule_errors(status=status, verdict_note="", as_of=None, stances=[]),
                "rating": REVIEW_RATINGS.get(status),
            }
            for status in Status.LEGEND_ORDER
        ]
        scale = RatingScale.objects.active()
        return {
            **super().get_context_data(**kwargs),
            "statuses": statuses,
            "sign_off": settings.CLAIMS_SIGN_OFF,
            "scale": scale,
            "ratings": list(scale.ratings.all()) if scale else [],
        }


class AboutView(TemplateView):
    """運営者情報: publisher, ownership, funding, non-partisanship, contact, and the editors."""

    template_name = "claims/about.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "about": AboutPage.load(),
            "editors": list(EditorProfile.objects.filter(user__is_active=True).order_by("display_name")),
            "show_roles": settings.CLAIMS_SHOW_ROLES_NOT_NAMES,
            "scale": RatingScale.objects.active(),
        }


# A snapshot's page shows a source's words as text, never its markup: nothing on it may run, load
# or submit anything but the site's own style sheet and icon.
SNAPSHOT_POLICY = {
    "default-src": ["'none'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'none'"],
}


@method_decorator(csp(SNAPSHOT_POLICY), name="dispatch")
class SnapshotView(PublicMixin, DetailView):
    """The copy of a source kept when it was cited (claims/archiving.py): its main text, title,
    address and fetch time, as inert text; reachable however the source answers now."""

    template_name = "claims/snapshot.html"
    context_object_name = "snapshot"

    def get_queryset(self):
        return Snapshot.objects.filter(
            kind=Snapshot.Kind.ARCHIVE, evidence__claim__in=Claim.objects.public()
        ).select_related("evidence__claim")

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        return response
