"""The tag admin: tags are versioned like claims (deleting keeps a version to recover, with the tag's
uses), and names refuse invisible control characters like every other text readers see."""

from django.contrib import admin
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.models import Tag

from claims.services.tags import tag_save, tags_delete

from .forms import TagForm
from .versions import GuardedVersionAdmin

admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(GuardedVersionAdmin, TaggitTagAdmin):
    form = TagForm

    def save_model(self, request, obj, form, change):
        tag_save(tag=obj)

    def delete_model(self, request, obj):
        self._snapshot_before_delete(request, [obj])
        tags_delete(tags=[obj])

    def delete_queryset(self, request, queryset):
        tags = list(queryset)
        self._snapshot_before_delete(request, tags)
        tags_delete(tags=tags)
