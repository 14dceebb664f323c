"""Code shared by every service: message schemas, settings, observability, persistence."""
