"""Accountability to readers: the corrections log (訂正履歴), the corrections policy (訂正方針) and
the error-report form (誤りを報告).

The log and the policy are cached public pages like the others. The report form is not: it
carries a CSRF token, a honeypot field and a per-client rate limit, and what a reader types is
stored and shown as plain text only (templates escape it; nothing here marks it safe).
"""

from django import forms
from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from . import ratelimit, text
from .models import Article, ArticleCorrection, Claim, Report, StatusChange, Withdrawal
from .security import client_ip
from .services.reports import report_submit
from .validators import VisibleTextField

PER_PAGE = 50


# ---------------------------------------------------------------------------------------------
# The corrections log


def correction_entries(*, claim=None, article=None):
    """Every correction readers could notice, newest first: verdicts changed and article texts corrected.

    A first verdict (from pending) and the initial load of the shipped record are not corrections.
    """
    verdicts = StatusChange.objects.corrections().public().select_related("claim", "claim__article")
    texts = ArticleCorrection.objects.filter(article__in=Article.objects.published()).select_related("article")
    withdrawals = Withdrawal.objects.public().select_related("article")
    if claim is not None:
        verdicts = verdicts.filter(claim=claim)
        texts = texts.none()
        withdrawals = withdrawals.filter(claim_pk=claim.pk)
    if article is not None:
        verdicts = verdicts.filter(claim__article=article)
        texts = texts.filter(article=article)
        withdrawals = withdrawals.filter(article=article)
    entries = (
        [{"kind": "verdict", "when": row.created_at, "row": row} for row in verdicts]
        + [{"kind": "text", "when": row.created_at, "row": row} for row in texts]
        + [{"kind": "withdrawal", "when": row.created_at, "row": row} for row in withdrawals]
    )
    return sorted(entries, key=lambda entry: entry["when"], reverse=True)


class CorrectionsView(TemplateView):
    template_name = "claims/corrections.html"

    def get_context_data(self, **kwargs):
        # A filter naming no public claim or published article, or a page out of range, is a 404,
        # not the unfiltered log under a new URL: only pages that exist are stored (docs/operations.md).
        query = self.request.GET
        claim = article = None
        if "claim" in query:
            value = query["claim"]
            claim = (
                Claim.objects.public().filter(pk=int(value)).first() if value.isdigit() and len(value) < 19 else None
            )
            if claim is None:
                raise Http404
        if "article" in query:
            article = Article.objects.published().filter(slug=query["article"][:100]).first()
            if article is None:
                raise Http404
        try:
            page = Paginator(correction_entries(claim=claim, article=article), PER_PAGE).page(query.get("page", 1))
        except InvalidPage:
            raise Http404 from None
        return {**super().get_context_data(**kwargs), "page_obj": page, "claim": claim, "article": article}


class CorrectionsPolicyView(TemplateView):
    template_name = "claims/corrections_policy.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "answer_days": settings.CLAIMS_REPORT_ANSWER_DAYS}


# ---------------------------------------------------------------------------------------------
# A reader's error report


class ReportForm(forms.Form):
    message = VisibleTextField(
        label=_("What is wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Plain text, up to 2,000 characters."),
    )
    source_url = forms.URLField(
        label=_("A source that shows it (optional)"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=_("A web address starting with http:// or https://."),
    )
    contact = forms.EmailField(
        label=_("Your email address (optional)"),
        required=False,
        help_text=_("Only if you want an answer. It is never published and is deleted when we close the report."),
    )
    # Left empty by people; filled by bots that fill every field.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    def __init__(self, *args, sentences=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sentences is not None:
            self.fields["sentence"] = forms.TypedChoiceField(
                label=_("Which sentence?"),
                choices=[(s.start, s.text[:120]) for s in sentences],
                coerce=int,
            )
            self.order_fields(["sentence", "message", "source_url", "contact", "website"])

    def clean_source_url(self):
        url = self.cleaned_data["source_url"]
        if url and url.split(":", 1)[0].lower() not in ("http", "https"):
            raise forms.ValidationError(_("Enter a web address that starts with http:// or https://."))
        return url


def _rate_limited(request):
    """At most CLAIMS_REPORTS_PER_HOUR reports an hour from one client (claims/ratelimit.py: an
    atomic count in the shared cache, or in this process while the cache errs)."""
    verdict = ratelimit.hit("report", client_ip(request), ratelimit.Rate(settings.CLAIMS_REPORTS_PER_HOUR, 3600))
    return None if verdict.allowed else verdict.retry_after


def report_view(request):
    """誤りを報告: about a claim (?claim=N) or a sentence of an article that has no claim (?article=slug)."""
    claim = article = None
    if request.GET.get("claim", "").isdigit():
        claim = get_object_or_404(Claim.objects.public().select_related("article"), pk=int(request.GET["claim"]))
        article = claim.article
    elif request.GET.get("article"):
        article = get_object_or_404(Article.objects.published(), slug=request.GET["article"])
    else:
        # Neither: where to report, and the articles to suggest a sentence of.
        articles = Article.objects.published().only("slug", "title")
        return TemplateResponse(request, "claims/report_start.html", {"articles": articles})
    sentences = None
    if claim is None:
        claimed = set(article.claims.filter(is_anchored=True, is_claim=True).values_list("position", flat=True))
        sentences = [s for s in text.sentences(article.body) if s.start not in claimed]
    form = ReportForm(request.POST or None, sentences=sentences)
    context = {
        "claim": claim,
        "article": article,
        "form": form,
        "sent": False,
        "limited": False,
        "limit": settings.CLAIMS_REPORTS_PER_HOUR,
    }
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:
            context["sent"] = True  # a bot: thank it and store nothing
        elif retry_after := _rate_limited(request):
            context["limited"] = True
            status = 429
        else:
            sentence = ""
            if sentences is not None:
                sentence = next(s.text for s in sentences if s.start == form.cleaned_data["sentence"])
            report_submit(
                article=article,
                claim=claim,
                sentence=sentence,
                message=form.cleaned_data["message"],
                source_url=form.cleaned_data["source_url"],
                contact=form.cleaned_data["contact"],
            )
            context["sent"] = True
            context["form"] = None
    response = TemplateResponse(request, "claims/report.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "private, no-store"
    return response


def report_counts(claim):
    """What readers see of the reports on a claim: how many, how they ended, and the public replies.

    One query: a claim has few reports (readers are rate-limited).
    """
    rows = list(Report.objects.filter(claim=claim).values_list("state", "public_reply", "closed_at"))
    closed = [(state, reply, when) for state, reply, when in rows if state not in Report.OPEN_STATES]
    return {
        "total": len(rows),
        "corrected": sum(1 for state, _reply, _when in closed if state == Report.State.CORRECTED),
        "declined": sum(1 for state, _reply, _when in closed if state == Report.State.DECLINED),
        "open": len(rows) - len(closed),
        "replies": [
            {"state": Report.State(state), "public_reply": reply, "closed_at": when}
            for state, reply, when in sorted(closed, key=lambda row: row[2] or timezone.now(), reverse=True)
            if reply
        ],
    }
