// Package teamsapp is the Microsoft Teams app package of offboard: the
// manifest and its two icons, embedded so that `offboard teams-package`
// works from the binary alone, and Build, which fills in an
// organisation's ids and zips the three files as Teams' "Upload a custom
// app" expects them (all at the root of the zip). Standard library only.
package teamsapp

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

//go:embed manifest.json color.png outline.png
var files embed.FS

// Files are the package's file names, manifest first.
var Files = []string{"manifest.json", "color.png", "outline.png"}

// IDs are what an organisation's package differs by.
type IDs struct {
	// App is the Teams app's own id (the manifest's id).
	App string
	// Bot is the Azure bot's Microsoft App ID (teams.app_id in the
	// config; bots[0].botId); empty means App, the usual choice of
	// registering the app and the bot under one id.
	Bot string
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// CheckGUID says what is wrong with an id Teams takes as a GUID, or nil.
func CheckGUID(what, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s is required: the GUID from the Azure bot's registration (Microsoft App ID)", what)
	case !guid.MatchString(id):
		return fmt.Errorf("%s %q is not a GUID like 6f1c2a4e-0b7d-4e57-9a53-2f7d0c1e8b90", what, truncate(id, 60))
	case strings.Trim(id, "0-") == "":
		return fmt.Errorf("%s is the placeholder all-zero GUID; use the app's real id", what)
	}
	return nil
}

// Manifest is the manifest with ids filled in, indented.
func Manifest(ids IDs) ([]byte, error) {
	if ids.Bot == "" {
		ids.Bot = ids.App
	}
	if err := CheckGUID("app id", ids.App); err != nil {
		return nil, err
	}
	if err := CheckGUID("bot id", ids.Bot); err != nil {
		return nil, err
	}
	raw, err := files.ReadFile("manifest.json")
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("teams-app: manifest.json: %w", err)
	}
	bots, _ := m["bots"].([]any)
	if len(bots) != 1 {
		return nil, fmt.Errorf("teams-app: manifest.json has %d bots, want 1", len(bots))
	}
	bot, _ := bots[0].(map[string]any)
	if bot == nil {
		return nil, fmt.Errorf("teams-app: manifest.json: bots[0] is not an object")
	}
	m["id"] = strings.ToLower(ids.App)
	bot["botId"] = strings.ToLower(ids.Bot)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// entryTime is the modification time of every entry of the package.
var entryTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Build writes the zip of the manifest with ids and the icons to w.
func Build(w io.Writer, ids IDs) error {
	manifest, err := Manifest(ids)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range Files {
		data := manifest
		if name != "manifest.json" {
			if data, err = files.ReadFile(name); err != nil {
				return err
			}
		}
		// A fixed, valid date keeps the zip the same from build to build;
		// with none, the entries said 1980-00-00, a date that does not exist.
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: entryTime})
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
