"""Auditors: history, state at an instant, tamper evidence, export, read access log."""
