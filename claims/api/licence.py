"""The terms under which the open data is published, stated in every download, feed and container."""

LICENCE_NAME = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
