"""The app's models, by job: content (articles, claims, evidence, the rating scale), records (status
history, proposals, withdrawals, corrections, reports), archive (saved copies of sources) and site
(page-cache revisions, edge purges, editors' profiles, 運営者情報). Everything is importable from
``claims.models`` as before."""

from .archive import (  # noqa: F401
    Snapshot,
    SnapshotDrift,
    SnapshotKind,
    SnapshotQuerySet,
)
from .content import (  # noqa: F401
    EVIDENCE_FIELDS,
    NOT_A_CLAIM,
    PARTIAL_DATE,
    Article,
    ArticleQuerySet,
    Claim,
    ClaimQuerySet,
    ClaimStatus,
    Evidence,
    EvidenceStance,
    LinkStatus,
    Rating,
    RatingQuerySet,
    RatingScale,
    RatingScaleQuerySet,
    ReviewQueueItem,
    WebURLField,
    validate_partial_date,
    web_url_validator,
)
from .records import (  # noqa: F401
    ArticleCorrection,
    Proposal,
    ProposalJob,
    ProposalQuerySet,
    Report,
    StatusChange,
    StatusChangeQuerySet,
    Withdrawal,
    WithdrawalQuerySet,
)
from .site import (  # noqa: F401
    AboutPage,
    ContentRevision,
    EdgePurge,
    EditorProfile,
    ScopeRevision,
)
