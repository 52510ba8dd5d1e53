"""Rules for the CloudFormation ``eks`` service namespace."""
