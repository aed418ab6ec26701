package main

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCmdTeamsPackage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "app.zip")
	const app, bot = "6f1c2a4e-0b7d-4e57-9a53-2f7d0c1e8b90", "0a9b8c7d-6e5f-4a3b-8c1d-2e3f4a5b6c7d"
	code, stdout, stderr := runCLI("teams-package", "--app-id", app, "--bot-id", bot, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, out) {
		t.Errorf("stdout %q does not name the file", stdout)
	}
	z, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	names := map[string]bool{}
	var m struct {
		ID   string
		Bots []struct{ BotID string }
	}
	for _, f := range z.File {
		names[f.Name] = true
		if f.Name != "manifest.json" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
	}
	if len(names) != 3 || !names["manifest.json"] || !names["color.png"] || !names["outline.png"] {
		t.Errorf("zip holds %v", names)
	}
	if m.ID != app || len(m.Bots) != 1 || m.Bots[0].BotID != bot {
		t.Errorf("manifest ids: %q %+v", m.ID, m.Bots)
	}

	// A bad id is a usage error and writes nothing.
	bad := filepath.Join(dir, "bad.zip")
	code, _, stderr = runCLI("teams-package", "--app-id", "my-bot", "--out", bad)
	if code != exitUsage || !strings.Contains(stderr, "not a GUID") {
		t.Errorf("bad id: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a refused package left a file: %v", err)
	}
	if code, _, stderr = runCLI("teams-package", "--app-id", app); code != exitUsage || !strings.Contains(stderr, "--out") {
		t.Errorf("no --out: exit %d, %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only app.zip (no temporary left)", len(entries))
	}
}
