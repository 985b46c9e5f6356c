"""The desk's public standards in the admin: the rating scales, the editors' profiles, 運営者情報."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from claims.caching.revision import content_changed
from claims.models import AboutPage, EditorProfile, Rating, RatingScale
from claims.services.standards import about_page_save, editor_profile_save, rating_scale_activate, rating_scale_save


class RatingInline(admin.TabularInline):
    model = Rating
    extra = 0
    fields = [
        "order",
        "code",
        "label_ja",
        "label_en",
        "status",
        "review_value",
        "needs_note",
        "definition_ja",
        "definition_en",
    ]


@admin.action(description=_("Rate on the selected scale from now on"), permissions=["change"])
def activate_scale_action(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, gettext("Choose exactly one scale to rate on."), messages.ERROR)
        return
    scale = queryset.get()
    rating_scale_activate(scale=scale)
    modeladmin.message_user(request, gettext("Editors now rate on “%(scale)s”.") % {"scale": scale}, messages.SUCCESS)


@admin.register(RatingScale)
class RatingScaleAdmin(admin.ModelAdmin):
    """A scale and its ratings, edited without code; making one active ends the one before."""

    list_display = ["name", "is_active", "source_name", "rating_count"]
    fields = ["name", "is_active", "source_name", "source_url"]
    inlines = [RatingInline]
    actions = [activate_scale_action]

    @admin.display(description=_("ratings"))
    def rating_count(self, obj):
        return obj.ratings.count()

    def save_model(self, request, obj, form, change):
        rating_scale_save(scale=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        content_changed()  # a label or definition readers see may have changed


@admin.register(EditorProfile)
class EditorProfileAdmin(admin.ModelAdmin):
    """Each editor edits their own public profile, and only their own."""

    fields = ["display_name", "role", "bio"]
    list_display = ["display_name", "role", "user"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user=request.user).select_related("user")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.user_id == request.user.pk)

    has_change_permission = has_view_permission

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def add_view(self, request, form_url="", extra_context=None):
        """One profile each: someone who has one is taken to it."""
        profile = EditorProfile.objects.filter(user=request.user).first()
        if profile is not None:
            return HttpResponseRedirect(reverse("admin:claims_editorprofile_change", args=[profile.pk]))
        return super().add_view(request, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.user = request.user
        editor_profile_save(profile=obj)


@admin.register(AboutPage)
class AboutPageAdmin(admin.ModelAdmin):
    """運営者情報: one page; the admin warns while it still holds the placeholder text."""

    fields = ["publisher", "ownership", "funding", "nonpartisanship", "contact", "needs_editing"]
    list_display = ["__str__", "publisher", "placeholder", "updated_at"]

    @admin.display(description=_("placeholder"), boolean=False)
    def placeholder(self, obj):
        if obj.needs_editing:
            return format_html('<strong class="errornote">{}</strong>', gettext("still the placeholder: edit it"))
        return "—"

    def has_add_permission(self, request):
        return False  # one page, made by the migration

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        self._warn(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            self._warn(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def _warn(self, request):
        if AboutPage.objects.filter(needs_editing=True).exists():
            self.message_user(
                request,
                gettext(
                    "運営者情報 still has the placeholder text: put the desk's operator, ownership and contact "
                    "in it, then untick “still the placeholder text”."
                ),
                messages.WARNING,
            )

    def save_model(self, request, obj, form, change):
        about_page_save(page=obj)
