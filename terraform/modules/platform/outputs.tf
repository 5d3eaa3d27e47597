output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>"
  value       = module.eks.name
}

output "deploy_role_arn" {
  description = "Set as the AWS_ROLE_ARN variable of the GitHub environment (var.github_environment)."
  value       = module.github_oidc.role_arn
}

output "repository_urls" {
  description = "ECR repositories."
  value       = module.ecr.repository_urls
}
