"""Rich text and strips for the screens and the CLI: formatting with no widget of its own."""
