"""Approving or sending back many proposals at once, in the task worker instead of the request.

Approving a whole import batch one proposal after another takes minutes (each one goes through
the write path: history, versions, the cache told), far past the app server's timeout. Above
``CLAIMS_SIGN_OFF_BACKGROUND`` proposals the admin's actions queue :func:`proposal_job_run`
(django-tasks with its database backend, run by ``manage.py db_worker``, as big imports are) and
send the chief editor to the job's page.

The job hands each proposal to the same services as the admin's own actions,
``proposal_approve`` and ``proposal_send_back``, so every rule and the two-person check hold; a
proposal they refuse is listed with the reason, and the others go on. It works in chunks: each
chunk is one transaction (each proposal in it a savepoint of its own), after which the job's
counters are saved for its page.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from claims.models import Proposal, ProposalJob
from claims.services import workflow

CHUNK = 100
# The refusals a job keeps for its page; the count says how many there were in all.
REFUSALS_KEPT = 1000


def proposal_job_start(*, proposal_ids, action, user, comment="", language=""):
    """Queue approving (or sending back, with ``comment``) the proposals ``proposal_ids`` as ``user``."""
    ids = list(proposal_ids)
    job = ProposalJob.objects.create(
        action=action,
        user=user,
        comment=comment,
        language=language or "",
        proposals=ids,
        total=len(ids),
    )
    # The database backend writes the task's row at once: the worker finds the job it names.
    proposal_job_run.enqueue(job_id=job.pk)
    return job


@task()
def proposal_job_run(*, job_id):
    """Approve or send back each proposal of the job, a chunk at a time; returns the job's state."""
    job = ProposalJob.objects.filter(pk=job_id).first()
    if job is None or not job.is_running:
        return None
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            _run(job)
    except Exception:
        ProposalJob.objects.filter(pk=job.pk).update(state=ProposalJob.State.FAILED, finished_at=timezone.now())
        raise
    return job.state


def _run(job):
    user = get_user_model().objects.filter(pk=job.user_id).first()
    job.state = ProposalJob.State.RUNNING
    job.save(update_fields=["state"])
    ids = job.proposals[job.done :]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            proposals = Proposal.objects.in_bulk(chunk)
            for pk in chunk:
                _handle(job, user, proposals.get(pk), pk)
            job.done += len(chunk)
            job.save(update_fields=["done", "succeeded", "refused", "refused_count"])
    job.state = ProposalJob.State.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "finished_at"])


def _handle(job, user, proposal, pk):
    try:
        if proposal is None:
            raise ValidationError(_("This proposal no longer exists."))
        if user is None:
            raise ValidationError(_("The person who started this job no longer has an account."))
        if job.action == ProposalJob.Action.APPROVE:
            workflow.proposal_approve(proposal=proposal, user=user)
        else:
            workflow.proposal_send_back(proposal=proposal, user=user, comment=job.comment)
    except ValidationError as error:
        job.refused_count += 1
        if len(job.refused) < REFUSALS_KEPT:
            job.refused.append([pk, " ".join(error.messages)])
        return
    job.succeeded += 1
