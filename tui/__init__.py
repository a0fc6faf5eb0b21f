"""Textual front end of factory-tui: renders and routes, and calls into `actions`."""
