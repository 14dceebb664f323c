"""HTTP entrypoints of the staff API (routers); handlers only translate."""
