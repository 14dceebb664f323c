"""The platform's services, each runnable on its own: ``python -m services.<name>``."""
