"""The dossier workflows (one per dossier), their inputs and their activities."""
