# An HCL syntax error on line 4: the value of `input` is missing.
resource "terraform_data" "x" {
  triggers_replace = []
  input =
}
