"""Rules for the CloudFormation ``sns`` service namespace."""
