# What differs between environments has no default: each root under terraform/envs states it.

variable "environment" {
  description = "Environment name (dev, staging, prod); resources are named leadforge-<environment>."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes."
  }
}

variable "azs" {
  description = "Availability zones (two or more)."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "VPC range of the environment."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS version; keep equal to deploy.kubernetes_version in .github/leadforge.yml."
  type        = string
  default     = "1.31"
}

variable "api_allowed_cidrs" {
  description = "CIDRs that may reach the public Kubernetes API; empty keeps it private."
  type        = list(string)
  default     = []
}

variable "instance_types" {
  description = "Node instance types."
  type        = list(string)
}

variable "capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
}

variable "min_nodes" {
  description = "Fewest nodes (also the size at creation)."
  type        = number
}

variable "max_nodes" {
  description = "Most nodes."
  type        = number
}

variable "ecr_repositories" {
  description = "Container repositories of the environment."
  type        = list(string)
  default     = ["leadforge/leadforge-web", "leadforge/agent-runner"]
}

variable "github_repository" {
  description = "owner/name of the repository whose deploy workflow assumes the role."
  type        = string
  default     = "leadforge/leadforge"
}

variable "github_environment" {
  description = "GitHub environment of the deploy job (its protection rules gate this role)."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another root already made it)."
  type        = bool
  default     = true
}

variable "oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN when create_oidc_provider is false."
  type        = string
  default     = ""
}

variable "deploy_namespaces" {
  description = "Namespaces the deploy role may edit in push mode."
  type        = list(string)
}
