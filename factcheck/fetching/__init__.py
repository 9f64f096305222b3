"""URL -> Fetched bytes or a FetchError: SSRF guard, robots.txt, charset; no database."""
