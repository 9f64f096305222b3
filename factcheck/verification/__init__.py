"""A run: plan it, fetch -> extract -> normalise per source, judge, record; nightly."""
