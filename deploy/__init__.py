"""How the system runs: the embedded one-machine stack (local/) and production notes."""
