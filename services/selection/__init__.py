"""Selection: investigation outcomes, evaluations, bimonthly rounds, committee decisions.

For now a runnable skeleton (health, readiness, metrics); later issues add the staff API.
"""
