"""Editors over the machine: overrides, the review queue, history, CSV and ClaimReview."""
