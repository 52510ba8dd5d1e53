"""Rules for the CloudFormation ``dynamodb`` service namespace."""
