"""Writing what the plan worked out: bulk writes, history rows, withdrawals and versions, then the cache.

:func:`_write` is the last step of every write (``claims_apply``, an approved proposal): it hands
the outcomes of a :class:`claims.services.plan._Plan` to :class:`_Writer` and tells the page cache once.
"""

import datetime
from collections import defaultdict

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from reversion.models import Revision, Version
from taggit.models import Tag, TaggedItem

from claims.archiving import archive_on_commit
from claims.caching.revision import Touched, content_changed
from claims.models import EVIDENCE_FIELDS, Article, Claim, Evidence, StatusChange, Withdrawal

from .plan import NEW, STORED_FIELDS, UPDATED, VERDICT_FIELDS, WRITE_BATCH, Status, Via, _chunks


def _write(result, plan, *, user, via, note, notify, approved_by=None):
    written = result.written
    if written:
        _Writer(written, user=user, via=via, note=note, now=plan.now, approved_by=approved_by).write()
        if notify:
            content_changed(_touched(written))
    return result


def _touched(outcomes):
    """What written claims touch: their pages, their articles' pages (old and new, for a claim
    that moved), their tags (before and after) and the index."""
    names = {name for o in outcomes for name in (*o.tags_before, *o.tags_after)}
    return Touched(
        articles={o.claim.article_id for o in outcomes} | {o.stored.article_id for o in outcomes if o.stored},
        claims={o.claim.pk for o in outcomes},
        tags=set(Tag.objects.filter(name__in=names).values_list("pk", flat=True)) if names else set(),
    )


MOVED_ONLY = {"position", "prefix", "suffix", "section"}


def _verdict_changed(outcome):
    return bool(set(outcome.changed) & {*VERDICT_FIELDS, "evidence"})


def _stored_link(link, by_pk, by_url, kept):
    """The stored link a link of the change is (by id; a link without one, by address), if not taken."""
    old = by_pk.get(link.get("pk")) or (None if link.get("pk") else by_url.get(link["url"]))
    return None if old is not None and old["pk"] in kept else old


def _evidence_values(link):
    """A link's stored fields, blanks as the model stores them (empty text; no date is None)."""
    values = {name: link.get(name) for name in EVIDENCE_FIELDS}
    return {k: ("" if v is None and k not in ("accessed",) else v) for k, v in values.items()}


def _match_evidence(outcome, creates, updates, deletes, relinked):
    """Match a claim's evidence after the change to the stored links (by id, else by address), and
    add to the lists what to create, update and delete, and which kept links now point elsewhere."""
    claim = outcome.claim
    by_pk = {link["pk"]: link for link in outcome.links_before}
    by_url = {}
    for link in outcome.links_before:
        by_url.setdefault(link["url"], link)
    kept = set()
    for link in outcome.change.evidence:
        old = _stored_link(link, by_pk, by_url, kept)
        values = _evidence_values(link)
        if old is None:
            creates.append(Evidence(claim=claim, **values))
            continue
        kept.add(old["pk"])
        if any((old[name] or None) != (values[name] or None) for name in EVIDENCE_FIELDS):
            updates.append(Evidence(pk=old["pk"], claim_id=claim.pk, **values))
            relinked += [old["pk"]] if old["url"] != values["url"] else []
    deletes += [link["pk"] for link in outcome.links_before if link["pk"] not in kept]


class _Writer:
    """Writes planned outcomes in bulk: claims, evidence, tags, history, withdrawals and versions."""

    def __init__(self, outcomes, *, user, via, note, now, approved_by=None):
        self.outcomes = outcomes
        self.user = user
        self.via = via
        self.note = note
        self.now = now
        self.approved_by = approved_by

    def write(self):
        updated = [o for o in self.outcomes if o.action == UPDATED]
        self._update_claims(updated)
        self._create_claims([o.claim for o in self.outcomes if o.action == NEW])
        self._write_evidence()
        self._write_tags()
        self._write_history()
        self._write_withdrawals(updated)
        self._record_versions()

    def _update_claims(self, updated):
        # Free the places of claims that move first, so that no two collide on (article, position).
        moving = [o.claim.pk for o in updated if set(o.changed) & {"article", "position", "is_anchored"}]
        for chunk in _chunks(moving):
            Claim.objects.filter(pk__in=chunk).update(is_anchored=False)
        for outcome in updated:
            outcome.claim.version = outcome.stored.version + 1
            outcome.claim.verdict_version = outcome.stored.verdict_version + bool(_verdict_changed(outcome))
            outcome.claim.updated_at = self.now
        if updated:
            Claim.objects.bulk_update(
                [o.claim for o in updated],
                [*STORED_FIELDS, "version", "verdict_version", "updated_at"],
                batch_size=WRITE_BATCH,
            )

    def _create_claims(self, new):
        for claim in new:
            claim.version = claim.verdict_version = 1
            claim.created_at = claim.updated_at = self.now
        # A recovered claim comes back under its old id: the id sequence then moves past it.
        with_id = [claim for claim in new if claim.pk]
        if with_id:
            Claim.objects.bulk_create(with_id, batch_size=WRITE_BATCH)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Claim]):
                    cursor.execute(sql)
        without_id = [claim for claim in new if not claim.pk]
        if without_id:
            Claim.objects.bulk_create(without_id, batch_size=WRITE_BATCH)

    def _write_history(self):
        """One history row per status change (a recovered claim gets its own rows back instead)."""
        StatusChange.objects.bulk_create(
            [
                StatusChange(
                    claim=o.claim,
                    from_status=o.from_status,
                    to_status=o.claim.status,
                    note=o.change.note or self.note,
                    user=self.user,
                    via=self.via,
                    approved_by=self.approved_by,
                    created_at=self._history_date(o.claim),
                )
                for o in self.outcomes
                if o.status_changed and o.change.history is None
            ],
            batch_size=WRITE_BATCH,
        )
        # A verdict readers had seen changed: the article says when it was last corrected.
        corrected = {
            o.claim.article_id
            for o in self.outcomes
            if o.status_changed and o.from_status != Status.PENDING and self.via != Via.LOAD
        }
        if corrected:
            Article.objects.filter(pk__in=corrected).update(corrected_at=self.now)
        restored = [row for o in self.outcomes if o.change.history for row in o.change.history]
        for outcome in self.outcomes:
            for row in outcome.change.history or ():
                row.claim = outcome.claim
        StatusChange.objects.bulk_create(restored, batch_size=WRITE_BATCH)

    def _write_withdrawals(self, updated):
        """A claim readers could see that is marked not a claim leaves a Withdrawal (its address says
        so, 訂正履歴 lists it) and a history row; marked a claim again, it is public again."""
        withdrawn = [o for o in updated if o.stored.is_claim and not o.claim.is_claim]
        reinstated = [o for o in updated if not o.stored.is_claim and o.claim.is_claim]
        Withdrawal.objects.bulk_create(
            [
                Withdrawal(
                    claim_pk=o.claim.pk,
                    article_id=o.claim.article_id,
                    reason=Withdrawal.Reason.NOT_A_CLAIM,
                    statement=o.stored.statement,
                    status=o.stored.status,
                    verdict_note=o.stored.verdict_note,
                    note=o.change.note or self.note,
                    was_public=o.claim.article.is_published,
                    user=self.user,
                    approved_by=self.approved_by,
                    created_at=self.now,
                )
                for o in withdrawn
            ],
            batch_size=WRITE_BATCH,
        )
        for chunk in _chunks([o.claim.pk for o in reinstated]):
            Withdrawal.objects.filter(claim_pk__in=chunk, reinstated_at__isnull=True).update(reinstated_at=self.now)
        Kind = StatusChange.Kind
        StatusChange.objects.bulk_create(
            [
                StatusChange(
                    claim=o.claim,
                    kind=Kind.WITHDRAWN if o in withdrawn else Kind.REINSTATED,
                    from_status=o.stored.status,
                    to_status=o.claim.status,
                    note=o.change.note or self.note,
                    user=self.user,
                    via=self.via,
                    approved_by=self.approved_by,
                    created_at=self.now,
                )
                for o in (*withdrawn, *reinstated)
                if o.claim.status != Status.PENDING  # triage of unchecked sentences is no verdict's history
            ],
            batch_size=WRITE_BATCH,
        )

    def _history_date(self, claim):
        """When the change happened: now, except for the shipped record, dated from its own last check."""
        if self.via == Via.LOAD and claim.last_checked:
            return timezone.make_aware(datetime.datetime.combine(claim.last_checked, datetime.time(12)))
        return self.now

    def _write_evidence(self):
        creates, updates, deletes, relinked = [], [], [], []
        for outcome in self.outcomes:
            if outcome.change.evidence is not None:
                _match_evidence(outcome, creates, updates, deletes, relinked)
        for chunk in _chunks(deletes):
            Evidence.objects.filter(pk__in=chunk).delete()
        if updates:
            Evidence.objects.bulk_update(updates, EVIDENCE_FIELDS, batch_size=WRITE_BATCH)
        Evidence.objects.bulk_create(creates, batch_size=WRITE_BATCH)
        # A source newly cited (or a link pointed elsewhere) is archived by the task worker after the commit.
        archive_on_commit([e.pk for e in creates] + relinked)

    def _write_tags(self):
        content_type = ContentType.objects.get_for_model(Claim)
        adds, removes = [], defaultdict(set)
        for outcome in self.outcomes:
            if outcome.change.tags is None:
                continue
            before, after = set(outcome.tags_before), outcome.tags_after
            adds += [(outcome.claim, name) for name in after if name not in before]
            for name in before - set(after):
                removes[outcome.claim.pk].add(name)
        for claim_pk, names in removes.items():
            TaggedItem.objects.filter(content_type=content_type, object_id=claim_pk, tag__name__in=names).delete()
        if not adds:
            return
        names = {name for _claim, name in adds}
        ids = {}
        for chunk in _chunks(sorted(names)):
            ids.update(Tag.objects.filter(name__in=chunk).values_list("name", "pk"))
        for name in sorted(names - ids.keys()):
            tag = Tag(name=name)
            tag.save()  # taggit makes the slug
            ids[name] = tag.pk
        TaggedItem.objects.bulk_create(
            [TaggedItem(content_type=content_type, object_id=claim.pk, tag_id=ids[name]) for claim, name in adds],
            batch_size=WRITE_BATCH,
        )

    def _record_versions(self):
        """One django-reversion version per changed claim (with its evidence), restorable on its own.

        Inside a revision the admin opened, the claims join it; otherwise each claim gets a revision
        of its own (bulk-created: an import of ten thousand rows stays a few queries).
        """
        # A claim that only moved (an edit elsewhere shifted its position) gets no version: nothing
        # of it changed that anyone would restore, and its history stays as it was.
        claims = [o.claim for o in self.outcomes if o.action == NEW or set(o.changed) - MOVED_ONLY]
        # An article's own revision (its admin save) is not the claims' history: they get their own.
        if reversion.is_active() and self.via != Via.ARTICLE:
            for claim in claims:
                reversion.add_to_revision(claim)
            return
        comment = str(Via(self.via).label)
        if self.approved_by is not None:
            comment = _("%(how)s, proposed by %(proposer)s, approved by %(approver)s") % {
                "how": comment,
                "proposer": self.user or "—",
                "approver": self.approved_by,
            }
        revisions = Revision.objects.bulk_create(
            [Revision(date_created=self.now, user=self.user, comment=comment) for _claim in claims],
            batch_size=WRITE_BATCH,
        )
        claim_type = ContentType.objects.get_for_model(Claim)
        evidence_type = ContentType.objects.get_for_model(Evidence)
        links = defaultdict(list)
        for chunk in _chunks([c.pk for c in claims]):
            for link in Evidence.objects.filter(claim_id__in=chunk):
                links[link.claim_id].append(link)
        versions = []
        for claim, revision in zip(claims, revisions, strict=True):
            for obj, content_type in [(claim, claim_type), *((link, evidence_type) for link in links[claim.pk])]:
                versions.append(
                    Version(
                        revision=revision,
                        content_type=content_type,
                        object_id=str(obj.pk),
                        db="default",
                        format="json",
                        serialized_data=serializers.serialize("json", [obj]),
                        object_repr=str(obj)[:191],
                    )
                )
        Version.objects.bulk_create(versions, batch_size=WRITE_BATCH)
