"""Intake: the public application API, its transactional outbox and the applicants' status page."""
