// Package config owns offboard's configuration file: reading it, expanding
// ${ENV} references, decoding it strictly (an unknown key is an error, with
// a "did you mean" hint), applying defaults, reading secrets from *_file
// siblings, and validating the result so that every problem is reported at
// once, each with its dotted key and line:
//
//	config.yaml:12: okta.api_token: required when okta.org_url is set
//
// Secrets are held in the Secret type, which prints as "[redacted]" through
// fmt, encoding/json, encoding (text) and log/slog; Reveal returns the value.
//
// The order of work in Parse is fixed: expand ${ENV} line by line (never
// inside comments), parse the YAML, check every key and value type against
// the Config struct, decode on top of Default(), resolve *_file secrets, then
// Validate.
//
// config imports only the standard library, go.yaml.in/yaml/v3 and the root
// package offboard (for Duration, Playbook, Role and Department).
package config
