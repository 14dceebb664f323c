"""The embedded stack started by ``make run`` (``python -m deploy.local``)."""
