"""HTTP entrypoints of intake, one router per resource: applications (the public forms' API)
and dossiers (the applicant's private link: status and withdrawal). Handlers only translate
requests to use cases and results to responses."""
