package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/offboard-dev/offboard/config"
)

// composeFile is what the test reads of docker-compose.yaml.
type composeFile struct {
	Services map[string]struct {
		Build       string            `yaml:"build"`
		Ports       []string          `yaml:"ports"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		StopGracePeriod string `yaml:"stop_grace_period"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

var composeVar = regexp.MustCompile(`\$\{([A-Z_]+)(?::([-?])([^}]*))?\}`)

// interpolate does what compose does to a value with the shell's
// environment env: ${X:-default}, and ${X:?message} failing when X is
// unset or empty.
func interpolate(v string, env map[string]string) (string, error) {
	var err error
	out := composeVar.ReplaceAllStringFunc(v, func(m string) string {
		p := composeVar.FindStringSubmatch(m)
		if val := env[p[1]]; val != "" {
			return val
		}
		if p[2] == "?" {
			err = fmt.Errorf("%s: %s", p[1], p[3])
		}
		return p[3]
	})
	return out, err
}

// docker-compose.yaml runs the image's built-in config (config.example.
// yaml) as the Dockerfile installs it: listening on every interface, the
// console guarded by a token from the environment, the store on the
// volume, the health check on /readyz at the port listened on. Docker is
// not on the test machines, so the file is checked here against what
// `docker compose config` and serve would do with it.
func TestDockerCompose(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	if len(cf.Services) != 1 {
		t.Fatalf("%d services, want one", len(cf.Services))
	}
	svc := cf.Services["offboard"]
	if svc.Build != "." {
		t.Errorf("build %q, want the repository's Dockerfile", svc.Build)
	}
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"WORKDIR /data", "COPY config.example.yaml /etc/offboard/offboard.yaml", "ENV OFFBOARD_CONFIG=/etc/offboard/offboard.yaml"} {
		if !strings.Contains(string(dockerfile), want) {
			t.Fatalf("the Dockerfile no longer has %q; this test assumes it", want)
		}
	}
	if len(svc.Volumes) != 1 || !strings.HasSuffix(svc.Volumes[0], ":/data") {
		t.Errorf("volumes %v, want one at /data", svc.Volumes)
	}
	name, _, _ := strings.Cut(svc.Volumes[0], ":")
	if _, ok := cf.Volumes[name]; !ok {
		t.Errorf("volume %q is not declared (a named volume survives docker compose down)", name)
	}

	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	load := func(shell map[string]string) (*config.Config, error) {
		env := map[string]string{}
		for k, v := range svc.Environment {
			if env[k], err = interpolate(v, shell); err != nil {
				return nil, err
			}
		}
		return config.Parse(example, "/etc/offboard/offboard.yaml", func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		})
	}

	// Without a console token, compose refuses to start it.
	if _, err := load(nil); err == nil || !strings.Contains(err.Error(), "OFFBOARD_CONSOLE_TOKEN") {
		t.Errorf("no console token: %v, want compose to refuse", err)
	}
	const token = "compose-console-token-0123"
	cfg, err := load(map[string]string{"OFFBOARD_CONSOLE_TOKEN": token})
	if err != nil {
		t.Fatalf("the image's config with compose's environment: %v", err)
	}
	if cfg.HTTP.Listen != "0.0.0.0:8080" || cfg.Console.Token.Reveal() != token || !cfg.Console.Enabled {
		t.Errorf("listen %q, console %v with token %v", cfg.HTTP.Listen, cfg.Console.Enabled, cfg.Console.Token.Reveal() == token)
	}
	if filepath.IsAbs(cfg.Store.Path) && !strings.HasPrefix(cfg.Store.Path, "/data/") {
		t.Errorf("store.path %q is not on the volume", cfg.Store.Path)
	}
	if !cfg.Metrics.Enabled || cfg.Metrics.Token != "" {
		t.Errorf("metrics %+v, want on and loopback-only without OFFBOARD_METRICS_TOKEN", cfg.Metrics)
	}
	// The same config with the console token left empty would not start
	// either: serve refuses an open console beyond loopback.
	noToken := strings.Replace(string(example), `"${OFFBOARD_CONSOLE_TOKEN:-}"`, `""`, 1)
	if _, err := config.Parse([]byte(noToken), "x.yaml", func(k string) (string, bool) {
		return map[string]string{"OFFBOARD_LISTEN": "0.0.0.0:8080", "OFFBOARD_PUBLIC_URL": "http://localhost:8080"}[k], true
	}); err == nil || !strings.Contains(err.Error(), "console.token") {
		t.Errorf("an open console on 0.0.0.0: %v, want console.token refused", err)
	}

	_, port, _ := net.SplitHostPort(cfg.HTTP.Listen)
	if len(svc.Ports) != 1 || !strings.HasSuffix(svc.Ports[0], ":"+port) {
		t.Errorf("ports %v do not publish the port listened on (%s)", svc.Ports, port)
	}
	probe := strings.Join(svc.Healthcheck.Test, " ")
	if want := "offboard health --url http://127.0.0.1:" + port + "/readyz"; !strings.Contains(probe, want) {
		t.Errorf("healthcheck %q, want %q", probe, want)
	}
	grace, err := time.ParseDuration(svc.StopGracePeriod)
	if err != nil || grace <= cfg.Runner.ShutdownGrace.D()+5*time.Second {
		t.Errorf("stop_grace_period %q, want more than runner.shutdown_grace (%s) plus the 5 s of HTTP shutdown", svc.StopGracePeriod, cfg.Runner.ShutdownGrace.D())
	}
}
