"""Readers' error reports: received, reviewed, closed. A reader's address is never shown back and is
deleted when the report is closed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.caching.revision import Touched, content_changed
from claims.models import Report

State = Report.State


@transaction.atomic
def report_submit(*, article, claim=None, sentence="", message, source_url="", contact=""):
    """Store a reader's report (all of it plain text); the claim's page counts it."""
    report = Report(
        article=article,
        claim=claim,
        sentence=sentence,
        message=message.strip(),
        source_url=source_url.strip(),
        contact=contact.strip(),
    )
    report.full_clean()
    report.save()
    if claim is not None:
        content_changed(Touched(claims={claim.pk}))  # the claim's page shows how many reports it received
    return report


@transaction.atomic
def reports_update(*, reports, state=None, internal_note=None, public_reply=None):
    """Move reports on (received → reviewing → corrected / declined), with notes and a public reply.

    Closing a report deletes the reader's contact address; a closed report cannot be reopened.
    """
    changed = []
    for report in reports:
        report = Report.objects.select_for_update().get(pk=report.pk)
        if not report.is_open and state is not None and state != report.state:
            raise ValidationError(_("Report #%(pk)s is closed already.") % {"pk": report.pk}, code="closed")
        if state is not None:
            report.state = state
        if internal_note is not None:
            report.internal_note = internal_note
        if public_reply is not None:
            report.public_reply = public_reply
        if not report.is_open:
            report.contact = ""
            report.closed_at = report.closed_at or timezone.now()
        report.full_clean()
        report.save()
        changed.append(report)
    if any(report.claim_id for report in changed):
        # Counts and public replies on the claims' pages.
        content_changed(Touched(claims={report.claim_id for report in changed if report.claim_id}))
    return changed
