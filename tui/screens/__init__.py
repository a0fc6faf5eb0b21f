"""Top-level screens, one per file."""
