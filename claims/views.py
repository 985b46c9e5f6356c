"""The readers' side: the article with its badges, claim pages, the claims index and tag pages.

Every queryset starts from ``Article.objects.published()`` or ``Claim.objects.public()`` and
prefetches what its template touches, so a page runs a fixed number of queries whatever the
number of claims, evidence links and tags.
"""

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, ListView
from taggit.models import Tag

from . import ratelimit, text
from .accountability import report_counts
from .claim_filters import ClaimFilterForm, filter_choices, public_tags
from .models import (
    Article,
    Claim,
    Evidence,
    Snapshot,
    StatusChange,
    Withdrawal,
)
from .rendering import (
    article_body_html,
    page_plan,
    rating_labels,
    rating_summary,
    status_summary,
    unplaced_claims,
    with_badges,
)
from .search import is_search_cancelled, search_deadline
from .security import client_ip
from .structured_data import article_graph, claim_graph, ld_json_script
from .templatetags.claims_tags import public_name
from .validators import visible_text

Status = Claim.Status
ISSUE_STATUSES = (Status.DISPUTED, Status.UNSUPPORTED, Status.OUTDATED)
CONTEXT_SENTENCES = 2
TOO_MANY_SEARCHES = _("Too many searches from your connection: please try again in %(seconds)d seconds.")
SEARCH_TOO_SLOW = _("This search took too long. Please search with fewer or longer words.")


def share(request, *, title, description="", kind="website", path=None, image=None, image_alt=""):
    """What a link shared on LINE, X or in a search result shows: the page's description, Open Graph
    and Twitter card (templates/includes/share_meta.html), and its canonical address. ``image`` is
    the path of the page's share card (claims/share_cards.py); without one, the default card."""
    return {
        "title": title,
        "description": Truncator(" ".join(str(description).split())).chars(200),
        "type": kind,
        "url": request.build_absolute_uri(path if path is not None else request.path),
        "image": request.build_absolute_uri(image) if image else "",
        "image_alt": image_alt,
    }


class PublicMixin:
    """What every reader's page shares: only public rows, with what the templates touch prefetched."""

    def public_claims(self, claims=None):
        """Public claims with their evidence (the badge's popover, the claim page)."""
        return (claims if claims is not None else Claim.objects).public().prefetch_related("evidence")

    def public_claims_for_list(self):
        # A list shows titles, not bodies: the article's long text stays in the database.
        return (
            Claim.objects.public()
            .select_related("article", "rating")
            .defer("article__body", "article__lead")
            .prefetch_related("tags")
        )


# ---------------------------------------------------------------------------------------------
# Articles


class ArticleListView(PublicMixin, ListView):
    """The publication's articles, newest first, each with its claims counted by status."""

    template_name = "claims/article_list.html"
    context_object_name = "articles"
    paginate_by = 50

    def get_queryset(self):
        return Article.objects.published().defer("body").order_by("-published_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        articles = context["articles"]
        counts = {}
        rows = (
            Claim.objects.public()
            .filter(article__in=[article.pk for article in articles])
            .order_by()
            .values("article", "status")
            .annotate(total=Count("pk"))
        )
        for row in rows:
            counts.setdefault(row["article"], {})[row["status"]] = row["total"]
        for article in articles:
            found = counts.get(article.pk, {})
            article.status_counts = [(status, found[status]) for status in Status.LEGEND_ORDER if found.get(status)]
            article.claim_total = sum(found.values())
        context["share"] = share(
            self.request, title=_("Articles"), description=_("Every article of the publication, its claims checked.")
        )
        return context


class ArticleView(PublicMixin, DetailView):
    """An article with a badge after each claimed sentence.

    The body is nearly all of the page (1.5 MB of HTML at 1,000 claims, each badge carrying its
    popover). It is made of stored UTF-8 paragraphs (rendering.article_body_html), and the
    template engine would decode it, copy it at every level of nesting as it joins the page and
    encode it again. So the template renders a small marker where the body goes, and the body's
    bytes are put in its place after the render (a post-render callback, TemplateResponse's hook
    for this): the same page, without a render's worth of copying.
    """

    template_name = "claims/article.html"
    context_object_name = "article"
    BODY_SLOT = "<!-- essay body -->"

    def get_queryset(self):
        # Staff preview a draft at its address; readers get 404 (and the page is never stored).
        if self.request.user.is_staff and self.request.user.has_perm("claims.view_article"):
            return Article.objects.all()
        return Article.objects.published()

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        response.add_post_render_callback(self.fill_body)
        if not self.object.is_published:
            response.store_page = False
            response.private_page = True
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        # What the page needs of each claim to place and count it (rendering.PagePlan: every row the
        # first time, then only the claims whose version moved); the note, dates and evidence are read
        # only for the paragraphs that are not stored already.
        plan = page_plan(article)
        claims, glued = (list(plan.claims.values()), plan.glued) if plan else ([], {})
        ratings = rating_labels(claims)
        self.body = article_body_html(
            article, claims, glued, plan.blocks(article, ratings[0]) if plan else None, ratings
        )
        context.update(
            body=mark_safe(self.BODY_SLOT),  # the marker fill_body replaces with self.body
            summary=status_summary(claims),
            rating_counts=rating_summary(claims, ratings[1]),
            unplaced=with_badges(unplaced_claims(article, claims, glued)),
            focus_issues=self.request.GET.get("focus") == "issues",
            is_draft=not article.is_published,
            share=share(
                self.request,
                title=article.title,
                description=article.lead,
                kind="article",
                path=article.get_absolute_url(),
                image=reverse("claims:article_card", args=[article.slug]) + f"?v={int(article.updated_at.timestamp())}",
                image_alt=article.title,
            ),
            statuses=Status.LEGEND_ORDER,
            # Only a corrected article costs a query for its corrections.
            structured_data=ld_json_script(
                article_graph(
                    article,
                    corrections=list(article.corrections.all()) if article.corrected_at else [],
                    absolute=self.request.build_absolute_uri,
                )
            ),
        )
        return context

    def fill_body(self, response):
        before, slot, after = response.content.partition(self.BODY_SLOT.encode())
        if not slot:  # the template no longer prints the body: nothing to fill, never a wrong page
            raise ValueError(f"{self.template_name} has no {self.BODY_SLOT}")
        response.content = [before, self.body, after]


class HomeArticleView(ArticleView):
    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), slug=settings.HOME_ARTICLE_SLUG)


# ---------------------------------------------------------------------------------------------
# A claim's page


def statement_in_context(claim, before=CONTEXT_SENTENCES, after=CONTEXT_SENTENCES):
    """The sentences of its paragraph around a claim's statement, as (before, after).

    None when the claim is not on a sentence of the article any more (unanchored, or its anchor is
    stale): then the page shows the statement alone, never someone else's sentence.
    """
    if not claim.is_anchored:
        return None
    sentences = text.sentences(claim.article.body)
    for sentence in sentences:
        if sentence.start == claim.position and sentence.text == claim.statement:
            paragraph = [s for s in sentences if s.paragraph == sentence.paragraph]
            here = paragraph.index(sentence)
            return (
                [s.text for s in paragraph[max(0, here - before) : here]],
                [s.text for s in paragraph[here + 1 : here + 1 + after]],
            )
    return None


def decision_of(claim):
    """Who checked the claim's current verdict, who approved it and when (its last history row
    to that status), by public name; None while it is undecided or the history has no such row."""
    if claim.status == Status.PENDING:
        return None
    row = next((row for row in claim.public_history if row.to_status == claim.status), None)
    if row is None:
        return None
    return {"checked_by": public_name(row.user), "approved_by": public_name(row.approved_by), "when": row.created_at}


class ClaimDetailView(PublicMixin, DetailView):
    template_name = "claims/claim_detail.html"
    context_object_name = "claim"

    def get_queryset(self):
        # Readers see who checked and who approved a verdict by their public profile (display name
        # or role), never by their account: only the profiles' public fields are selected.
        history = StatusChange.objects.select_related("user__editor_profile", "approved_by__editor_profile").only(
            "claim",
            "from_status",
            "to_status",
            "note",
            "via",
            "created_at",
            "user__id",
            "user__editor_profile__display_name",
            "user__editor_profile__role",
            "approved_by__id",
            "approved_by__editor_profile__display_name",
            "approved_by__editor_profile__role",
        )
        # Each link with its latest saved copy of the page it points at now, in the evidence's own query.
        copies = Snapshot.objects.kept().filter(evidence=OuterRef("pk"), url=OuterRef("url"))
        copies = copies.order_by("-fetched_at", "-pk")
        evidence = Evidence.objects.annotate(
            copy_pk=Subquery(copies.values("pk")[:1]),
            copy_fetched_at=Subquery(copies.values("fetched_at")[:1]),
            copy_wayback_url=Subquery(copies.values("wayback_url")[:1]),
        )
        return (
            Claim.objects.public()
            .select_related("article", "rating")
            .prefetch_related(
                Prefetch("evidence", queryset=evidence),
                "tags",
                Prefetch("history", queryset=history, to_attr="public_history"),
            )
        )

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # A claim readers could see that was withdrawn (not a claim, deleted): its address says so.
            withdrawal = Withdrawal.objects.at_address(kwargs["pk"])
            if withdrawal is None:
                raise
            return TemplateResponse(request, "claims/claim_withdrawn.html", {"withdrawal": withdrawal}, status=410)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.object
        in_context = statement_in_context(claim)
        evidence = list(claim.evidence.all())
        for item in evidence:  # where readers read the saved copy: the Wayback Machine's, or ours
            if item.copy_pk:
                item.copy_url = item.copy_wayback_url or reverse("claims:snapshot", kwargs={"pk": item.copy_pk})
        context.update(
            is_placed=in_context is not None,
            before=in_context[0] if in_context else [],
            after=in_context[1] if in_context else [],
            evidence_groups=[
                (stance, [item for item in evidence if item.stance == stance])
                for stance in Evidence.Stance
                if any(item.stance == stance for item in evidence)
            ],
            structured_data=ld_json_script(claim_graph(claim, absolute=self.request.build_absolute_uri)),
            decision=decision_of(claim),
            reports=report_counts(claim),
            share=share(
                self.request,
                title=Truncator(claim.statement).chars(90),
                description=f"{claim.get_status_display()}: {claim.verdict_note}"
                if claim.verdict_note
                else claim.get_status_display(),
                kind="article",
                image=reverse("claims:claim_card", args=[claim.pk]) + f"?v={claim.version}",
                image_alt=f"{claim.get_status_display()}: {visible_text(claim.statement)}",
            ),
        )
        return context


# ---------------------------------------------------------------------------------------------
# The claims index and tag pages


class ClaimListView(PublicMixin, ListView):
    template_name = "claims/claim_list.html"
    context_object_name = "claims"
    paginate_by = 50

    def get_form(self):
        tags, sections, ratings = filter_choices(self.request)
        return ClaimFilterForm(self.request.GET or None, tags=tags, sections=sections, ratings=ratings)

    def get_queryset(self):
        self.form = self.get_form()
        self.retry_after = None
        if self.request.GET.get("q", "").strip():
            # A search reads every claim: a per-client rate, as the API has (claims/ratelimit.py).
            verdict = ratelimit.hit("search", client_ip(self.request), settings.CLAIMS_SEARCHES_PER_MINUTE)
            if not verdict.allowed:
                self.retry_after = verdict.retry_after
                self.form.is_valid()
                self.form.add_error("q", TOO_MANY_SEARCHES % {"seconds": verdict.retry_after})
        return self.form.filter(self.public_claims_for_list())

    def paginate_queryset(self, queryset, page_size):
        if not self.form.is_bound or not self.form.cleaned_data.get("q", "").strip():
            return super().paginate_queryset(queryset, page_size)
        # A search's count and page are read under the search's own deadline (claims/search.py).
        try:
            with search_deadline():
                paginator, page, claims, is_paginated = super().paginate_queryset(queryset, page_size)
                paginator.count  # noqa: B018 (read now, under the deadline)
                page.object_list = claims = list(claims)
        except DatabaseError as error:
            if not is_search_cancelled(error):
                raise
            self.form.add_error("q", SEARCH_TOO_SLOW)
            return super().paginate_queryset(queryset.none(), page_size)
        return paginator, page, claims, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=self.form,
            query=query.urlencode(),
            is_filtered=self.form.is_bound,
            share=share(
                self.request,
                title=_("All claims"),
                description=_("Every checked statement of the publication, with its verdict and sources."),
                path=self.request.get_full_path(),
            ),
        )
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        # A search's words, or a filter value that is not one of the choices, can be anything: such
        # a page is rendered for the reader but not stored (claims/caching/pages.py).
        if self.form.is_bound and (not self.form.is_valid() or self.form.cleaned_data["q"].strip()):
            response.store_page = False
        if self.retry_after:
            response.status_code = 429
            response["Retry-After"] = str(self.retry_after)
        return response


class TagListView(PublicMixin, ListView):
    """Every tag of a public claim, with how many public claims carry it."""

    template_name = "claims/tag_list.html"
    context_object_name = "tags"

    def get_queryset(self):
        public = Count("claim", filter=Q(claim__in=Claim.objects.public()), distinct=True)
        return Tag.objects.exclude(slug="").annotate(claim_count=public).filter(claim_count__gt=0).order_by("name")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            share=share(self.request, title=_("Tags"), description=_("Every tag of the claims.")), **kwargs
        )


class TagView(PublicMixin, ListView):
    template_name = "claims/tag.html"
    context_object_name = "claims"
    paginate_by = 50

    def get_queryset(self):
        self.tag = get_object_or_404(public_tags(), slug=self.kwargs["slug"])
        return self.public_claims_for_list().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tag=self.tag,
            query="",
            share=share(
                self.request, title=self.tag.name, description=_("Claims tagged “%(tag)s”.") % {"tag": self.tag.name}
            ),
            **kwargs,
        )
