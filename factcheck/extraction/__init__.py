"""(document, rule) -> hits: parse each page once, run every declared rule on it; pure."""
