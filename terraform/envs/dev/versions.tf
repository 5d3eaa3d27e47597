terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }

  # Remote state in S3 with S3-native locking (use_lockfile). The bucket, key and region come from
  # backend.s3.tfbackend:  terraform init -backend-config=backend.s3.tfbackend
  # Tests and offline checks run:  terraform init -backend=false
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      "leadforge/environment" = "dev"
      "leadforge/managed-by"  = "terraform"
    }
  }
}
