"""factcheck: a fact-checking claims database with scheduled verification."""

__version__ = "0.1.0"
