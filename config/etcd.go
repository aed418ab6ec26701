package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// Store backends (store.backend).
const (
	BackendBbolt = "bbolt"
	BackendEtcd  = "etcd"
)

// Bounds of store.etcd.lease: shorter leases expire on a GC pause or a
// slow disk; longer ones leave revocations waiting after a crash.
const (
	MinEtcdLease = 2 * time.Second
	MaxEtcdLease = 5 * time.Minute
)

// Etcd configures the etcd backend (store.backend: etcd).
type Etcd struct {
	// Endpoints are the members' client URLs (https://etcd-1:2379) or
	// host:port.
	Endpoints []string `yaml:"endpoints" json:"endpoints"`
	// Prefix starts every key offboard writes; two offboards on one
	// cluster need two prefixes.
	Prefix      string            `yaml:"prefix" json:"prefix"`
	DialTimeout offboard.Duration `yaml:"dial_timeout" json:"dial_timeout"`
	Username    string            `yaml:"username" json:"username,omitempty"`
	// Password is read from PasswordFile only: never written in the
	// config file itself.
	Password     Secret  `yaml:"-" json:"-"`
	PasswordFile string  `yaml:"password_file" json:"password_file,omitempty"`
	TLS          EtcdTLS `yaml:"tls" json:"tls"`
	// Lease is the etcd lease of a replica's session: how soon another
	// replica takes over the jobs and the lead of one that died.
	Lease offboard.Duration `yaml:"lease" json:"lease"`
}

// EtcdTLS names the PEM files for TLS to etcd; Load reads them into the
// fields without a yaml key.
type EtcdTLS struct {
	CAFile   string `yaml:"ca_file" json:"ca_file,omitempty"`
	CertFile string `yaml:"cert_file" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file" json:"key_file,omitempty"`
	CA       string `yaml:"-" json:"-"`
	Cert     string `yaml:"-" json:"-"`
	Key      Secret `yaml:"-" json:"-"`
}

// Enabled reports whether any TLS file is named.
func (t EtcdTLS) Enabled() bool { return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" }

// Config returns the TLS client configuration of the files read at
// load (validation has parsed them already).
func (t EtcdTLS) Config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(t.CA))
		cfg.RootCAs = pool
	}
	if t.Cert != "" {
		pair, err := tls.X509KeyPair([]byte(t.Cert), []byte(t.Key.Reveal()))
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// EtcdBackend reports whether store.backend is etcd.
func (c *Config) EtcdBackend() bool { return c.Store.Backend == BackendEtcd }

func defaultEtcd() Etcd {
	return Etcd{Prefix: "offboard/", DialTimeout: dur(5 * time.Second), Lease: dur(10 * time.Second)}
}

// resolveEtcdTLS reads the store.etcd.tls files, relative to baseDir;
// the key as a secret file (its mode is checked).
func (c *Config) resolveEtcdTLS(baseDir string, v *validator) {
	t := &c.Store.Etcd.TLS
	read := func(key, name string, dst *string) {
		if name == "" {
			return
		}
		if !filepath.IsAbs(name) {
			name = filepath.Join(baseDir, name)
		}
		f, err := os.Open(name)
		if err != nil {
			v.add(key, "%v", err)
			return
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxCertificateFile+1))
		switch {
		case err != nil:
			v.add(key, "%v", err)
		case len(data) > maxCertificateFile:
			v.add(key, "%s is larger than %d bytes; is it a PEM file?", name, maxCertificateFile)
		default:
			*dst = string(data)
		}
	}
	read("store.etcd.tls.ca_file", t.CAFile, &t.CA)
	read("store.etcd.tls.cert_file", t.CertFile, &t.Cert)
	if t.KeyFile != "" {
		name := t.KeyFile
		if !filepath.IsAbs(name) {
			name = filepath.Join(baseDir, name)
		}
		key, err := readSecretFile(name)
		if err != nil {
			v.add("store.etcd.tls.key_file", "%v", err)
			return
		}
		t.Key = Secret(key)
	}
}

// validateStoreBackend checks store.backend and, for etcd, store.etcd.
func (c *Config) validateStoreBackend(v *validator) {
	s := c.Store
	switch s.Backend {
	case BackendBbolt:
		if strings.TrimSpace(s.Path) == "" {
			v.add("store.path", "required")
		}
		return
	case BackendEtcd:
	default:
		v.add("store.backend", "want bbolt or etcd, got %q", s.Backend)
		return
	}
	e := s.Etcd
	if len(e.Endpoints) == 0 {
		v.add("store.etcd.endpoints", "required when store.backend is etcd: the members' client URLs, e.g. [\"https://etcd-1:2379\"]")
	}
	for i, ep := range e.Endpoints {
		if msg := checkEndpoint(ep, e.TLS.Enabled()); msg != "" {
			v.add(indexPath("store.etcd.endpoints", i), "%s", msg)
		}
	}
	switch {
	case e.Prefix == "":
		v.add("store.etcd.prefix", `required (the default is "offboard/")`)
	case !strings.HasSuffix(e.Prefix, "/") || strings.ContainsRune(e.Prefix, 0):
		v.add("store.etcd.prefix", `must end with "/" (else "offboard" would also hold "offboard2/…"), got %q`, e.Prefix)
	}
	if e.DialTimeout <= 0 || e.DialTimeout.D() > time.Minute {
		v.add("store.etcd.dial_timeout", "must be longer than 0 and at most 1m, got %s", e.DialTimeout)
	}
	if e.Lease.D() < MinEtcdLease || e.Lease.D() > MaxEtcdLease {
		v.add("store.etcd.lease", "must be from %s to %s, got %s", offboard.Duration(MinEtcdLease), offboard.Duration(MaxEtcdLease), e.Lease)
	}
	switch {
	case e.Username != "" && e.PasswordFile == "":
		v.add("store.etcd.password_file", "required with store.etcd.username: a file holding the etcd user's password")
	case e.Username == "" && e.PasswordFile != "":
		v.add("store.etcd.username", "required with store.etcd.password_file")
	}
	t := e.TLS
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		v.add("store.etcd.tls.key_file", "required with store.etcd.tls.cert_file")
	case t.KeyFile != "" && t.CertFile == "":
		v.add("store.etcd.tls.cert_file", "required with store.etcd.tls.key_file")
	case t.Cert != "" && t.Key != "":
		if _, err := tls.X509KeyPair([]byte(t.Cert), []byte(t.Key.Reveal())); err != nil {
			v.add("store.etcd.tls.cert_file", "the certificate and store.etcd.tls.key_file are no key pair: %v", err)
		}
	}
	if t.CA != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(t.CA)) {
		v.add("store.etcd.tls.ca_file", "holds no PEM certificate")
	}
	if c.Store.Backup.Dir != "" || c.Store.Backup.Every != 0 {
		v.add("store.backup", "backs up the bbolt file only; with etcd take snapshots with etcdctl snapshot save (README: Store backends)")
	}
}

// checkEndpoint says what is wrong with an etcd endpoint, or "".
func checkEndpoint(ep string, tlsOn bool) string {
	if strings.TrimSpace(ep) == "" {
		return "is empty"
	}
	if !strings.Contains(ep, "://") {
		if _, _, err := net.SplitHostPort(ep); err != nil {
			return fmt.Sprintf("want a URL such as https://etcd-1:2379 or host:port, got %q", ep)
		}
		return ""
	}
	u, err := url.Parse(ep)
	switch {
	case err != nil || u.Host == "" || (u.Path != "" && u.Path != "/"):
		return fmt.Sprintf("want a URL such as https://etcd-1:2379 or host:port, got %q", ep)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("want an http or https URL, got %q", ep)
	case u.Scheme == "http" && tlsOn:
		return "is http while store.etcd.tls is set: use https"
	}
	return ""
}

// ReadSecretFile reads a secret as store.etcd.password_file and
// tls.key_file are read, refusing a file others may read: offboard
// migrate's --password-file and --key hold the same secrets.
func ReadSecretFile(name string) (string, error) { return readSecretFile(name) }
