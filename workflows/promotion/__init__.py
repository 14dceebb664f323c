"""The promotion workflow: one per promotion, owner of its seats and its selection rounds."""
