package teamsapp_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"

	teamsapp "github.com/offboard-dev/offboard/teams-app"
)

const (
	appID = "6F1C2A4E-0B7D-4E57-9A53-2F7D0C1E8B90"
	botID = "0a9b8c7d-6e5f-4a3b-8c1d-2e3f4a5b6c7d"
)

// unzip reads every file of a zip.
func unzip(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var names []string
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
		names = append(names, f.Name)
	}
	if !slices.Equal(names, teamsapp.Files) {
		t.Errorf("zip holds %v, want %v at its root", names, teamsapp.Files)
	}
	return out
}

type manifest struct {
	ID   string
	Bots []struct {
		BotID string
	}
	Icons struct{ Color, Outline string }
}

func TestBuild(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ids     teamsapp.IDs
		wantBot string
	}{
		{"one id for both", teamsapp.IDs{App: appID}, strings.ToLower(appID)},
		{"a bot of its own", teamsapp.IDs{App: appID, Bot: botID}, botID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := teamsapp.Build(&buf, tt.ids); err != nil {
				t.Fatal(err)
			}
			files := unzip(t, buf.Bytes())
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				// DOS dates: a zero one reads 1980-00-00, which unzip and
				// some uploaders show as invalid.
				if f.ModifiedDate>>5&0xf == 0 || f.ModifiedDate&0x1f == 0 {
					t.Errorf("%s: DOS date %#x has month or day 0", f.Name, f.ModifiedDate)
				}
			}
			var m manifest
			if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
				t.Fatal(err)
			}
			if m.ID != strings.ToLower(appID) || len(m.Bots) != 1 || m.Bots[0].BotID != tt.wantBot {
				t.Errorf("manifest id %q bot %+v, want %q and %q", m.ID, m.Bots, strings.ToLower(appID), tt.wantBot)
			}
			if strings.Contains(string(files["manifest.json"]), "00000000-0000") {
				t.Error("a placeholder id is left in the manifest")
			}
			for _, icon := range []string{m.Icons.Color, m.Icons.Outline} {
				if _, err := png.Decode(bytes.NewReader(files[icon])); err != nil {
					t.Errorf("icon %s: %v", icon, err)
				}
			}
		})
	}
}

func TestBuild_BadIDs(t *testing.T) {
	for _, tt := range []struct {
		ids  teamsapp.IDs
		want string
	}{
		{teamsapp.IDs{}, "required"},
		{teamsapp.IDs{App: "offboard-bot"}, "not a GUID"},
		{teamsapp.IDs{App: appID + "0"}, "not a GUID"},
		{teamsapp.IDs{App: "00000000-0000-0000-0000-000000000000"}, "placeholder"},
		{teamsapp.IDs{App: appID, Bot: "{" + botID + "}"}, "bot id"},
	} {
		var buf bytes.Buffer
		err := teamsapp.Build(&buf, tt.ids)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build(%+v) = %v, want an error saying %q", tt.ids, err, tt.want)
		}
		if buf.Len() != 0 {
			t.Errorf("Build(%+v) wrote %d bytes after refusing", tt.ids, buf.Len())
		}
	}
}
