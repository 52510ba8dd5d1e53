"""Rules for the CloudFormation ``secretsmanager`` service namespace."""
