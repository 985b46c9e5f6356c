"""Plain helper functions that build test data; every test module uses these."""

import importlib
import io
import socket
from unittest import mock

from django import forms
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import OperationalError, connections
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from claims import services
from claims.csv import exporting, importing
from claims.models import Article, Claim, Evidence, Rating, RatingScale
from claims.roles import create_roles

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


SEED = importlib.import_module("claims.migrations.0015_rating_scale")


def make_scales():
    """FIJ's scale (active) and JFC's five, as the migration seeds them (kept if already there)."""
    if not RatingScale.objects.filter(name="FIJ レーティング基準").exists():
        RatingScale.objects.update(is_active=False)
        SEED.seed(django_apps, None)
    return RatingScale.objects.get(name="FIJ レーティング基準")


def rating(code, *, scale=None):
    """A rating of the active scale (FIJ's unless a test switched), by its code."""
    make_scales()
    scale = scale or RatingScale.objects.get(is_active=True)
    return Rating.objects.get(scale=scale, code=code)


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
    if groups:
        # The roles a migration made may be gone (a transactional test flushes the tables), so
        # build them here: no test depends on migration data or on the order tests run in.
        create_roles(django_apps)
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


def database_state():
    """Every row a reader could see, and the content revision: equal before and after means nothing was written."""
    from taggit.models import Tag, TaggedItem

    from claims.models import ContentRevision, StatusChange

    return {
        "claims": list(Claim.objects.order_by("pk").values()),
        "evidence": list(Evidence.objects.order_by("pk").values()),
        "history": list(StatusChange.objects.order_by("pk").values()),
        "tags": list(Tag.objects.order_by("pk").values()),
        "tagged": list(TaggedItem.objects.order_by("pk").values()),
        "revision": list(ContentRevision.objects.values()),
    }


# The claims CSV, as tests write it.
SOURCE_CELL = "supports | https://www.gsi.go.jp/fuji | 日本の山岳標高一覧 | 国土地理院 | 2023-04"
# Sentences of BODY, by what the CSV tests call them.
FUJI = "富士山は日本一高い山です。"
TOKYO = "東京は日本の首都です。"
LAST = "最後の文です。"
QUOTE = "「これは引用です。まだ引用です。」と彼は言った。"


def csv_row(**cells):
    base = {"article": "test-article", "kind": "claim", "status": "pending"}
    return {**base, **cells}


def csv_bytes(rows, *, header=None, encoding="utf-8-sig", header_row=None):
    import csv
    import io

    from claims.csv.format import COLUMNS, escape_formula

    header = header or COLUMNS
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header_row or header)
    for cells in rows:
        writer.writerow([escape_formula(str(cells.get(column, ""))) for column in header])
    return out.getvalue().encode(encoding)


# The admin as a browser sees it.
SOURCE_LINK = {"stance": "supports", "url": "https://www.gsi.go.jp/fuji", "title": "国土地理院", "publisher": "GSI"}


def page_data(response):
    """What the browser would send back for the form on this admin page, unchanged."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()
            if isinstance(field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
                continue
            if value is None:
                continue
            value = field.widget.format_value(value)
            if isinstance(value, list | tuple):
                value = value[0] if len(value) == 1 else list(value)
            if value not in (None, ""):
                data[bound.html_name] = value

    if "adminform" not in response.context:  # a restore or recover page: its one form
        add(response.context["form"])
        return data
    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def evidence_rows(prefix_count, *rows):
    data = {}
    for i, row in enumerate(rows, start=prefix_count):
        data.update({f"evidence-{i}-{key}": value for key, value in row.items()})
    return data


def admin_save(client, claim, **changes):
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(client.get(url))
    new_evidence = changes.pop("new_evidence", ())
    if new_evidence:
        start = int(data["evidence-TOTAL_FORMS"]) - 1  # fill the blank extra form first
        data.update(evidence_rows(start, *new_evidence))
        data["evidence-TOTAL_FORMS"] = str(start + len(new_evidence))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    claim.refresh_from_db()
    return claim


# Faults


def database_down():
    """Every query fails as it does when PostgreSQL is stopped or unreachable."""
    error = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    return mock.patch.object(connections["default"], "cursor", side_effect=error)


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reader_visible_edits(claim):
    """(what, the edit, the page where a reader sees it, the text that shows it)."""
    from taggit.models import Tag

    from claims.models import StatusChange
    from claims.services.tags import tag_save

    add_evidence(claim, title="最初の出典")
    claim_page = reverse("claims:claim", args=[claim.pk])
    yield (
        "verdict note",
        lambda: edit(claim, verdict_note="書き換えた判定メモ"),
        "/",
        "書き換えた判定メモ",
    )
    yield (
        "status",
        lambda: services.claim_change_status(claim=claim, to="verified", via=StatusChange.Via.COMMAND),
        claim_page,
        "status-verified",
    )
    yield (
        "evidence",
        lambda: edit(claim, evidence=[{**links_of(claim)[0], "title": "改訂された出典"}]),
        "/",
        "改訂された出典",
    )
    yield "tag added", lambda: edit(claim, tags=["地理学"]), claim_page, "地理学"
    tag = Tag.objects.get(name="地理学")
    yield "tag renamed", lambda: setattr(tag, "name", "測地学") or tag_save(tag=tag), claim_page, "測地学"
    yield (
        "article text",
        lambda: services.article_update(
            article=claim.article, body=claim.article.body + "\n新しく書き足した文です。\n"
        ),
        "/",
        "新しく書き足した文です。",
    )


def settle_revision(seconds=2):
    """Date the last edit ``seconds`` ago: a page rendered in the second of an edit carries no
    Last-Modified (claims/caching/pages.py), one rendered later does."""
    import datetime

    from claims.models import ContentRevision, ScopeRevision

    ContentRevision.objects.update(changed_at=timezone.now() - datetime.timedelta(seconds=seconds))
    ScopeRevision.objects.update(changed_at=timezone.now() - datetime.timedelta(seconds=seconds))


def run_tasks():
    """Run the queued background tasks as ``manage.py db_worker --batch`` would, in this process and
    this test's transaction (the worker's connection check between tasks is left out: it would
    close the test's connection). Returns how many tasks it ran."""
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.finished().count()
    worker = db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    with mock.patch.object(db_worker, "close_old_connections"):
        worker.run()
    return DBTaskResult.objects.finished().count() - before


def ja(message, *args):
    """The text a Japanese editor or reader sees for ``message`` (gettext, or ngettext with ``args``)."""
    with translation.override("ja"):
        return str(ngettext(message, *args) if args else gettext(message))


def import_rows(rows, **kwargs):
    """Import ``rows`` (csv_row dicts) as a file, through the importer; the ImportReport."""
    return importing.import_bytes(csv_bytes(rows), **kwargs)


def import_counts(report):
    """(new, updated, unchanged) rows of an import."""
    c = report.counts
    return c[importing.NEW], c[importing.UPDATED], c[importing.UNCHANGED]


def messages_of(report):
    return [str(error) for error in report.errors]


def export_bytes(queryset=None):
    """The claims CSV export's bytes (UTF-8, no BOM), as exporting writes them."""
    out = io.StringIO(newline="")
    exporting.write_csv(out, exporting.claim_rows(queryset))
    return out.getvalue().encode("utf-8")


def populate_every_column(article):
    """Claims of ``article`` that use every CSV column and every evidence field, awkward text too."""
    import_rows(
        [
            csv_row(
                statement=FUJI,
                status="verified",
                verdict_note="=1+1 は式ではない。\n二行目。",
                internal_note="-内部メモ",
                as_of="2023-04-01",
                recheck_after="2027-01-31",
                tags="山,地理,@タグ",
                evidence=SOURCE_CELL
                + " | accessed=2024-01-02 | archived=https://web.archive.org/x | excerpt=一行目\\n二行目 a\\|b C:\\path\n"
                "refutes | https://example.com/r?a=1&b=2 | 題 \\| 副題 | 出版社 | 2020",
            ),
            csv_row(statement=QUOTE, status="unsupported", verdict_note="+異論あり", tags="引用"),
            csv_row(statement=LAST, kind="not_claim", verdict_note="@場面設定"),
            csv_row(statement=TOKYO, status="outdated", as_of="2020-01-01", verdict_note="\t古い情報"),
        ]
    )
    services.article_create_claims(article=article)
