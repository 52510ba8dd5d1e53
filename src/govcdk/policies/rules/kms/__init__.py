"""Rules for the CloudFormation ``kms`` service namespace."""
