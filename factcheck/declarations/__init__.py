"""Claims and sources as data: TOML files and the field validators shared with the CLI."""
