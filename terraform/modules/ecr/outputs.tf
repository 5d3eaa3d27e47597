output "repository_urls" {
  description = "Repository name -> URL for docker push and the overlays' images: newName."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.repository_url }
}

output "repository_arns" {
  description = "Repository ARNs (the deploy role may push to these only)."
  value       = [for repo in aws_ecr_repository.this : repo.arn]
}
