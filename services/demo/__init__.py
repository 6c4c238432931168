"""The six stories of DOMAIN.md as agency command scripts, runnable end to end."""
