"""Articles of any size for query-count tests and benchmarks: n claims, two evidence links and two tags each."""

from django.db import transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from claims import services
from claims.caching.revision import content_changed
from claims.models import Article, Claim, Evidence, StatusChange

STATUSES = [Claim.Status.VERIFIED, Claim.Status.DISPUTED, Claim.Status.OUTDATED, Claim.Status.PENDING]


def sample_body(n_claims, per_paragraph=5):
    sentences = [
        f"第{i}の文では、モデル{i % 97}の首都における性能が{i}点だと述べています。" for i in range(1, n_claims + 1)
    ]
    paragraphs = ["".join(sentences[i : i + per_paragraph]) for i in range(0, len(sentences), per_paragraph)]
    sections = []
    for i in range(0, len(paragraphs), 10):
        sections.append(f"## 第{i // 10 + 1}節\n\n" + "\n\n".join(paragraphs[i : i + 10]))
    return "\n\n".join(sections) + "\n"


@transaction.atomic
def make_sample_article(n_claims, *, slug=None, tags_pool=20):
    """A published article whose every sentence is a claim with a status, evidence and tags."""
    article = Article.objects.create(
        slug=slug or f"sample-{n_claims}",
        title=f"{n_claims}件の主張を持つ記事",
        lead="ベンチマーク用の記事です。",
        body=sample_body(n_claims),
        is_published=True,
        published_at=timezone.now(),
    )
    claims = services.article_create_claims(article=article)
    tags = [Tag.objects.get_or_create(name=f"タグ{i}", defaults={"slug": f"tag-{i}"})[0] for i in range(tags_pool)]
    evidence, tagged, history = [], [], []
    today = timezone.localdate()
    for i, claim in enumerate(claims):
        claim.status = STATUSES[i % len(STATUSES)]
        claim.verdict_note = f"判定メモ{i}。出典で確認した。"
        claim.as_of = today.replace(day=1)
        claim.last_checked = today
        for stance in (Evidence.Stance.SUPPORTS, Evidence.Stance.REFUTES):
            evidence.append(
                Evidence(
                    claim=claim,
                    stance=stance,
                    url=f"https://example.com/source/{i}/{stance}",
                    title=f"出典{i} {stance}",
                    publisher="Example",
                    published="2023-09",
                )
            )
        for tag in (tags[i % tags_pool], tags[(i + 7) % tags_pool]):
            tagged.append(TaggedItem(content_object=claim, tag=tag))
        if claim.status != Claim.Status.PENDING:
            history.append(
                StatusChange(
                    claim=claim, from_status=Claim.Status.PENDING, to_status=claim.status, via=StatusChange.Via.COMMAND
                )
            )
    Claim.objects.bulk_update(claims, ["status", "verdict_note", "as_of", "last_checked"], batch_size=500)
    Evidence.objects.bulk_create(evidence, batch_size=1000)
    TaggedItem.objects.bulk_create(tagged, batch_size=1000)
    StatusChange.objects.bulk_create(history, batch_size=1000)
    content_changed()
    return article
