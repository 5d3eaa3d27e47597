# Descriptions: terraform/modules/platform/outputs.tf
output "cluster_name" { value = module.platform.cluster_name }
output "deploy_role_arn" { value = module.platform.deploy_role_arn }
output "repository_urls" { value = module.platform.repository_urls }
