"""The declared claims and sources (TOML), shipped as factcheck.declared so the demo runs from a wheel."""
