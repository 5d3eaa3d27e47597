variable "repositories" {
  description = "Repository names (e.g. leadforge/leadforge-web, leadforge/agent-runner)."
  type        = list(string)
}

variable "untagged_days" {
  description = "Untagged images older than this many days are deleted."
  type        = number
  default     = 14
}

variable "keep_images" {
  description = "How many images each repository keeps (the oldest go first)."
  type        = number
  default     = 200
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
