"""Exceptions raised to callers of the parsing package."""


class UnsupportedFormat(ValueError):
    """An upload that cannot be read as a regulation text; the message is in the
    request's language (Chinese outside requests) and meant to be shown to the uploader
    as is."""
