"""Evaluation: metrics and benchmark builders behind `faceatlas eval` (never imported at run time)."""
