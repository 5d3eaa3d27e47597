variable "name" {
  description = "Cluster name (e.g. leadforge-dev)."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version; keep it equal to deploy.kubernetes_version in .github/leadforge.yml."
  type        = string
  default     = "1.31"
}

variable "subnet_ids" {
  description = "Private subnets (at least two availability zones) for the control plane ENIs and the nodes."
  type        = list(string)
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint; empty keeps the endpoint private."
  type        = list(string)
  default     = []
  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0")
    error_message = "Do not open the Kubernetes API to the whole internet."
  }
}

variable "instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
  default     = ["t3.large"]
}

variable "capacity_type" {
  description = "ON_DEMAND or SPOT."
  type        = string
  default     = "ON_DEMAND"
}

variable "disk_size" {
  description = "Root volume size of each node, in GiB."
  type        = number
  default     = 50
}

variable "min_size" {
  description = "Fewest nodes."
  type        = number
  default     = 2
}

variable "desired_size" {
  description = "Nodes at creation (the autoscaler changes it later)."
  type        = number
  default     = 2
}

variable "max_size" {
  description = "Most nodes."
  type        = number
  default     = 4
}

variable "log_retention_days" {
  description = "How long control-plane logs are kept."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
