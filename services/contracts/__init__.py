"""Contracts: project contracts (pay band from experience, dates, document, signature, renewal).

The staff API lists contracts and applies their actions through the contract workflows; the
applicant answers an offer through their private link; contracts are rendered as HTML and PDF
from the read model fed by ``eig.contract-events.v1``; a report shows pay per band.
"""
