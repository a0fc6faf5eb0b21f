"""The UI-free core of factory-tui: everything that touches the lab, and the models."""
