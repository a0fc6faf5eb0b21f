"""Long-lived helpers the app owns and hands to its screens: the health and Vault feeds, a run's batcher."""
