"""Full-text search: derived data rebuilt from the database at any time.

Reads the domain's models; the domain never imports this package.
"""
