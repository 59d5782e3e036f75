"""Training and evaluation on annotated corpora (PolNeAR)."""
