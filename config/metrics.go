package config

// Metrics configures GET /metrics, Prometheus' text format. The figures
// are counts and durations only (no names, emails or case ids), but case
// counts over time tell a layoff coming, so a scrape is either from
// loopback through no proxy, or presents Token as a bearer token.
type Metrics struct {
	Enabled   bool   `yaml:"enabled" json:"enabled"`
	Token     Secret `yaml:"token" json:"token"`
	TokenFile string `yaml:"token_file" json:"token_file,omitempty"`
}

func (c *Config) validateMetrics(v *validator) {
	if c.Metrics.Enabled && c.Metrics.Token != "" && len(c.Metrics.Token) < 16 {
		v.add("metrics.token", "too short: want at least 16 characters")
	}
}
