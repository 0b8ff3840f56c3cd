"""Test helpers for graphflow (real database servers started on demand)."""
