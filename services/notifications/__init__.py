"""Notifications: e-mails applicants, host administrations and staff about dossier and
contract events, each e-mail once."""
