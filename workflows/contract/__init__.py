"""The contract workflow family: an EIG's project contract from offer to renewal and end."""
