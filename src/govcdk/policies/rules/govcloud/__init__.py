"""GovCloud partition rules. Not a CloudFormation service namespace: they apply to every
resource type."""
