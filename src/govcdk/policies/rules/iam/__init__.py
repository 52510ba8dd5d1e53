"""Rules for the CloudFormation ``iam`` service namespace."""
