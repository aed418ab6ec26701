package config

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/mail"
	"regexp"

	"github.com/offboard-dev/offboard"
)

// Google configures Google Workspace through a service account with
// domain-wide delegation. It is enabled when ServiceAccountKey is set.
type Google struct {
	// ServiceAccountKey is the service account's JSON key. Prefer
	// service_account_key_file, read with the secret-file checks.
	ServiceAccountKey     Secret `yaml:"service_account_key" json:"service_account_key"`
	ServiceAccountKeyFile string `yaml:"service_account_key_file" json:"service_account_key_file,omitempty"`
	// AdminEmail is the administrator the service account acts as for the
	// Admin SDK, Data Transfer, Licensing and Vault (domain-wide
	// delegation needs a user to impersonate). Gmail settings calls act
	// as the mailbox owner instead, as Google requires.
	AdminEmail string `yaml:"admin_email" json:"admin_email"`
	// Customer is the Workspace customer id; "my_customer" (the default)
	// is the admin's own.
	Customer string `yaml:"customer" json:"customer"`
	// APIURL sends every Google API call to one base URL (a local fake in
	// tests and the demo); empty uses Google's own endpoints.
	APIURL         string            `yaml:"api_url" json:"api_url"`
	RequestTimeout offboard.Duration `yaml:"request_timeout" json:"request_timeout"`
	// TransferCheckEvery is how often a running Drive and Calendar
	// transfer is asked whether it has finished.
	TransferCheckEvery offboard.Duration `yaml:"transfer_check_every" json:"transfer_check_every"`
	// Licenses are the Workspace licenses removed at deactivation, by
	// product and SKU id (the Licensing API asks for each pair); empty
	// uses the common Google Workspace SKUs.
	Licenses []GoogleLicense `yaml:"licenses" json:"licenses"`
	// DeleteAfter, when set, deletes the user this long after the
	// revocation point, once deactivated, reviewed by Legal and approved
	// by two people of IT; empty or 0 never deletes (the default).
	DeleteAfter offboard.Duration `yaml:"delete_after" json:"delete_after"`
}

// GoogleLicense is one Workspace product SKU; its monthly price comes
// from the top-level licenses map, keyed by SKU id or name.
type GoogleLicense struct {
	ProductID string `yaml:"product_id" json:"product_id"`
	SKUID     string `yaml:"sku_id" json:"sku_id"`
	Name      string `yaml:"name" json:"name"`
}

// GoogleEnabled reports whether google.service_account_key is set.
func (c *Config) GoogleEnabled() bool {
	return c.Google.ServiceAccountKey != "" || c.Google.ServiceAccountKeyFile != ""
}

// googleIDPattern is what a product or SKU id looks like ("Google-Apps",
// "1010020027").
var googleIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (c *Config) validateGoogle(v *validator) {
	g := c.Google
	if !c.GoogleEnabled() {
		if g.AdminEmail != "" || g.APIURL != "" || len(g.Licenses) > 0 {
			v.add("google.service_account_key", "required when other google keys are set (the service account's JSON key, or service_account_key_file)")
		}
		return
	}
	if g.ServiceAccountKey != "" {
		if msg := serviceAccountKeyProblem([]byte(g.ServiceAccountKey)); msg != "" {
			// The key the person wrote: the file when the key came from one.
			at := "google.service_account_key"
			if g.ServiceAccountKeyFile != "" {
				at, msg = "google.service_account_key_file", g.ServiceAccountKeyFile+": "+msg
			}
			v.add(at, "%s", msg)
		}
	}
	if g.AdminEmail == "" {
		v.add("google.admin_email", "required with google.service_account_key: the administrator the service account acts as (domain-wide delegation)")
	} else if _, err := mail.ParseAddress(g.AdminEmail); err != nil {
		v.add("google.admin_email", "want an email address, got %q", g.AdminEmail)
	}
	if g.APIURL != "" {
		checkURL(v, "google.api_url", g.APIURL, true)
	}
	positive(v, "google.request_timeout", g.RequestTimeout)
	positive(v, "google.transfer_check_every", g.TransferCheckEvery)
	for i, l := range g.Licenses {
		at := fmt.Sprintf("google.licenses[%d]", i)
		if !googleIDPattern.MatchString(l.ProductID) {
			v.add(at+".product_id", "want a Google product id such as Google-Apps, got %q", l.ProductID)
		}
		if !googleIDPattern.MatchString(l.SKUID) {
			v.add(at+".sku_id", "want a Google SKU id such as 1010020027, got %q", l.SKUID)
		}
	}
	if g.DeleteAfter < 0 {
		v.add("google.delete_after", "want a delay such as 30d, or 0 to never delete, got %s", g.DeleteAfter)
	}
}

// serviceAccountKeyProblem says what is wrong with a service account key,
// or "". It never quotes the key.
func serviceAccountKeyProblem(data []byte) string {
	var k struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return "want the service account's JSON key file as Google Cloud downloads it; it is not JSON"
	}
	switch {
	case k.Type != "service_account":
		return fmt.Sprintf("want a key of type service_account, got %q", k.Type)
	case k.ClientEmail == "":
		return "the key has no client_email"
	case k.PrivateKey == "":
		return "the key has no private_key"
	case !rsaPrivateKey(k.PrivateKey):
		// Google's client signs with it only at the first token request:
		// without this check every Google task would fail, not the start.
		return "the key's private_key is not a PEM RSA private key (download a new JSON key)"
	}
	return ""
}

// rsaPrivateKey reports whether s is a PEM PKCS#8 or PKCS#1 RSA private
// key, as Google's JWT signer wants it.
func rsaPrivateKey(s string) bool {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return false
	}
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		_, ok := k.(*rsa.PrivateKey)
		return ok
	}
	_, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	return err == nil
}
