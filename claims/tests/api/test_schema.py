"""Real API answers validated against the OpenAPI 3.1 schema the site serves (/api/schema/).

OpenAPI 3.1's schema objects are JSON Schema 2020-12, so the served document is checked with
jsonschema's 2020-12 validator, each answer against the schema of its path, method and status
(references resolved inside the served document). The fuzzer in .ci/run checks the same schema
against made-up requests; this checks it against the answers readers get.
"""

import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from claims import services
from claims.api.views import ClaimCursorPagination
from claims.models import Claim
from claims.tests.factories import add_evidence, claim_for, edit, make_article, make_status, make_verified

pytestmark = pytest.mark.django_db

SCHEMA_URI = "urn:hundredmodels:openapi"
# jsonschema checks "uri" only with an optional package; an absolute URI is what the API promises.
FORMATS = FormatChecker()


@FORMATS.checks("uri")
def is_absolute_uri(value):
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", value) is not None


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def essay():
    article = make_article()
    claim = make_verified(claim_for(article, "富士山は日本一高い山です。"))
    add_evidence(claim, stance="refutes", url="https://example.com/other", title="別の出典")
    make_status(claim_for(article, "東京は日本の首都です。", 1), Claim.Status.DISPUTED)
    edit(claim_for(article, "最後の文です。"), tags=["地理"])
    claim_for(article, "東京は日本の首都です。")  # pending: nullable fields stay null
    return article


def validate(schema, path_template, response, status=200):
    assert response.status_code == status, response.content
    operation = schema["paths"][path_template]["get"]
    content = operation["responses"][str(status)]["content"]
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in content, (media_type, list(content))
    pointer = "/".join(
        ["#/paths", path_template.replace("~", "~0").replace("/", "~1"), "get/responses", str(status), "content"]
    )
    registry = Registry().with_resource(SCHEMA_URI, Resource(contents=schema, specification=DRAFT202012))
    wanted = {"$ref": f"{SCHEMA_URI}{pointer}/{media_type.replace('/', '~1')}/schema"}
    validator = Draft202012Validator(wanted, registry=registry, format_checker=FORMATS)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(response.json())]
    assert not errors, errors
    return response.json()


def test_the_schema_says_null_as_a_type_never_nullable(schema):
    text = str(schema)
    assert schema["openapi"].startswith("3.1") and "nullable" not in text
    page = schema["components"]["schemas"]["PaginatedClaimList"]["properties"]
    assert page["next"]["type"] == page["previous"]["type"] == ["string", "null"]


def test_articles_list_and_detail_match_the_schema(client, schema, essay):
    [article] = validate(schema, "/api/v1/articles", client.get("/api/v1/articles"))
    detail = validate(schema, "/api/v1/articles/{slug}", client.get(f"/api/v1/articles/{essay.slug}"))
    assert article["slug"] == detail["slug"] == essay.slug


def test_claim_pages_match_the_schema_with_null_and_non_null_links(client, schema, essay, monkeypatch):
    monkeypatch.setattr(ClaimCursorPagination, "page_size", 2)
    pages = [validate(schema, "/api/v1/claims", client.get("/api/v1/claims"))]
    while pages[-1]["next"]:
        pages.append(validate(schema, "/api/v1/claims", client.get(pages[-1]["next"])))
    assert len(pages) >= 2 and pages[0]["previous"] is None and pages[1]["previous"] and pages[-1]["next"] is None
    assert sum(len(page["results"]) for page in pages) == Claim.objects.public().count()


def test_every_claims_detail_matches_the_schema(client, schema, essay):
    for claim in Claim.objects.public():
        data = validate(schema, "/api/v1/claims/{id}", client.get(f"/api/v1/claims/{claim.pk}"))
        assert data["id"] == claim.pk


def test_tags_and_errors_match_the_schema(client, schema, essay):
    [tag] = validate(schema, "/api/v1/tags", client.get("/api/v1/tags"))
    assert tag["name"] == "地理"
    validate(schema, "/api/v1/claims/{id}", client.get("/api/v1/claims/999999"), status=404)
    validate(schema, "/api/v1/articles/{slug}", client.get("/api/v1/articles/none"), status=404)


def test_a_withdrawn_claims_410_matches_the_schema(client, schema, essay):
    claim = claim_for(essay, "富士山は日本一高い山です。")
    services.claims_delete(claims=[claim], user=None)  # no note: an empty one is valid too
    data = validate(schema, "/api/v1/claims/{id}", client.get(f"/api/v1/claims/{claim.pk}"), status=410)
    assert data["id"] == claim.pk and data["note"] == ""
