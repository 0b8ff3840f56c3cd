"""Data packs: YAML files on disk, validated by JSON Schema, loaded into the domain model."""
