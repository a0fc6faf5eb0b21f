"""Long-lived helpers the app owns and hands to its screens: the health feed, a run's batcher."""
