"""``python -m services`` runs the ``rjb`` command line."""

from services.cli.app import app

app()
