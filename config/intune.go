package config

// Intune turns on Microsoft Intune as a device system. It has no
// credentials of its own: Intune is reached through Microsoft Graph with
// the entra app registration, so one client (and one throttling pause)
// serves both.
type Intune struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
}

// IntuneEnabled reports whether Intune is on (it needs entra).
func (c *Config) IntuneEnabled() bool { return c.Intune.Enabled && c.EntraEnabled() }

func (c *Config) validateIntune(v *validator) {
	if c.Intune.Enabled && !c.EntraEnabled() {
		v.add("intune.enabled", "needs the entra section: Intune is reached through Microsoft Graph with the entra app registration; set entra.tenant_id, entra.client_id and a credential")
	}
}
