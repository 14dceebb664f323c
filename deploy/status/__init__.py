"""``make status``: the operations report in a terminal (``python -m deploy.status``)."""
