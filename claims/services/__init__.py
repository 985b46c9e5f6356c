"""The write path: every change readers could see goes through these functions.

``workflow`` holds :func:`claims_apply`, the one function that writes claims, evidence, tags,
history and versions, whose steps live beside it by job (``rules``, ``plan``, ``write``,
``proposals``); ``anchoring`` decides where a claim sits in its
article's text; ``articles`` saves articles and re-anchors their claims through the workflow;
``withdrawals`` deletes and recovers claims; ``restore`` brings back an old version of a claim or
an article through the same functions.
"""

from .anchoring import claim_anchor_fields, claim_locate, plan_reanchor, same_wording
from .articles import (
    ArticleEditReport,
    Coverage,
    article_coverage,
    article_create_claims,
    article_load_file,
    article_reanchor,
    article_update,
    claims_set_is_claim,
    parse_article_file,
)
from .restore import (
    ARTICLE_FIELDS,
    RESTORED_FIELDS,
    Restored,
    article_restore_version,
    claim_restore_version,
    version_evidence,
    version_rating,
)
from .withdrawals import claim_recover_version, claims_delete, deletion_snapshot
from .workflow import (
    CONCURRENT_EDIT_MESSAGE,
    NEW,
    PROPOSED,
    UNANCHORED,
    UNCHANGED,
    UPDATED,
    ApplyResult,
    ChangeRefused,
    ClaimChange,
    ConcurrentEditError,
    claim_change_status,
    claims_apply,
    claims_check,
    new_verdict_note_errors,
    proposal_approve,
    proposal_change,
    proposal_send_back,
    sign_off_applies,
    status_rule_errors,
)

__all__ = [
    "ARTICLE_FIELDS",
    "CONCURRENT_EDIT_MESSAGE",
    "NEW",
    "PROPOSED",
    "RESTORED_FIELDS",
    "UNANCHORED",
    "UNCHANGED",
    "UPDATED",
    "ApplyResult",
    "ArticleEditReport",
    "ChangeRefused",
    "ClaimChange",
    "ConcurrentEditError",
    "Coverage",
    "Restored",
    "article_coverage",
    "article_create_claims",
    "article_load_file",
    "article_reanchor",
    "article_restore_version",
    "article_update",
    "claim_anchor_fields",
    "claim_locate",
    "claim_change_status",
    "claims_apply",
    "claims_delete",
    "claim_recover_version",
    "claim_restore_version",
    "deletion_snapshot",
    "new_verdict_note_errors",
    "claims_check",
    "claims_set_is_claim",
    "parse_article_file",
    "plan_reanchor",
    "proposal_approve",
    "proposal_change",
    "proposal_send_back",
    "same_wording",
    "sign_off_applies",
    "status_rule_errors",
    "version_evidence",
    "version_rating",
]
