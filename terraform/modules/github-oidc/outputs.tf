output "role_arn" {
  description = "Set it as the GitHub environment variable AWS_ROLE_ARN (the workflow's role-to-assume)."
  value       = aws_iam_role.deploy.arn
}

output "subject" {
  description = "The OIDC subject the role trusts."
  value       = local.subject
}
