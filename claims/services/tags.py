"""Tags: renaming or deleting one changes every page that lists it.

Every tag has a usable slug. taggit makes the slug from the name with ``slugify``, which drops
punctuation: a tag named ``!!!`` or 「？？？」 would get an empty slug, and an empty slug has no
URL (``/tags/<slug>/``), so every page that links the tag would fail. :func:`tag_slug` gives such
a name a slug made from a digest of the name instead; :func:`ensure_tag_slug` applies it to every
tag saved by any path (the claim form, the tag admin, the CSV import, the commands), because they
all create tags through taggit's own ``Tag.save``.
"""

import hashlib

from django.db import transaction
from django.utils.text import slugify

from claims.caching.revision import Touched, content_changed


def tag_slug(name):
    """The slug for a tag name: taggit's (Unicode words kept), or ``tag-<digest>`` when that is empty."""
    slug = slugify(name, allow_unicode=True)
    if slug.strip("-_"):
        return slug
    return "tag-" + hashlib.sha256(str(name).encode()).hexdigest()[:10]


def ensure_tag_slug(sender, instance, **kwargs):
    """pre_save for taggit's Tag: an empty slug is replaced with :func:`tag_slug`."""
    if not (instance.slug or "").strip("-_"):
        instance.slug = tag_slug(instance.name)


@transaction.atomic
def tag_save(*, tag):
    if not (tag.slug or "").strip("-_"):
        tag.slug = tag_slug(tag.name)
    tag.full_clean(exclude=["slug"], validate_unique=False)
    tag.save()
    content_changed(_touched([tag.pk]))
    return tag


@transaction.atomic
def tags_delete(*, tags):
    touched = _touched([tag.pk for tag in tags])  # before the claims lose them
    for tag in tags:
        tag.delete()
    content_changed(touched)


def _touched(tag_pks):
    """A tag's name is on its page, on the pages of its claims and their articles, and in the lists."""
    from claims.models import Claim

    claims = Claim.objects.filter(tags__pk__in=[pk for pk in tag_pks if pk]).values_list("pk", "article_id")
    rows = set(claims)
    return Touched(tags=set(tag_pks), claims={pk for pk, _a in rows}, articles={a for _pk, a in rows})
