package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/store"
)

// BenchmarkServe_Start measures the budget for a long history (start
// < 2 s, RSS < 100 MB, status by email < 5 ms with 1,000,000 closed
// cases): a store of closed cases with all their tasks (plus 20 open
// ones) is served by a real `offboard serve` child process. It reports
// the time from exec to "offboard is up", the child's RSS once up and
// its peak, and the p50/p99 of `GET /api/v1/cases?email=` (status by
// email, over loopback HTTP), plus how long seeding took and the file's
// size. OFFBOARD_BENCH_CLOSED overrides the sizes (comma-separated):
// the million-case store takes long to write on a small machine, so
// OFFBOARD_BENCH_KEEP names a directory to keep the stores in between
// runs.
func BenchmarkServe_Start(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if env := os.Getenv("OFFBOARD_BENCH_CLOSED"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("OFFBOARD_BENCH_CLOSED: %q is not a count", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("closed=%d", n), func(b *testing.B) { benchStart(b, n) })
	}
}

func benchStart(b *testing.B, closed int) {
	dir := b.TempDir()
	if keep := os.Getenv("OFFBOARD_BENCH_KEEP"); keep != "" {
		// The store is kept there and written only once per size.
		dir = filepath.Join(keep, fmt.Sprintf("closed-%d", closed))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
	}
	cfgPath := writeConfig(b, dir, "")
	seeded := time.Now()
	if _, err := os.Stat(filepath.Join(dir, "seeded")); err != nil {
		seedHistory(b, cfgPath, closed, 20)
		if err := os.WriteFile(filepath.Join(dir, "seeded"), nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	seedTook := time.Since(seeded)
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(cfg.Store.Path)
	if err != nil {
		b.Fatal(err)
	}
	// The file is not in the page cache as after a reboot, but neither is
	// it cold: what is measured is offboard's own work at start.
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
	upRe := regexp.MustCompile(`msg="offboard is up"`)
	found, up := make(chan string, 1), make(chan time.Duration, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
			if upRe.MatchString(sc.Text()) {
				up <- time.Since(began)
			}
		}
	}()
	var url string
	var startup time.Duration
	for url == "" || startup == 0 {
		select {
		case url = <-found:
		case startup = <-up:
		case <-time.After(120 * time.Second):
			b.Fatal("the child never said it is up")
		}
	}
	_, rssUp := procRSS(b, child.Process.Pid)
	upMem := procMem(b, child.Process.Pid)
	lat := make([]time.Duration, 0, 200)
	i := 0
	for b.Loop() {
		email := fmt.Sprintf("person%d@example.com", (i*7919)%closed)
		i++
		t0 := time.Now()
		r := call(b, "GET", url+"/api/v1/cases?status=completed&email="+email, hrToken, "")
		lat = append(lat, time.Since(t0))
		if r.status != 200 || !strings.Contains(string(r.body), email) {
			b.Fatalf("status of %s = %d %.200s", email, r.status, r.body)
		}
	}
	peak, now := procRSS(b, child.Process.Pid)
	endMem := procMem(b, child.Process.Pid)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(startup.Seconds(), "start-s")
	b.ReportMetric(rssUp, "rss-up-MB")
	b.ReportMetric(now, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
	b.ReportMetric(pct(0.5), "status-p50-ms")
	b.ReportMetric(pct(0.99), "status-p99-ms")
	// Anonymous memory is offboard's heap; file memory is pages of the
	// store file bbolt's map has touched, which the kernel can drop.
	b.ReportMetric(upMem["RssAnon:"], "anon-up-MB")
	b.ReportMetric(endMem["RssAnon:"], "anon-MB")
	b.ReportMetric(endMem["RssFile:"], "file-MB")
	b.ReportMetric(seedTook.Seconds(), "seed-s")
	// The same lookup in process, without HTTP and JSON: the engine's
	// index read, after the child has gone.
	_ = child.Process.Kill()
	_ = child.Wait()
	find := findLatencies(b, cfgPath, closed, len(lat))
	b.ReportMetric(find[len(find)/2].Seconds()*1000, "find-p50-ms")
	b.ReportMetric(find[min(len(find)-1, len(find)*99/100)].Seconds()*1000, "find-p99-ms")
	b.ReportMetric(float64(info.Size())/(1<<20), "store-MB")
}

// procMem reads a process's /proc status lines measured in kB, in MB by
// name ("RssAnon:", "RssFile:").
func procMem(b *testing.B, pid int) map[string]float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("reading the child's memory: %v", err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[2] == "kB" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			out[f[0]] = kb / 1024
		}
	}
	return out
}

// findLatencies times Engine.FindCases by email n times on the store,
// opened read-only, and returns the sorted latencies.
func findLatencies(b *testing.B, cfgPath string, closed, n int) []time.Duration {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(cfg.Store.Path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	engine, err := flows.New(flows.Options{Store: db, Roles: cfg.RolesOf, Location: cfg.Location()})
	if err != nil {
		b.Fatal(err)
	}
	hr := offboard.Actor{Kind: offboard.ActorPerson, Email: "hana.hr@example.com"}
	lat := make([]time.Duration, 0, n)
	for i := range max(n, 1) {
		email := fmt.Sprintf("person%d@example.com", (i*104729)%closed)
		t0 := time.Now()
		views, err := engine.FindCases(context.Background(), hr, email)
		lat = append(lat, time.Since(t0))
		if err != nil || len(views) != 1 {
			b.Fatalf("find %s: %d cases, %v", email, len(views), err)
		}
	}
	slices.Sort(lat)
	return lat
}
