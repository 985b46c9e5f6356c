"""Pages run a fixed number of SQL queries whatever the number of claims, evidence links and tags."""

import pytest
from django.urls import reverse

from claims.tests.factories import make_user
from claims.tests.sampledata import make_sample_article

pytestmark = pytest.mark.django_db
SIZES = [10, 100, 1000]


@pytest.mark.parametrize("size", SIZES)
def test_admin_claim_list_queries_do_not_grow(client, django_assert_max_num_queries, size):
    make_sample_article(size)
    client.force_login(make_user("root", superuser=True))
    # 9: the rating filter lists the ratings in use (one query, whatever the number of claims).
    with django_assert_max_num_queries(9):
        response = client.get(reverse("admin:claims_claim_changelist"), {"all": ""})
    assert response.status_code == 200
    assert response.context["cl"].result_count == size
