"""The domain core: model, conditions, hop and route status. No storage, no output."""
