"""Custom search attributes, registered on the dev server and used by ops to list dossiers."""

from temporalio.common import SearchAttributeKey

DOSSIER_STATUS = SearchAttributeKey.for_keyword("DossierStatus")
DOSSIER_KIND = SearchAttributeKey.for_keyword("DossierKind")

SEARCH_ATTRIBUTES = (DOSSIER_STATUS, DOSSIER_KIND)
