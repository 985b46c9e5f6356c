"""The desk's public standards: its rating scale, its editors' profiles and its 運営者情報.

Each of them changes what every page says (a rating's label shows in badges, /method/ prints the
scale, the footer links the about page), so each save moves every page's revision.
"""

from django.db import transaction

from claims.caching.revision import content_changed
from claims.models import RatingScale


@transaction.atomic
def rating_scale_save(*, scale, ratings=()):
    """Save a scale (and its ratings); an active scale ends the one that was active before."""
    if scale.is_active:
        RatingScale.objects.filter(is_active=True).exclude(pk=scale.pk).update(is_active=False)
    scale.save()
    for rating in ratings:
        rating.save()
    content_changed()
    return scale


@transaction.atomic
def rating_scale_activate(*, scale):
    """Make ``scale`` the one editors rate on (and /method/, the CSV and the admin offer)."""
    scale.is_active = True
    return rating_scale_save(scale=scale)


@transaction.atomic
def about_page_save(*, page):
    page.pk = 1
    page.save()
    content_changed()
    return page


@transaction.atomic
def editor_profile_save(*, profile):
    profile.save()
    content_changed()
    return profile
