"""Rules for the CloudFormation ``cloudtrail`` service namespace."""
