package config

// Demo flavours: which identity system `demo: true` fakes.
const (
	DemoOkta      = "okta"
	DemoMicrosoft = "microsoft"
	DemoGoogle    = "google"
)

// MicrosoftDemo reports whether the demo fakes Microsoft Graph (Entra ID
// and Intune) rather than Okta.
func (c *Config) MicrosoftDemo() bool { return c.Demo && c.DemoFlavour == DemoMicrosoft }

// GoogleDemo reports whether the demo fakes Google Workspace rather than
// Okta.
func (c *Config) GoogleDemo() bool { return c.Demo && c.DemoFlavour == DemoGoogle }

func (c *Config) validateDemo(v *validator) {
	switch c.DemoFlavour {
	case "", DemoOkta, DemoMicrosoft, DemoGoogle:
	default:
		v.add("demo_flavour", "want %q, %q or %q, got %q", DemoOkta, DemoMicrosoft, DemoGoogle, c.DemoFlavour)
		return
	}
	if c.DemoFlavour != "" && !c.Demo {
		// A flavour without demo would silently do nothing.
		v.add("demo_flavour", "only means something with demo: true")
	}
}
