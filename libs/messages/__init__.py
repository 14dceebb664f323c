"""Versioned Kafka message schemas and topic names: the one contract between services."""
