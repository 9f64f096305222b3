"""factcheck: a fact-checking claims database with scheduled verification."""

# The one place the version is declared: pyproject.toml reads it from here (setuptools
# `dynamic`), `factcheck --version` prints it and the default User-Agent carries it.
__version__ = "0.1.0"
