package teams_test

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The Teams app package: a manifest whose commands are ours and icons of
// the sizes Teams requires.
func TestManifest(t *testing.T) {
	dir := filepath.Join("..", "..", "teams-app")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Icons struct{ Color, Outline string }
		Bots  []struct {
			Scopes       []string
			CommandLists []struct {
				Commands []struct{ Title, Description string }
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Bots) != 1 || !slices.Contains(m.Bots[0].Scopes, "team") || !slices.Contains(m.Bots[0].Scopes, "personal") {
		t.Fatalf("bots = %+v", m.Bots)
	}
	var titles []string
	for _, l := range m.Bots[0].CommandLists {
		for _, c := range l.Commands {
			titles = append(titles, c.Title)
		}
	}
	if want := []string{"offboard", "status", "list", "help"}; !slices.Equal(titles, want) {
		t.Fatalf("commands = %v, want %v", titles, want)
	}
	for name, size := range map[string]int{m.Icons.Color: 192, m.Icons.Outline: 32} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), size, size)
		}
	}
}
