"""The retention purge of every service, run once (``python -m deploy.retention``)."""
