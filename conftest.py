import pytest


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """Start every test with Django's process-wide content-type cache empty.

    Transactional tests (the browser tests) flush the database, and content types get new ids; a
    test whose transaction is rolled back can then leave ids in the cache that no longer exist, and
    the next test tags a claim with a content type that is gone (taggit finds no tags, or the
    database refuses the row).
    """
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Every test starts with no cached pages (the local-memory cache outlives a test's rollback)."""
    from django.core.cache import cache

    from claims.caching.pages import local_pages
    from claims.rendering import local_fragments, local_plans

    cache.clear()
    local_pages.pages.clear()
    local_fragments.pages.clear()
    local_plans.pages.clear()


@pytest.fixture(autouse=True)
def one_person_desk(request, settings):
    """Sign-off is on by default on the site; each test of another feature runs as a one-person desk
    (CLAIMS_SIGN_OFF off), and the tests marked ``sign_off`` run with it on."""
    settings.CLAIMS_SIGN_OFF = request.node.get_closest_marker("sign_off") is not None
