"""Trained models shipped with sayso (attribution/: the default attribution model)."""
