"""Beneficiary-satisfaction study analysis library."""
