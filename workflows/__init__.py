"""Temporal workflows (one per dossier), their activities, the Kafka bridge and the worker."""
