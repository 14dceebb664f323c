"""Code shared by every service: message schemas, connection settings, observability, persistence."""
