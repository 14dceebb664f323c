"""Selection: the staff API over dossiers, evaluations, promotions, rounds and jury decisions.

Reads a staff read model fed by Kafka; every action goes to the dossier or promotion workflow,
which stay the authority on statuses, rounds and seats.
"""
