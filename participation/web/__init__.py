"""The web application's plumbing, below the views and the API: ``wiring`` puts the
app together (extensions, sessions, locale, security headers, error pages, blueprints,
CLI); ``request_boundary`` refuses what no request may carry; ``security_log`` records
refusals; ``health`` answers /healthz and /readyz; ``ratelimit_storage`` keeps the rate
limits' counters. Kept light: views import its modules, and ``wiring`` imports the
views, so nothing here imports ``wiring``.
"""
