"""The content revision (claims/caching/revision.py): every change readers could see moves it on;
reading never does."""

import pytest
from taggit.models import Tag

from claims import services
from claims.caching.revision import current_revision
from claims.models import Claim, StatusChange
from claims.services.tags import tag_save
from claims.tests.factories import add_evidence, edit, links_of

pytestmark = pytest.mark.django_db


def moves(action):
    before = current_revision()[0]
    action()
    return current_revision()[0] > before


def test_every_change_readers_could_see_moves_the_revision(claim):
    add_evidence(claim)
    tag = Tag.objects.create(name="地理")
    changes = {
        "claim note": lambda: edit(claim, verdict_note="新しいメモ"),
        "status": lambda: services.claim_change_status(claim=claim, to="verified", via=StatusChange.Via.COMMAND),
        "evidence edit": lambda: edit(claim, evidence=[{**links_of(claim)[0], "title": "新しい題"}]),
        "evidence delete": lambda: edit(claim, status="pending", evidence=[]),
        "tag added": lambda: edit(claim, tags=[tag.name]),
        "tag renamed": lambda: tag_save(tag=Tag.objects.get(pk=tag.pk)),
        "tag removed": lambda: edit(claim, tags=[]),
        "article text": lambda: services.article_update(
            article=claim.article, body=claim.article.body + "\n追加の文。\n"
        ),
        "new claims": lambda: services.article_create_claims(article=claim.article),
    }
    for name, action in changes.items():
        assert moves(action), name


def test_reading_does_not_move_the_revision(claim):
    assert not moves(lambda: list(Claim.objects.public()))
