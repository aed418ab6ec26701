package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/offboard-dev/offboard/config"
)

// haComposeFile is what the test reads of deploy/ha/docker-compose.yaml.
type haComposeFile struct {
	Services map[string]haService `yaml:"services"`
	Volumes  map[string]any       `yaml:"volumes"`
}

type haService struct {
	Build       haBuild           `yaml:"build"`
	Image       string            `yaml:"image"`
	Hostname    string            `yaml:"hostname"`
	Command     []string          `yaml:"command"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

// haBuild is compose's build: a context path, or a context and a
// Dockerfile.
type haBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

func (b *haBuild) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context, b.Dockerfile = n.Value, "Dockerfile"
		return nil
	}
	type plain haBuild
	if err := n.Decode((*plain)(b)); err != nil {
		return err
	}
	if b.Dockerfile == "" {
		b.Dockerfile = "Dockerfile"
	}
	return nil
}

// composeFlag returns the value of --name=value in args, and whether it is there.
func composeFlag(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

var etcdMembers = []string{"etcd-1", "etcd-2", "etcd-3"}

// deploy/ha/docker-compose.yaml runs three etcd members built from source
// at the version the tests run against, and two offboard replicas on one
// config (deploy/ha/offboard.yaml) that names all three members. Docker is
// not on the test machines, so the file is checked against what `docker
// compose config`, etcd and serve would do with it.
func TestDockerCompose_HA(t *testing.T) {
	root := filepath.Join("..", "..")
	dir := filepath.Join(root, "deploy", "ha")
	raw, err := os.ReadFile(filepath.Join(dir, "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cf haComposeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatalf("deploy/ha/docker-compose.yaml: %v", err)
	}
	replicas := []string{"offboard-1", "offboard-2"}
	var names []string
	for name := range cf.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := append(slices.Clone(etcdMembers), replicas...); !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}

	// No image names a registry host: etcd is built here, offboard too.
	for name, svc := range cf.Services {
		if first, _, ok := strings.Cut(svc.Image, "/"); ok && strings.ContainsAny(first, ".:") {
			t.Errorf("%s: image %q names a registry host", name, svc.Image)
		}
		for _, p := range svc.Ports {
			if strings.HasSuffix(p, ":2379") || strings.HasSuffix(p, ":2380") {
				t.Errorf("%s publishes etcd's port on the host: %q", name, p)
			}
		}
	}

	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*go\.etcd\.io/etcd/server/v3 (v\S+)`).FindSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod does not require go.etcd.io/etcd/server/v3; this test assumes it")
	}
	testedVersion := string(m[1])

	clientURLs := map[string]string{}
	for _, name := range etcdMembers {
		svc := cf.Services[name]
		checkEtcdMember(t, root, name, svc, testedVersion)
		if len(svc.Ports) != 0 {
			t.Errorf("%s: ports %v; the client port must stay on the project's network", name, svc.Ports)
		}
		clientURLs[name], _ = composeFlag(svc.Command, "advertise-client-urls")
		if len(svc.Volumes) != 1 {
			t.Errorf("%s: volumes %v, want one for its data", name, svc.Volumes)
			continue
		}
		vol, mount, _ := strings.Cut(svc.Volumes[0], ":")
		if _, ok := cf.Volumes[vol]; !ok {
			t.Errorf("%s: volume %q is not declared (a named volume survives docker compose down)", name, vol)
		}
		if dataDir, _ := composeFlag(svc.Command, "data-dir"); dataDir != mount {
			t.Errorf("%s: --data-dir %q is not on its volume (%s)", name, dataDir, mount)
		}
	}

	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dockerfile), "ENV OFFBOARD_CONFIG=/etc/offboard/offboard.yaml") {
		t.Fatal("the Dockerfile no longer reads /etc/offboard/offboard.yaml; this test assumes it")
	}
	haConfig, err := os.ReadFile(filepath.Join(dir, "offboard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hostPorts := map[string]string{}
	for _, name := range replicas {
		svc := cf.Services[name]
		if svc.Build.Context != "../.." || svc.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s: build %+v, want the repository's Dockerfile", name, svc.Build)
		}
		if !slices.Contains(svc.Volumes, "./offboard.yaml:/etc/offboard/offboard.yaml:ro") {
			t.Errorf("%s: volumes %v do not mount deploy/ha/offboard.yaml where the image reads its config", name, svc.Volumes)
		}
		if svc.Hostname != name {
			t.Errorf("%s: hostname %q; the election and the audit trail name replicas by it", name, svc.Hostname)
		}
		load := func(shell map[string]string) (*config.Config, error) {
			env := map[string]string{}
			for k, v := range svc.Environment {
				if env[k], err = interpolate(v, shell); err != nil {
					return nil, err
				}
			}
			return config.Parse(haConfig, "/etc/offboard/offboard.yaml", func(k string) (string, bool) {
				v, ok := env[k]
				return v, ok
			})
		}
		for _, missing := range []string{"OFFBOARD_CONSOLE_TOKEN", "OFFBOARD_API_TOKEN"} {
			shell := map[string]string{"OFFBOARD_CONSOLE_TOKEN": "compose-console-token-0123", "OFFBOARD_API_TOKEN": "compose-api-token-0123456"}
			delete(shell, missing)
			if _, err := load(shell); err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("%s without %s: %v, want compose to refuse", name, missing, err)
			}
		}
		cfg, err := load(map[string]string{"OFFBOARD_CONSOLE_TOKEN": "compose-console-token-0123", "OFFBOARD_API_TOKEN": "compose-api-token-0123456"})
		if err != nil {
			t.Fatalf("%s: deploy/ha/offboard.yaml with compose's environment: %v", name, err)
		}
		e := cfg.Store.Etcd
		if !cfg.EtcdBackend() {
			t.Errorf("%s: store.backend %q, want etcd", name, cfg.Store.Backend)
		}
		var want []string
		for _, member := range etcdMembers {
			want = append(want, clientURLs[member])
		}
		if !slices.Equal(e.Endpoints, want) {
			t.Errorf("%s: store.etcd.endpoints %v, want every member's client URL %v", name, e.Endpoints, want)
		}
		if e.Lease.D() != 10*time.Second {
			t.Errorf("%s: store.etcd.lease %s, want the documented 10s", name, e.Lease)
		}
		if cfg.Demo {
			t.Errorf("%s: demo mode on; fake connectors have no place in a deployment", name)
		}
		if !cfg.Console.Enabled || cfg.Console.Token.Reveal() != "compose-console-token-0123" {
			t.Errorf("%s: console %v, its token from the environment %v", name, cfg.Console.Enabled, cfg.Console.Token.Reveal() != "")
		}
		if len(cfg.API.Tokens) != 1 || cfg.API.Tokens[0].Token.Reveal() != "compose-api-token-0123456" {
			t.Errorf("%s: api.tokens %d, want the one from OFFBOARD_API_TOKEN", name, len(cfg.API.Tokens))
		}

		host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
		if err != nil || host != "0.0.0.0" {
			t.Errorf("%s: http.listen %q, want every interface of the container", name, cfg.HTTP.Listen)
		}
		if len(svc.Ports) != 1 || !strings.HasPrefix(svc.Ports[0], "127.0.0.1:") || !strings.HasSuffix(svc.Ports[0], ":"+port) {
			t.Errorf("%s: ports %v, want the port listened on (%s) on the host's loopback", name, svc.Ports, port)
		} else {
			hp := strings.Split(svc.Ports[0], ":")[1]
			if other, dup := hostPorts[hp]; dup {
				t.Errorf("%s and %s publish the same host port %s", other, name, hp)
			}
			hostPorts[hp] = name
		}
		probe := strings.Join(svc.Healthcheck.Test, " ")
		if want := "offboard health --url http://127.0.0.1:" + port + "/readyz"; !strings.Contains(probe, want) {
			t.Errorf("%s: healthcheck %q, want %q", name, probe, want)
		}
		grace, err := time.ParseDuration(svc.StopGracePeriod)
		if err != nil || grace <= cfg.Runner.ShutdownGrace.D()+5*time.Second {
			t.Errorf("%s: stop_grace_period %q, want more than runner.shutdown_grace (%s) plus the 5 s of HTTP shutdown", name, svc.StopGracePeriod, cfg.Runner.ShutdownGrace.D())
		}
	}
}

// checkEtcdMember checks one member's service: built from
// deploy/ha/etcd.Dockerfile at the version the tests run against, named
// as its service, in a cluster of all three, and with the flags offboard
// needs.
func checkEtcdMember(t *testing.T, root, name string, svc haService, testedVersion string) {
	t.Helper()
	if svc.Build.Context != "../.." || svc.Build.Dockerfile != "deploy/ha/etcd.Dockerfile" {
		t.Errorf("%s: build %+v, want deploy/ha/etcd.Dockerfile from the repository root", name, svc.Build)
	} else {
		df, err := os.ReadFile(filepath.Join(root, svc.Build.Dockerfile))
		if err != nil {
			t.Fatal(err)
		}
		text := string(df)
		for _, want := range []string{"ARG ETCD_VERSION=" + testedVersion, "go.etcd.io/etcd/server/v3/etcdmain@${ETCD_VERSION}",
			"go.etcd.io/etcd/etcdctl/v3@${ETCD_VERSION}",
			"FROM scratch", "COPY go.mod go.sum ./"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %s lacks %q", name, svc.Build.Dockerfile, want)
			}
		}
		if user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(text); user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root") {
			t.Errorf("%s: etcd's image runs as root", name)
		}
	}
	if got, _ := composeFlag(svc.Command, "name"); got != name {
		t.Errorf("%s: --name %q, want its service name", name, got)
	}
	if ops, _ := composeFlag(svc.Command, "max-txn-ops"); ops != fmt.Sprint(etcdMaxTxnOps) {
		t.Errorf("%s: --max-txn-ops %q, want %d (serve refuses a cluster with less)", name, ops, etcdMaxTxnOps)
	}
	if r, ok := composeFlag(svc.Command, "auto-compaction-retention"); !ok || r == "" || r == "0" {
		t.Errorf("%s: --auto-compaction-retention %q; without it etcd keeps every revision (and erased data) for ever", name, r)
	}
	if got, _ := composeFlag(svc.Command, "advertise-client-urls"); got != "http://"+name+":2379" {
		t.Errorf("%s: --advertise-client-urls %q", name, got)
	}
	peer, _ := composeFlag(svc.Command, "initial-advertise-peer-urls")
	cluster, _ := composeFlag(svc.Command, "initial-cluster")
	var members []string
	for _, m := range strings.Split(cluster, ",") {
		n, u, _ := strings.Cut(m, "=")
		members = append(members, n)
		if n == name && u != peer {
			t.Errorf("%s: --initial-cluster says its peer URL is %q, --initial-advertise-peer-urls %q", name, u, peer)
		}
		if u != "http://"+n+":2380" {
			t.Errorf("%s: --initial-cluster gives %s the peer URL %q", name, n, u)
		}
	}
	if !slices.Equal(members, etcdMembers) {
		t.Errorf("%s: --initial-cluster names %v, want %v", name, members, etcdMembers)
	}
	if got, _ := composeFlag(svc.Command, "initial-cluster-state"); got != "new" {
		t.Errorf("%s: --initial-cluster-state %q, want new", name, got)
	}
}
