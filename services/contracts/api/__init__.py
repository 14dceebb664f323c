"""HTTP entrypoints of the contracts service: staff, applicant and report routers."""
