"""Tags as Japanese is typed: the admin's tag field reads 、 and ， as separators, as the CSV does.

taggit calls these through its settings ``TAGGIT_TAGS_FROM_STRING`` and ``TAGGIT_STRING_FROM_TAGS``;
the CSV (``claims.csv.format.parse_tags``) and the admin therefore split a cell the same way, so
「研究史、日本」 is two tags whichever way it arrives.
"""

from claims.csv.format import parse_tags

TAG_JOINER = "、"


def tags_from_string(value):
    """Tag names in the order typed, without repeats; separators are , 、 and ，."""
    return parse_tags(value or "")


def string_from_tags(tags):
    """The tag field's text for these tags, which reads back as the same tags."""
    return TAG_JOINER.join(sorted(tag.name for tag in tags))
