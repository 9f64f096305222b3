"""Text -> exact quantities: figures, units and bounds in English and Chinese; pure."""
