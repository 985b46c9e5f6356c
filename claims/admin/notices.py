"""What the admin says after a change: in sign-off terms when sign-off made it a proposal."""

from django.utils.translation import ngettext


def proposal_message(count, replaced=0):
    """What an entry point says when sign-off turned its change into proposals."""
    message = ngettext(
        "%(count)d change was saved as a proposal. It is published once another chief editor approves it.",
        "%(count)d changes were saved as proposals. They are published once another chief editor approves them.",
        count,
    ) % {"count": count}
    if replaced:
        message += " " + ngettext(
            "It replaces %(count)d open proposal for the same claim.",
            "They replace %(count)d open proposals for the same claims.",
            replaced,
        ) % {"count": replaced}
    return message
