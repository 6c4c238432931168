"""``python -m services`` runs the ``rjb`` command line."""

from services.cli import app

app()
