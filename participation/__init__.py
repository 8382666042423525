"""The legislative public-participation domain: drafts, provisions, accounts, opinions.

This package never imports ``search``; the search index is derived data that listens to
the database session from the outside.
"""
