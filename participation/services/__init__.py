"""Use cases. Each takes explicit arguments, checks its invariants, flushes so ids and
constraint errors appear early, and never commits: the caller (a view, the API or a CLI
command) commits once."""
