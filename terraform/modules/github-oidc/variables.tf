variable "repository" {
  description = "GitHub repository allowed to assume the role, as owner/name."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.repository))
    error_message = "repository must be owner/name."
  }
}

variable "github_environment" {
  description = "GitHub environment whose jobs may assume the role (dev, staging, production)."
  type        = string
}

variable "role_name" {
  description = "IAM role name (the workflow's role-to-assume)."
  type        = string
}

variable "create_provider" {
  description = "Create the account's GitHub OIDC provider; false to use provider_arn (one provider per account)."
  type        = bool
  default     = true
}

variable "provider_arn" {
  description = "Existing GitHub OIDC provider ARN when create_provider is false."
  type        = string
  default     = ""
}

variable "ecr_repository_arns" {
  description = "Repositories the role may push to and pull from."
  type        = list(string)
}

variable "eks_cluster_arn" {
  description = "Cluster the role may describe (for `aws eks update-kubeconfig`)."
  type        = string
}

variable "max_session_duration" {
  description = "Longest session, in seconds."
  type        = number
  default     = 3600
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
