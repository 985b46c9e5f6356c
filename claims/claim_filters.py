"""The claims index's filters: the search form, and its tag, section and rating choices, kept in
the cache under the list's revisions so that a search page, which is not stored, does not pay them."""

from django import forms
from django.core.cache import cache
from django.db.models import Min
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from .caching.pages import PAGE_TIMEOUT, code_release, page_scopes
from .caching.revision import scope_labels
from .models import Claim, Rating
from .search import search_claims, validate_query

Status = Claim.Status


class ClaimFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, validators=[validate_query])
    status = forms.ChoiceField(label=_("Status"), required=False)
    rating = forms.ChoiceField(label=_("Rating"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    section = forms.ChoiceField(label=_("Section"), required=False)

    def __init__(self, *args, tags=(), sections=(), ratings=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = ("", _("All"))
        self.fields["status"].choices = [everything, *Status.choices]
        self.fields["rating"].choices = [everything, *ratings]
        self.fields["tag"].choices = [everything, *((tag.slug, tag.name) for tag in tags)]
        self.fields["section"].choices = [everything, *((section, section) for section in sections)]

    def filter(self, queryset):
        """The valid filters; a value that is not one of the choices is ignored on its own."""
        if not self.is_bound:
            return queryset
        self.is_valid()
        if "q" in self.errors:
            return queryset.none()  # a search refused (too long, too many words, too many searches)
        data = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        if data["q"].strip():
            # A plain substring match, so two-character words such as 首都 are found, with widths
            # folded on both sides (claims/search.py). The internal note is never searched.
            queryset = search_claims(queryset, data["q"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["rating"]:
            queryset = queryset.filter(rating__code=data["rating"], rating__scale__is_active=True)
        if data["tag"]:
            queryset = queryset.filter(tags__slug=data["tag"])
        if data["section"]:
            queryset = queryset.filter(section=data["section"])
        return queryset


def public_tags():
    # A tag saved before every tag had a slug (claims/services/tags.py) cannot be filtered on or linked.
    return Tag.objects.filter(claim__in=Claim.objects.public()).exclude(slug="").distinct().order_by("name")


def public_sections():
    rows = (
        Claim.objects.public()
        .exclude(section="")
        .order_by()
        .values("section")
        .annotate(first=Min("position"))
        .order_by("first")
    )
    return [row["section"] for row in rows]


def public_ratings():
    """The active scale's ratings a claim can carry, as (code, label) in the page's language."""
    return [(r.code, r.label) for r in Rating.objects.active().exclude(status=Rating.NOT_A_CLAIM)]


def filter_choices(request):
    """The claims list's tag, section and rating choices: two aggregates over every public claim
    (half a second at 100,000 claims on PostgreSQL) and the scale, kept in the cache under the code
    release, the language and the revisions the list is keyed by (a scale's change moves them all),
    so a search page, which is not stored, does not pay them."""
    scopes = ".".join(scope_labels(page_scopes(request)))
    key = f"claim-filter-choices:{code_release()}:{translation.get_language()}:{scopes}"
    choices = cache.get(key)
    if choices is None:
        choices = (list(public_tags()), public_sections(), public_ratings())
        cache.set(key, choices, PAGE_TIMEOUT)
    return choices
