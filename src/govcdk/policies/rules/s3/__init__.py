"""Rules for the CloudFormation ``s3`` service namespace."""
