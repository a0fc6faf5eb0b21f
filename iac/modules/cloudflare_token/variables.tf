variable "name" {
  type        = string
  description = "Token name as Cloudflare shows it."
}

variable "permission_group_ids" {
  type        = list(string)
  description = "Ids of the permission groups the token gets (look them up with cloudflare_api_token_permission_groups)."

  validation {
    condition     = length(var.permission_group_ids) > 0
    error_message = "A token needs at least one permission group."
  }
}

variable "zone_ids" {
  type        = list(string)
  description = "Zones the permissions apply to; the token can touch nothing else."

  validation {
    condition     = length(var.zone_ids) > 0
    error_message = "Scope the token to at least one zone."
  }
}

variable "allowed_cidrs" {
  type        = list(string)
  description = "Client addresses allowed to use the token; empty means any."
  default     = []
}

variable "expires_on" {
  type        = string
  description = "RFC 3339 expiry, or null for a token that does not expire."
  default     = null
}
