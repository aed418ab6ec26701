package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

// Access is how a client reaches the cluster, for ExplainAccess.
type Access struct {
	Endpoints []string
	// TLS is the client's TLS configuration; nil: none configured.
	TLS    *tls.Config
	User   string
	Prefix string
	// Timeout bounds each endpoint's connection check.
	Timeout time.Duration
}

// ExplainAccess gives the error of a first request to the cluster the
// words an operator needs when the cause is access, not the cluster: no
// user or a wrong password, a role without the prefix, or a TLS
// handshake that fails (which the client only reports as a deadline; it
// keeps retrying). Other errors come back unchanged. It names no
// password and no key.
func ExplainAccess(ctx context.Context, err error, a Access) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, rpctypes.ErrUserEmpty):
		return fmt.Errorf("the etcd cluster has authentication on and no user was given: name an etcd user and a file "+
			"holding its password: %w", err)
	case errors.Is(err, rpctypes.ErrAuthFailed):
		return fmt.Errorf("etcd refused the user %q: the user name or the password in its file is wrong: %w", a.User, err)
	case errors.Is(err, rpctypes.ErrPermissionDenied):
		return fmt.Errorf("the etcd user %q may not read and write the prefix %q: grant its role readwrite there "+
			"(etcdctl role grant-permission ROLE readwrite --prefix=true %s): %w", a.User, a.Prefix, a.Prefix, err)
	case !unavailable(err):
		return err
	}
	// All at once: a member that does not answer costs Timeout, not
	// Timeout per member.
	found := make([]string, len(a.Endpoints))
	var wg sync.WaitGroup
	for i, ep := range a.Endpoints {
		wg.Go(func() { found[i] = checkConnection(ctx, ep, a.TLS, a.Timeout) })
	}
	wg.Wait()
	var problems []string
	for _, p := range found {
		if p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		return err
	}
	return fmt.Errorf("%s: %w", strings.Join(problems, "; "), err)
}

// checkConnection connects to one endpoint as the client would, TLS
// included, and says what fails, or "" when it connects. A member that
// wants a client certificate it did not get only says so after the
// handshake, in place of its first bytes, so one read follows.
func checkConnection(ctx context.Context, endpoint string, tc *tls.Config, timeout time.Duration) string {
	host, useTLS := endpoint, tc != nil
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil {
			return ""
		}
		host, useTLS = u.Host, u.Scheme == "https"
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Sprintf("%s: %v", endpoint, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if !useTLS {
		return plainConnection(endpoint, conn)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if tc != nil {
		cfg = tc.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(host)
	}
	tlsConn := tls.Client(conn, cfg)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		return fmt.Sprintf("%s: TLS with the member fails (is the CA file the one that signed its certificate, "+
			"and does it speak TLS?): %v", endpoint, err)
	}
	// The member speaks first (HTTP/2's settings) unless it refused us.
	if _, err := tlsConn.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
		return fmt.Sprintf("%s: the member ended the TLS session (does it want a client certificate: --client-cert-auth?): %v", endpoint, err)
	}
	return ""
}

// plainConnection says whether a member reached without TLS wants TLS:
// it answers an HTTP/2 preface with a TLS alert, or hangs up.
func plainConnection(endpoint string, conn net.Conn) string {
	if _, err := conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); err != nil {
		return ""
	}
	b := make([]byte, 1)
	_, err := conn.Read(b)
	switch {
	case err == nil && b[0] == 0x15: // a TLS alert record
		return fmt.Sprintf("%s: the member speaks TLS: use https:// with the CA that signed its certificate", endpoint)
	case err != nil && !isTimeout(err):
		return fmt.Sprintf("%s: the member hung up on a plain connection (does it speak TLS? then use https://): %v", endpoint, err)
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
