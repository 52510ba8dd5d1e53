"""Rules for the CloudFormation ``rds`` service namespace."""
