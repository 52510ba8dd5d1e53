"""Rules for the CloudFormation ``backup`` service namespace."""
