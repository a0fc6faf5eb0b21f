"""Modal dialogs: confirmations and help."""
