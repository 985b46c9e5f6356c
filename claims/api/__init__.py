"""Open data: the read-only JSON API, the claims as W3C Web Annotations, the ClaimReview feed and
the bulk downloads (docs/api.md, docs/annotations.md).

Everything here reads through ``Article.objects.published()`` and ``Claim.objects.public()``:
a Claim row holds only approved verdicts, so nothing a reader may not see (internal notes,
proposals, reports, contact addresses) is ever selected into an answer.
"""
