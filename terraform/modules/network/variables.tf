variable "name" {
  description = "Name prefix of every resource (e.g. leadforge-dev)."
  type        = string
}

variable "cidr" {
  description = "IPv4 range of the VPC; private subnets take the first /20s, public ones from the ninth."
  type        = string
  default     = "10.0.0.0/16"
}

variable "azs" {
  description = "Availability zones, one private and one public subnet each (at least two for EKS)."
  type        = list(string)
  validation {
    condition     = length(var.azs) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "flow_log_retention_days" {
  description = "How long VPC flow logs are kept."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
