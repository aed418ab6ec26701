package etcdstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/offboard-dev/offboard/store/etcdstore"
)

// TestExplainAccess_tls: the etcd client reports a TLS handshake that
// fails as a deadline; ExplainAccess connects as the client would and
// says what is wrong: the wrong CA, no client certificate for a member
// that wants one, TLS on one side only, nothing listening.
func TestExplainAccess_tls(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	// quiet is a server that does not log the handshakes the test fails.
	quiet := func() *httptest.Server {
		s := httptest.NewUnstartedServer(ok)
		s.Config.ErrorLog = log.New(io.Discard, "", 0)
		return s
	}
	member := quiet()
	member.StartTLS()
	defer member.Close()
	wantsCert := quiet()
	wantsCert.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	wantsCert.StartTLS()
	defer wantsCert.Close()
	plain := quiet()
	plain.Start()
	defer plain.Close()
	gone := closedAddr(t)

	trusts := func(s *httptest.Server) *tls.Config {
		pool := x509.NewCertPool()
		pool.AddCert(s.Certificate())
		return &tls.Config{RootCAs: pool}
	}
	timeout := context.DeadlineExceeded
	for _, tc := range []struct {
		name     string
		endpoint string
		tls      *tls.Config
		want     string
	}{
		{"right CA", host(member), trusts(member), ""},
		{"wrong CA", host(member), &tls.Config{RootCAs: otherCA(t)}, "certificate signed by unknown authority"},
		{"https without the CA", "https://" + host(member), nil, "TLS with the member fails"},
		{"no client certificate", "https://" + host(wantsCert), trusts(wantsCert), "does it want a client certificate"},
		{"TLS member, plain client", host(member), nil, "does it speak TLS"},
		{"plain member, TLS client", host(plain), trusts(member), "TLS with the member fails"},
		{"nothing listening", gone, nil, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := etcdstore.ExplainAccess(context.Background(), timeout,
				etcdstore.Access{Endpoints: []string{tc.endpoint}, TLS: tc.tls, Timeout: 2 * time.Second})
			if !errors.Is(err, timeout) {
				t.Fatalf("%v: the client's error is lost", err)
			}
			if tc.want == "" {
				if err != timeout {
					t.Errorf("a member that answers: %v; want the error unchanged", err)
				}
				return
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.endpoint) {
				t.Errorf("%v; want %q and the endpoint", err, tc.want)
			}
		})
	}
}

// TestExplainAccess_auth: etcd's auth refusals name the setting to look
// at, the user, and never the password.
func TestExplainAccess_auth(t *testing.T) {
	a := etcdstore.Access{User: "offboard", Prefix: "offboard/"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{rpctypes.ErrUserEmpty, "no user was given"},
		{rpctypes.ErrAuthFailed, `refused the user "offboard"`},
		{rpctypes.ErrPermissionDenied, `readwrite --prefix=true offboard/`},
		{errors.New("something else"), "something else"},
	} {
		err := etcdstore.ExplainAccess(context.Background(), tc.err, a)
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want %q", tc.err, err, tc.want)
		}
	}
}

func host(s *httptest.Server) string { return s.Listener.Addr().String() }

// otherCA is a pool holding only a CA of its own, which signed none of
// httptest's certificates.
func otherCA(t *testing.T) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
