"""Claim spotting: from an article (English or Chinese) to ranked checkable sentences and claim
drafts (sentences: splitting; cues: lexicons; spot: ranking; drafts: TOML)."""
