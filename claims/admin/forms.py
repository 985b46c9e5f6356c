"""The editors' forms: a claim with its evidence, the bulk status change, a restore, a tag."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from claims import services
from claims.models import EVIDENCE_FIELDS, Article, Claim, Rating
from claims.services.articles import correction_note_required_message, same_text
from claims.validators import VisibleTextField, validate_visible_text

Status = Claim.Status
# The claim fields the change form sets through the workflow (the rest is the anchor or bookkeeping).
FORM_VALUE_FIELDS = ["is_claim", "status", "rating", "verdict_note", "internal_note", "as_of", "recheck_after"]


class RatingChoiceField(forms.ModelChoiceField):
    """A rating, named with the status it belongs to: “ほぼ正確 (検証済み)”."""

    def label_from_instance(self, obj):
        if obj.status == Rating.NOT_A_CLAIM:
            return f"{obj.label} ({_('not a claim')})"
        return f"{obj.label} ({Status(obj.status).label})"


def rating_choices(current=None):
    """The ratings of the active scale, and the one a claim has now if it is of another scale."""
    ratings = Rating.objects.filter(scale__is_active=True)
    if current is not None:
        ratings = ratings | Rating.objects.filter(pk=current)
    return ratings.select_related("scale").order_by("-scale__is_active", "order", "pk")


class ClaimAdminForm(forms.ModelForm):
    status_note = VisibleTextField(
        label=_("Note for the history"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Why the status changes. Public: readers see it with the status history on the claim's page and in the feed."
        ),
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = ["article", "statement", *FORM_VALUE_FIELDS, "tags"]
        widgets = {"statement": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sentence = None
        self.fields["loaded_version"].initial = self.instance.version
        if "rating" in self.fields:
            self.fields["rating"] = RatingChoiceField(
                queryset=rating_choices(self.instance.rating_id),
                required=False,
                label=Claim._meta.get_field("rating").verbose_name,
                help_text=Claim._meta.get_field("rating").help_text,
            )
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs.update(
                {"list": "tag-options", "autocomplete": "off", "data-tag-input": "1"}
            )

    def clean_tags(self):
        tags = self.cleaned_data.get("tags") or []
        for name in tags:
            validate_visible_text(name)
        return tags

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            loaded = cleaned.get("loaded_version")
            current = Claim.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if loaded is not None and current is not None and loaded != current:
                raise ValidationError(services.CONCURRENT_EDIT_MESSAGE, code="concurrent_edit")
        article, statement = cleaned.get("article"), cleaned.get("statement")
        if (
            article
            and statement is not None
            and (
                not self.instance.pk
                or statement.strip() != self.instance.statement
                or article.pk != self.instance.article_id
            )
        ):
            try:
                self.sentence = services.claim_locate(article=article, statement=statement, exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error("statement", error)
        return cleaned

    def claim_change(self, evidence=None):
        """This form's change, for the workflow: what the editor typed, evidence as ``evidence``."""
        stored = Claim.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        return services.ClaimChange(
            claim=stored,
            article=self.cleaned_data.get("article"),
            sentence=self.sentence,
            values={name: self.cleaned_data.get(name) for name in FORM_VALUE_FIELDS if name in self.cleaned_data},
            tags=list(self.cleaned_data.get("tags") or []),
            evidence=evidence,
            expected_version=self.cleaned_data.get("loaded_version") if stored else None,
            note=self.cleaned_data.get("status_note", ""),
        )


def formset_evidence(formset):
    """The claim's evidence as the inline says it will be after this save (kept links with their pk).

    Also notes on the formset what it adds, changes and deletes, as ``formset.save()`` would, for
    the admin's log message (the workflow, not the formset, writes them).
    """
    links = []
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data:
            continue
        if data.get("DELETE"):
            if form.instance.pk:
                formset.deleted_objects.append(form.instance)
            continue
        if not form.instance.pk and not form.has_changed():
            continue
        if not form.instance.pk:
            formset.new_objects.append(form.instance)
        elif form.has_changed():
            formset.changed_objects.append((form.instance, form.changed_data))
        link = {name: data.get(name) for name in EVIDENCE_FIELDS}
        link["pk"] = form.instance.pk
        links.append(link)
    return links


class EvidenceFormSet(forms.BaseInlineFormSet):
    """Checks the claim's rules, through the workflow, on the claim and evidence this save will store.

    ``self.instance`` is the claim with the form's values already applied (the admin validates
    the claim form first), so the check sees exactly what the save will hand the workflow.

    ``ask_note_unchanged`` (claim-form.js sends it when the status changes and the verdict note
    was not touched): once every rule passes, the save stops once with that question, so it is
    asked only of a save that would go through; saving again saves.
    """

    def __init__(self, *args, ask_note_unchanged=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.ask_note_unchanged = ask_note_unchanged

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        claim = self.instance
        stored = Claim.objects.filter(pk=claim.pk).first() if claim.pk else None
        sentence = None
        if stored is None:
            try:
                sentence = services.claim_locate(article=claim.article, statement=claim.statement)
            except (ValidationError, Claim.article.RelatedObjectDoesNotExist):
                return  # the claim form names the problem
        change = services.ClaimChange(
            claim=stored,
            article=claim.article if stored is None else None,
            sentence=sentence,
            values={name: getattr(claim, name) for name in FORM_VALUE_FIELDS},
            evidence=formset_evidence(self),
        )
        problems = services.claims_check(changes=[change]).problems
        if problems:
            raise ValidationError([p.message for p in problems])
        if (
            self.ask_note_unchanged
            and stored is not None
            and claim.status != stored.status
            and (claim.verdict_note or "") == (stored.verdict_note or "")
        ):
            raise ValidationError(
                _("The status changes but the public verdict note was not touched. To save it as it is, save again."),
                code="note_unchanged",
            )


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    verdict_note = VisibleTextField(
        label=_("Verdict note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Public: why this status, for every selected claim. A new verdict needs a note written for it; "
            "leave empty to keep each claim's note (only for a first “verified” or a return to unverified)."
        ),
    )
    rating = RatingChoiceField(
        label=_("New rating"),
        queryset=Rating.objects.none(),
        required=False,
        help_text=_("Blank leaves the claims unrated (an unverified claim has no rating)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].queryset = rating_choices()

    note = VisibleTextField(label=_("Note for the history"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RestoreForm(forms.Form):
    """Restoring an old version: a note for the history, and the version the editor looked at."""

    status_note = VisibleTextField(
        label=_("Note for the history"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Why this version comes back. Public: readers see it with the status history if the status changes."
        ),
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    verdict_only = forms.BooleanField(
        label=_("Restore the verdict only, on the sentence as it reads now"),
        required=False,
        help_text=_(
            "The version's sentence was reworded since. Tick this to bring back its status, verdict note, "
            "“as of” and evidence for the current wording, and leave the sentence as it is."
        ),
    )

    def __init__(self, *args, reworded=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not reworded:
            del self.fields["verdict_only"]


class TagForm(forms.ModelForm):
    def clean_name(self):
        name = self.cleaned_data["name"]
        validate_visible_text(name)
        return name


class ArticleAdminForm(forms.ModelForm):
    """An article; editing a published article's text asks for a public correction note."""

    correction_note = VisibleTextField(
        label=_("Correction note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Public. Needed when you change the text of a published article: what you corrected and why. "
            "The corrections page shows it with the sentences before and after."
        ),
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "lead", "body", "language", "is_published", "published_at", "written"]

    def clean(self):
        cleaned = super().clean()
        stored = Article.objects.filter(pk=self.instance.pk).values("body", "is_published").first()
        body = cleaned.get("body")
        if (
            stored
            and stored["is_published"]
            and body is not None
            and not same_text(body, stored["body"])
            and not (cleaned.get("correction_note") or "").strip()
        ):
            self.add_error("correction_note", correction_note_required_message())
        return cleaned
