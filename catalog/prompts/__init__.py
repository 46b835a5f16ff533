"""Prompt sets: IOI and natural-language tasks."""
