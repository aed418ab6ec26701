package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// cmdHealth probes /healthz; the container HEALTHCHECK uses it because
// the image has no shell or curl.
func cmdHealth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("health", "Check a running offboard's /healthz. Exit 0 when healthy, 1 when not.", stderr)
	url := fs.String("url", "", "health URL (default: http://<http.listen>/healthz from the config)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	target := *url
	if target == "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
		if err != nil {
			return fmt.Errorf("http.listen %q: %w", cfg.HTTP.Listen, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%w: --url: %v", errUsage, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("unhealthy: %v", err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return exitError{code: 1, msg: fmt.Sprintf("unhealthy: %s %s", resp.Status, strings.TrimSpace(string(body)))}
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return nil
}
