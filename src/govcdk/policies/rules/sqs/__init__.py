"""Rules for the CloudFormation ``sqs`` service namespace."""
