"""Plain helper functions that build test data; every test module uses these."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from claims import services
from claims.models import Article, Claim, Evidence

BODY = (
    "## 第一章\n\n"
    "東京は日本の首都です。富士山は日本一高い山です。\n\n"
    "「これは引用です。まだ引用です。」と彼は言った。本当でしょうか?\n\n"
    "## 第二章\n\n"
    "東京は日本の首都です。最後の文です。\n"
)


def make_article(*, slug="test-article", title="テスト記事", body=BODY, published=True, claims=True, **fields):
    article = Article.objects.create(
        slug=slug,
        title=title,
        body=body,
        lead=fields.pop("lead", "リード文。"),
        is_published=published,
        published_at=timezone.now() if published else None,
        **fields,
    )
    if claims:
        services.article_create_claims(article=article)
    return article


def claim_for(article, statement, occurrence=0):
    """The claim anchored on the given sentence (the n-th time it occurs)."""
    return list(article.claims.filter(statement=statement).order_by("position"))[occurrence]


def add_evidence(claim, *, stance=Evidence.Stance.SUPPORTS, url="https://example.com/source", title="出典", **fields):
    return Evidence.objects.create(claim=claim, stance=stance, url=url, title=title, **fields)


def make_verified(claim, *, user=None, note="確認済み"):
    add_evidence(claim)
    services.claim_change_status(
        claim=claim, to=Claim.Status.VERIFIED, note=note, user=user, via="command", verdict_note=note
    )
    claim.refresh_from_db()
    return claim


def make_user(username="editor", *, groups=(), superuser=False, password="a-long-test-password-42"):
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(username, f"{username}@example.com", password)
    user = User.objects.create_user(username, f"{username}@example.com", password, is_staff=True)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_status(claim, status, *, note="判定の理由。", as_of=None, user=None, history_note="", **fields):
    """Give a claim a status as an editor would: what the workflow rule needs, then one history row."""
    import datetime

    Status = Claim.Status
    if status == Status.VERIFIED and not claim.evidence.filter(stance=Evidence.Stance.SUPPORTS).exists():
        add_evidence(claim, stance=Evidence.Stance.SUPPORTS)
    if status == Status.DISPUTED and not claim.evidence.filter(stance=Evidence.Stance.REFUTES).exists():
        add_evidence(claim, stance=Evidence.Stance.REFUTES, url="https://example.org/refutes", title="反証")
    if status == Status.OUTDATED:
        as_of = as_of or datetime.date(2023, 9, 1)
    services.claim_change_status(
        claim=claim, to=status, note=history_note, user=user, via="command", verdict_note=note, as_of=as_of, **fields
    )
    claim.refresh_from_db()
    return claim


def edit(claim, *, tags=None, evidence=None, user=None, via="admin", **values):
    """Change a claim as an editor would, through the write path. Returns the ApplyResult."""
    change = services.ClaimChange(claim=claim, values=values, tags=tags, evidence=evidence)
    result = services.claims_apply(changes=[change], user=user, via=via)
    claim.refresh_from_db()
    return result


def links_of(claim, **changes_by_pk):
    """The claim's evidence as the write path takes it, with ``{pk: {field: value}}`` changes applied."""
    from claims.models import EVIDENCE_FIELDS

    links = list(claim.evidence.values("pk", *EVIDENCE_FIELDS))
    for link in links:
        link.update(changes_by_pk.get(link["pk"], {}))
    return links
