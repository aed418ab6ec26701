package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/offboard-dev/offboard"
)

// Entra configures Microsoft Entra ID through Microsoft Graph, as an app
// registration with application permissions. It is enabled when TenantID
// is set.
type Entra struct {
	// TenantID is the directory (tenant) id or a verified domain.
	TenantID string `yaml:"tenant_id" json:"tenant_id"`
	// ClientID is the app registration's application (client) id.
	ClientID         string `yaml:"client_id" json:"client_id"`
	ClientSecret     Secret `yaml:"client_secret" json:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file" json:"client_secret_file,omitempty"`
	// Certificate (PEM) with PrivateKey is the recommended credential: the
	// app signs a client assertion, no shared secret travels. The
	// certificate is public, so its file is read without the secret
	// file's permission checks.
	Certificate     string `yaml:"certificate" json:"certificate"`
	CertificateFile string `yaml:"certificate_file" json:"certificate_file,omitempty"`
	PrivateKey      Secret `yaml:"private_key" json:"private_key"`
	PrivateKeyFile  string `yaml:"private_key_file" json:"private_key_file,omitempty"`
	// GraphURL and LoginURL override Microsoft's global cloud (a national
	// cloud, or a local fake in tests).
	GraphURL       string            `yaml:"graph_url" json:"graph_url"`
	LoginURL       string            `yaml:"login_url" json:"login_url"`
	RequestTimeout offboard.Duration `yaml:"request_timeout" json:"request_timeout"`
	// DeleteAfter, when set, deletes the user this long after the
	// revocation point, once deactivated, reviewed by Legal and approved
	// by two people of IT; empty or 0 never deletes (the default).
	DeleteAfter offboard.Duration `yaml:"delete_after" json:"delete_after"`
}

// EntraEnabled reports whether entra.tenant_id is set.
func (c *Config) EntraEnabled() bool { return c.Entra.TenantID != "" }

// maxCertificateFile bounds what is read of entra.certificate_file.
const maxCertificateFile = 64 << 10

// resolveEntraCertificate reads entra.certificate_file, relative to
// baseDir.
func (c *Config) resolveEntraCertificate(baseDir string, v *validator) {
	e := &c.Entra
	if e.CertificateFile == "" {
		return
	}
	if e.Certificate != "" {
		v.add("entra.certificate", "set either entra.certificate or entra.certificate_file, not both")
		return
	}
	name := e.CertificateFile
	if !filepath.IsAbs(name) {
		name = filepath.Join(baseDir, name)
	}
	f, err := os.Open(name)
	if err != nil {
		v.add("entra.certificate_file", "%v", err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertificateFile+1))
	switch {
	case err != nil:
		v.add("entra.certificate_file", "%v", err)
	case len(data) > maxCertificateFile:
		v.add("entra.certificate_file", "%s is larger than %d bytes; is it a certificate?", name, maxCertificateFile)
	default:
		e.Certificate = string(data)
	}
}

func (c *Config) validateEntra(v *validator) {
	e := c.Entra
	hasSecret := e.ClientSecret != "" || e.ClientSecretFile != ""
	hasCert := e.Certificate != "" || e.CertificateFile != ""
	hasKey := e.PrivateKey != "" || e.PrivateKeyFile != ""
	if !c.EntraEnabled() {
		if e.ClientID != "" || hasSecret || hasCert || hasKey || e.GraphURL != "" || e.LoginURL != "" {
			v.add("entra.tenant_id", "required when other entra keys are set")
		}
		return
	}
	if strings.ContainsAny(e.TenantID, "/?# ") {
		v.add("entra.tenant_id", "want the directory (tenant) id or a verified domain, got %q", e.TenantID)
	}
	if strings.TrimSpace(e.ClientID) == "" {
		v.add("entra.client_id", "required when entra.tenant_id is set (the app registration's application id)")
	}
	switch {
	case hasSecret && (hasCert || hasKey):
		v.add("entra.client_secret", "set either entra.client_secret or entra.certificate with entra.private_key, not both")
	case hasCert && !hasKey:
		v.add("entra.private_key", "required with entra.certificate (or private_key_file)")
	case hasKey && !hasCert:
		v.add("entra.certificate", "required with entra.private_key (or certificate_file)")
	case !hasSecret && !hasCert:
		v.add("entra.client_secret", "required when entra.tenant_id is set: a client secret, or entra.certificate with entra.private_key (recommended)")
	}
	if e.Certificate != "" && !strings.Contains(e.Certificate, "BEGIN CERTIFICATE") {
		v.add("entra.certificate", "want a PEM certificate (BEGIN CERTIFICATE)")
	}
	if e.GraphURL != "" {
		checkURL(v, "entra.graph_url", e.GraphURL, true)
	}
	if e.LoginURL != "" {
		checkURL(v, "entra.login_url", e.LoginURL, true)
	}
	positive(v, "entra.request_timeout", e.RequestTimeout)
	if e.DeleteAfter < 0 {
		v.add("entra.delete_after", "want a delay such as 30d, or 0 to never delete, got %s", e.DeleteAfter)
	}
}
