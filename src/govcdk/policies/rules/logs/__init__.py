"""Rules for the CloudFormation ``logs`` service namespace."""
