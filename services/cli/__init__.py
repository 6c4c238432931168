"""``rjb``, the command line: an entry point, thin over the application services."""
