"""Tags: renaming or deleting one changes every page that lists it."""

from django.db import transaction

from claims.caching.revision import content_changed


@transaction.atomic
def tag_save(*, tag):
    tag.full_clean(exclude=["slug"], validate_unique=False)
    tag.save()
    content_changed()
    return tag


@transaction.atomic
def tags_delete(*, tags):
    for tag in tags:
        tag.delete()
    content_changed()
