"""The HTML report: every claim, its verdict, evidence and history as a static site (views: what
each page shows; charts: SVG; site: templates and the atomic write)."""
