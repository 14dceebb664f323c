"""Contracts: project contracts (pay band from experience, dates, document, signature, renewal).

For now a runnable skeleton (health, readiness, metrics); later issues add the staff API.
"""
