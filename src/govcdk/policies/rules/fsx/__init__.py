"""Rules for the CloudFormation ``fsx`` service namespace."""
