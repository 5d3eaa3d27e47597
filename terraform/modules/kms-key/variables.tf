variable "description" {
  description = "The key's description (what it encrypts)."
  type        = string
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}

variable "log_group_pattern" {
  description = "Log-group name pattern (e.g. \"/aws/eks/leadforge-dev/*\", or \"*\" for every group) whose CloudWatch Logs encryption may use the key; it becomes the ArnLike condition arn:<partition>:logs:<region>:<account>:log-group:<pattern>. Null (the default) grants CloudWatch Logs nothing."
  type        = string
  default     = null
}
