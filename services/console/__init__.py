"""The staff console: programme staff, evaluators, the jury and admins drive dossiers from a
browser, through the staff APIs of selection and contracts with their own token."""
