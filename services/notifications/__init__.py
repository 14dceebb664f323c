"""Notifications: e-mails the applicant about each dossier status change, once per event."""
