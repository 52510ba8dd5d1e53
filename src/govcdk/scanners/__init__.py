"""Other tools' checks, normalized to govcdk :class:`~govcdk.policies.model.Finding` objects."""
