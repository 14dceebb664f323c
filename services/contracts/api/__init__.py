"""HTTP entrypoints of the contracts service, one router per resource: contracts (staff:
list, detail, documents, actions), answers (the EIG's answer to an offer) and reports (pay).
The offer page is in :mod:`services.contracts.pages`."""
