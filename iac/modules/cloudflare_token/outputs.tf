output "id" {
  description = "Token id (not secret)."
  value       = cloudflare_api_token.this.id
}

output "value" {
  description = "The token itself."
  value       = cloudflare_api_token.this.value
  sensitive   = true
}
