"""HTTP entrypoints of intake, one router per resource: applications (the public forms' API),
dossiers (the applicant's private link: status and withdrawal) and results (the programme's
public results). Handlers only translate requests to use cases and results to responses."""
