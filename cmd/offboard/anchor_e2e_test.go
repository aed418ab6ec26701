package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/slack/slacktest"
	"github.com/offboard-dev/offboard/store/storetest"
)

// anchoredConfig writes a key with audit keygen and a config that signs
// checkpoints with it; it returns the config, the checkpoint file and the
// public key keygen printed (base64 line).
func anchoredConfig(t *testing.T, dir string) (cfgPath, cpFile, pubB64 string) {
	t.Helper()
	keyFile := filepath.Join(dir, "audit.key")
	code, out, errOut := runCLI("audit", "keygen", "--out", keyFile)
	if code != 0 {
		t.Fatalf("keygen: %d %s %s", code, out, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if b64, ok := strings.CutPrefix(line, "base64:"); ok {
			pubB64 = b64
		}
	}
	if pubB64 == "" || !strings.Contains(out, "BEGIN PUBLIC KEY") || !strings.Contains(out, "key id: ") {
		t.Fatalf("keygen printed no public key:\n%s", out)
	}
	cpFile = filepath.Join(t.TempDir(), "checkpoints.jsonl") // another "volume"
	cfgPath = writeConfig(t, dir, fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: %q\n", keyFile, cpFile))
	return cfgPath, cpFile, pubB64
}

func checkpointLines(t *testing.T, name string) []offboard.Checkpoint {
	t.Helper()
	var cps []offboard.Checkpoint
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, name)), "\n") {
		var cp offboard.Checkpoint
		if err := json.Unmarshal([]byte(line), &cp); err != nil {
			t.Fatalf("checkpoint line %q: %v", line, err)
		}
		cps = append(cps, cp)
	}
	return cps
}

// TestServe_AuditCheckpoints: serve signs the head when a case closes and
// at shutdown; verify with the checkpoints passes on the real store and
// catches what plain verify cannot: the chain cut short with its head
// rewritten, and the chain re-chained from an edited event.
func TestServe_AuditCheckpoints(t *testing.T) {
	dir := t.TempDir()
	cfgPath, cpFile, pub := anchoredConfig(t, dir)
	pubKey, err := offboard.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI("config", "check", "--config", cfgPath); code != 0 ||
		!strings.Contains(out, "audit anchoring on: key id "+offboard.CheckpointKeyID(pubKey)) {
		t.Fatalf("config check: %d\n%s\n%s", code, out, errOut)
	}
	app := startApp(t, cfgPath, wireOptions{})

	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	eventually(t, "the revocations to fail (no Okta)", func() bool {
		return taskByKey(readCase(t, app, id), "okta_suspend").Status == offboard.TaskFailed
	})
	if r := call(t, "POST", app.url+"/api/v1/cases/"+string(id)+"/cancel", hrToken, `{"reason":"test"}`); r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	// The close is anchored at once, without waiting for the hour.
	var cancelled uint64
	err = app.app.db.AuditEvents(t.Context(), offboard.AuditFilter{CaseID: id}, func(e *offboard.AuditEvent) error {
		if e.Action == "case.cancelled" {
			cancelled = e.Seq
		}
		return nil
	})
	if err != nil || cancelled == 0 {
		t.Fatalf("no case.cancelled event (%v)", err)
	}
	eventually(t, "a checkpoint covering the cancellation", func() bool {
		b, _ := os.ReadFile(cpFile)
		if len(b) == 0 {
			return false
		}
		cps := checkpointLines(t, cpFile)
		return cps[len(cps)-1].Seq >= cancelled
	})
	afterClose := len(checkpointLines(t, cpFile))
	// More history after the close, anchored by the shutdown checkpoint.
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, strings.Replace(involuntaryJane, "jane.doe", "john.roe", 1)); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	app.stop()
	cps := checkpointLines(t, cpFile)
	if len(cps) <= afterClose {
		t.Fatalf("%d checkpoints after shutdown, %d after the close: shutdown wrote none", len(cps), afterClose)
	}
	// A restart goes on from the file's last checkpoint: no repeat, and
	// the next line links to it.
	app = startApp(t, cfgPath, wireOptions{})
	if r := call(t, "POST", app.url+"/api/v1/cases", hrToken, strings.Replace(involuntaryJane, "jane.doe", "rita.roe", 1)); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	app.stop()
	before := len(cps)
	cps = checkpointLines(t, cpFile)
	if len(cps) != before+1 || cps[before].Prev != cps[before-1].Digest() {
		t.Fatalf("after a restart: %d checkpoints (want %d), linked %v", len(cps), before+1, cps[len(cps)-1].Prev == cps[before-1].Digest())
	}
	dbPath := filepath.Join(dir, "offboard.db")
	seq, head := storeHead(t, cfgPath, dbPath)
	if last := cps[len(cps)-1]; last.Seq != seq || last.Head != head {
		t.Fatalf("last checkpoint %d %s; the chain ends at %d %s", last.Seq, last.Head, seq, head)
	}
	if info, err := os.Stat(cpFile); err != nil || info.Mode().Perm()&0o002 != 0 {
		t.Fatalf("checkpoint file: %v %v", info, err)
	}

	t.Run("intact", func(t *testing.T) {
		storeSum, cpSum := fileSHA(t, dbPath), fileSHA(t, cpFile)
		code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", cpFile, "--public-key", pub)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("checkpoints OK: %d signed checkpoints", len(cps))) {
			t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
		}
		// Evidence tools only read.
		if fileSHA(t, dbPath) != storeSum || fileSHA(t, cpFile) != cpSum {
			t.Fatal("audit verify --checkpoints changed the store or the checkpoint file")
		}
	})
	t.Run("key from the server's config", func(t *testing.T) {
		code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", cpFile)
		if code != 0 || !strings.Contains(out, "derived from this server's audit.signing_key") {
			t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
		}
	})

	first := cps[0].Seq // the first anchored event
	attacks := []struct {
		name   string
		attack func(path string) error
		want   []string
	}{
		{"truncated with the head rewritten", func(path string) error {
			return storetest.TruncateAudit(path, first-1)
		}, []string{fmt.Sprintf("checkpoints BROKEN at event %d", first), "truncated", fmt.Sprintf("the chain ends at event %d", first-1)}},
		{"re-chained from an edited event", func(path string) error {
			return storetest.RechainAudit(path, 2, func(e *offboard.AuditEvent) { e.Detail = "nothing happened here" })
		}, []string{fmt.Sprintf("checkpoints BROKEN at event %d: the first altered event is at or before event %d (no earlier checkpoint", first, first), "rewritten"}},
		{"re-chained after the first checkpoint", func(path string) error {
			return storetest.RechainAudit(path, first+1, func(e *offboard.AuditEvent) { e.Detail += " (edited)" })
		}, []string{fmt.Sprintf("the first altered event is after event %d", first), "rewritten"}},
	}
	for _, tc := range attacks {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tampered.db")
			copyFile(t, dbPath, path)
			if err := tc.attack(path); err != nil {
				t.Fatal(err)
			}
			// The chain alone is fooled: that is why checkpoints exist.
			code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--store", path)
			if code != 0 || !strings.Contains(out, "audit chain OK") {
				t.Fatalf("plain verify should pass after this attack: %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = runCLI("audit", "verify", "--config", cfgPath, "--store", path, "--checkpoints", cpFile, "--public-key", pub)
			if code != 1 {
				t.Fatalf("verify --checkpoints: exit %d, want 1\n%s\n%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}

	lines := strings.SplitAfter(readFile(t, cpFile), "\n")
	lines = lines[:len(lines)-1] // after the last newline
	if len(lines) < 3 {
		t.Fatalf("want at least 3 checkpoints (close, shutdown, shutdown), got %d", len(lines))
	}
	tampered := []struct {
		name string
		file string
		want []string
	}{
		{"a head edited", strings.Replace(strings.Join(lines, ""), cps[1].Head, strings.Repeat("0", 64), 1),
			[]string{"checkpoint line 2", "signature does not match", "does not link to line 2"}},
		{"a line removed in the middle", lines[0] + strings.Join(lines[2:], ""),
			[]string{"checkpoint line 2 does not link to line 1"}},
		{"the first line removed", strings.Join(lines[1:], ""),
			[]string{"lines were removed from the start"}},
		{"lines swapped", lines[1] + lines[0] + strings.Join(lines[2:], ""),
			[]string{"sequence numbers must grow"}},
		{"a line cut off", strings.Join(lines, "") + lines[0][:40],
			[]string{fmt.Sprintf("checkpoint line %d is not a checkpoint", len(lines)+1)}},
		{"empty", "", []string{"anchors nothing"}},
	}
	for _, tc := range tampered {
		t.Run("checkpoint file: "+tc.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "cp.jsonl")
			writeFile(t, name, tc.file)
			code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", name, "--public-key", pub)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	t.Run("another key", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.key")
		code, out, _ := runCLI("audit", "keygen", "--out", other)
		if code != 0 {
			t.Fatal(out)
		}
		pemPub := out[strings.Index(out, "-----BEGIN"):strings.Index(out, "base64:")]
		pubFile := filepath.Join(t.TempDir(), "other.pub")
		writeFile(t, pubFile, pemPub)
		code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", cpFile, "--public-key", pubFile)
		if code != 1 || !strings.Contains(errOut, "not by the given public key") {
			t.Fatalf("exit %d, want 1 naming the key\n%s\n%s", code, out, errOut)
		}
	})
}

// storeHead reads the chain's head from the closed store file.
func storeHead(t *testing.T, cfgPath, path string) (uint64, string) {
	t.Helper()
	db, err := openConfiguredStore(cfgPath, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seq, head, err := db.AuditHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return seq, head
}

func TestAuditKeygen(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.pem")
	code, out, errOut := runCLI("audit", "keygen", "--out", keyFile)
	if code != 0 {
		t.Fatalf("keygen: %d %s %s", code, out, errOut)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", info.Mode().Perm())
	}
	keyText := readFile(t, keyFile)
	key, err := offboard.ParseSigningKey(keyText)
	if err != nil {
		t.Fatalf("the key written does not parse: %v", err)
	}
	if strings.Contains(out+errOut, strings.TrimSpace(strings.Split(keyText, "\n")[1])) {
		t.Error("keygen printed the private key")
	}
	pub, err := offboard.ParsePublicKey(out[strings.Index(out, "-----BEGIN"):])
	if err != nil || !pub.Equal(key.Public()) {
		t.Fatalf("printed public key %v does not match the key written (%v)", pub, err)
	}

	// It never overwrites: an existing key may have signed checkpoints.
	code, _, errOut = runCLI("audit", "keygen", "--out", keyFile)
	if code != 1 || !strings.Contains(errOut, "never overwrites") {
		t.Fatalf("second keygen: exit %d %s", code, errOut)
	}
	if readFile(t, keyFile) != keyText {
		t.Fatal("the key file changed")
	}
	if code, _, errOut := runCLI("audit", "keygen"); code != exitUsage || !strings.Contains(errOut, "--out") {
		t.Fatalf("keygen without --out: exit %d %s", code, errOut)
	}
}

// With audit.checkpoint_channel, each checkpoint also goes to the audit
// channel, carrying its exact file line: the channel alone rebuilds a
// file that verifies.
func TestServe_AuditCheckpointsPostedToSlack(t *testing.T) {
	fake := newSlackFake(t)
	fake.AddChannel("CAUDIT", "offboard-audit", true)
	fake.AddUser(uHR, "Hana HR", "hana.hr@example.com")
	fake.AddUser(uJane, "Jane Doe", "jane.doe@example.com")
	fake.AddUser(uManager, "Mona Manager", "mona.manager@example.com")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "audit.key")
	if code, out, errOut := runCLI("audit", "keygen", "--out", keyFile); code != 0 {
		t.Fatalf("keygen: %s %s", out, errOut)
	}
	cpFile := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	cfgPath := writeConfig(t, dir, fmt.Sprintf(`slack:
  app_token: %q
  bot_token: %q
  api_url: %q
audit:
  signing_key_file: %q
  checkpoint_file: %q
  checkpoint_channel:
    slack: CAUDIT
`, slacktest.AppToken, slacktest.BotToken, fake.APIURL(), keyFile, cpFile))
	var log syncBuffer
	app := startAppLogging(t, cfgPath, wireOptions{}, &log)
	fake.WaitConnected(t, 1, 10*time.Second)
	defer func() {
		if t.Failed() {
			t.Log(log.String())
		}
	}()
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	if r := call(t, "POST", app.url+"/api/v1/cases/"+string(id)+"/cancel", hrToken, `{"reason":"test"}`); r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	eventually(t, "a checkpoint in the audit channel", func() bool { return len(fake.Messages("CAUDIT")) > 0 })
	app.stop()

	fileLines := strings.Split(strings.TrimSpace(readFile(t, cpFile)), "\n")
	var rebuilt []string
	for _, m := range fake.Messages("CAUDIT") {
		_, rest, ok := strings.Cut(m.Text, "```\n")
		if !ok || !strings.HasPrefix(m.Text, "Audit checkpoint: event ") {
			t.Fatalf("message %q carries no checkpoint line", m.Text)
		}
		rebuilt = append(rebuilt, strings.TrimSpace(strings.TrimSuffix(rest, "```")))
	}
	if strings.Join(rebuilt, "\n") != strings.Join(fileLines, "\n") {
		t.Fatalf("the channel holds\n%s\nthe file\n%s", strings.Join(rebuilt, "\n"), strings.Join(fileLines, "\n"))
	}
	fromChannel := filepath.Join(t.TempDir(), "from-channel.jsonl")
	writeFile(t, fromChannel, strings.Join(rebuilt, "\n")+"\n")
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", fromChannel); code != 0 || !strings.Contains(out, "checkpoints OK") {
		t.Fatalf("verify with the channel's copy: %d\n%s\n%s", code, out, errOut)
	}
}

// A checkpoint that cannot be written never fails or holds up a command:
// the case opens and closes, and the log says loudly what was not done.
func TestServe_AuditCheckpointFailureDoesNotFailCommands(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "audit.key")
	if code, out, errOut := runCLI("audit", "keygen", "--out", keyFile); code != 0 {
		t.Fatalf("keygen: %s %s", out, errOut)
	}
	cpFile := filepath.Join(dir, "no-such-volume", "checkpoints.jsonl")
	cfgPath := writeConfig(t, dir, fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: %q\n", keyFile, cpFile))
	var log syncBuffer
	app := startAppLogging(t, cfgPath, wireOptions{}, &log)
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	id := r.view(t).Case.ID
	if r := call(t, "POST", app.url+"/api/v1/cases/"+string(id)+"/cancel", hrToken, `{"reason":"test"}`); r.status != http.StatusOK {
		t.Fatalf("cancel = %d %s", r.status, r.body)
	}
	if !strings.Contains(log.String(), "directory is missing") {
		t.Errorf("the missing directory was not reported at start:\n%s", log.String())
	}
	eventually(t, "the failed checkpoint in the log", func() bool {
		return strings.Contains(log.String(), "level=ERROR") && strings.Contains(log.String(), "audit checkpoint NOT written")
	})
	app.stop()
	if _, err := os.Stat(cpFile); !os.IsNotExist(err) {
		t.Fatalf("checkpoint file: %v", err)
	}
}

// Without any case closing, the chain is still anchored on
// audit.checkpoint_every (hourly by default; a second here).
func TestServe_AuditCheckpointOnSchedule(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "audit.key")
	if code, out, errOut := runCLI("audit", "keygen", "--out", keyFile); code != 0 {
		t.Fatalf("keygen: %s %s", out, errOut)
	}
	cpFile := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	cfgPath := writeConfig(t, dir, fmt.Sprintf("audit:\n  signing_key_file: %q\n  checkpoint_file: %q\n  checkpoint_every: 1s\n", keyFile, cpFile))
	var log syncBuffer
	app := startAppLogging(t, cfgPath, wireOptions{}, &log)
	r := call(t, "POST", app.url+"/api/v1/cases", hrToken, involuntaryJane)
	if r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.body)
	}
	opened, _, err := app.app.db.AuditHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The log names the schedule as the writer (no case closes here).
	eventually(t, "a scheduled checkpoint covering the opened case", func() bool {
		b, _ := os.ReadFile(cpFile)
		if len(b) == 0 {
			return false
		}
		cps := checkpointLines(t, cpFile)
		return cps[len(cps)-1].Seq >= opened && strings.Contains(log.String(), `"audit checkpoint written" component=anchor why=scheduled`)
	})
	app.stop()
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath, "--checkpoints", cpFile); code != 0 {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
	}
}
