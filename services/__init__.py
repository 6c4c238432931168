"""Application services, composition root, CLI and service entry points."""
