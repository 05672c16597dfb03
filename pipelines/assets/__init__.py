"""Dagster assets, one module per group: sources, clean, embeddings, features."""
