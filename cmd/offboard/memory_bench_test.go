package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/store"
	"github.com/offboard-dev/offboard/store/storetest"
)

// BenchmarkServe_RSS_100kCases measures DESIGN's memory budget (< 60 MB
// RSS serving 100,000 historical cases): a store of 100,000 completed
// cases with all their tasks and 20 open ones is served by a real
// `offboard serve` child process while each iteration reads what people
// read — status by email, the open list, the dashboard and its
// analytics. It reports the child's peak and current RSS.
func BenchmarkServe_RSS_100kCases(b *testing.B) {
	dir := b.TempDir()
	// The dashboard is read by an admin (console.token) who sees every case.
	const consoleToken = "bench-console-token-0123456789"
	cfgPath := writeConfig(b, dir, "console:\n  enabled: true\n  token: \""+consoleToken+"\"\n")
	seedHistory(b, cfgPath, 100_000, 20)

	child := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	child.Env = append(os.Environ(), "OFFBOARD_TEST_CHILD=serve", "OFFBOARD_TEST_CONFIG="+cfgPath)
	stderr, err := child.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	urlRe := regexp.MustCompile(`msg=listening url=(http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-found:
	case <-time.After(60 * time.Second):
		b.Fatal("the child never said where it listens")
	}
	// Start-up includes serve's check of the store's page structure.
	startup := time.Since(began)
	i := 0
	for b.Loop() {
		email := fmt.Sprintf("person%d@example.com", (i*7919)%100_000)
		i++
		for _, path := range []string{"/api/v1/cases?status=completed&email=" + email, "/api/v1/cases", "/", "/analytics"} {
			if !strings.HasPrefix(path, "/api/") {
				req, _ := http.NewRequest("GET", url+path, nil)
				req.SetBasicAuth("admin", consoleToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s = %d", path, resp.StatusCode)
				}
				continue
			}
			if r := call(b, "GET", url+path, hrToken, ""); r.status != 200 {
				b.Fatalf("GET %s = %d %s", path, r.status, r.body)
			}
		}
	}
	peak, now := procRSS(b, child.Process.Pid)
	b.ReportMetric(peak, "peak-rss-MB")
	b.ReportMetric(now, "rss-MB")
	b.ReportMetric(startup.Seconds(), "start-s")
}

// seedHistory writes closed cases (copies of a real case and its tasks)
// straight through the store, then opens a few cases through the engine.
func seedHistory(b *testing.B, cfgPath string, closed, open int) {
	b.Helper()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	engine, err := flows.New(flows.Options{Store: db, Roles: cfg.RolesOf, Location: cfg.Location()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	hr := offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com"}
	res, err := engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2026-12-31",
		Employee: offboard.Employee{Name: "Template Person", Email: "template@example.com", ManagerEmail: "mona.manager@example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	err = storetest.Write(ctx, db, storetest.History{Template: res.Case, Tasks: res.Tasks, N: closed,
		First: time.Now().Add(-2 * 365 * 24 * time.Hour), Step: 2 * 365 * 24 * time.Hour / time.Duration(closed)})
	if err != nil {
		b.Fatal(err)
	}
	for i := range open {
		_, err := engine.Apply(ctx, offboard.OpenCase{By: hr, Kind: offboard.Voluntary, LastDay: "2027-01-15",
			Employee: offboard.Employee{Name: fmt.Sprintf("Open %d", i), Email: fmt.Sprintf("open%d@example.com", i), ManagerEmail: "mona.manager@example.com"}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// procRSS reads a process's peak (VmHWM) and current (VmRSS) resident
// memory in MB from /proc.
func procRSS(b *testing.B, pid int) (peak, now float64) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("reading the child's memory: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmHWM:":
			peak = kb / 1024
		case "VmRSS:":
			now = kb / 1024
		}
	}
	return peak, now
}
