package dashboard_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// On a phone a table.stack drops its header row, so a cell without
// data-label shows a bare value ("0", "2m") that nobody can place: the
// Evidence page's tables were so.
func TestTemplates_StackedCellsLabelled(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	table := regexp.MustCompile(`(?s)<table class="stack">.*?</table>`)
	body := regexp.MustCompile(`(?s)<tbody>.*?</tbody>`)
	cell := regexp.MustCompile(`<td[ >]|<th scope="row"[ >]`)
	tables := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range table.FindAllString(string(b), -1) {
			tables++
			for _, rows := range body.FindAllString(tb, -1) {
				for _, loc := range cell.FindAllStringIndex(rows, -1) {
					end := strings.IndexByte(rows[loc[0]:], '>')
					tag := rows[loc[0] : loc[0]+end+1]
					if !strings.Contains(tag, "data-label=") {
						t.Errorf("%s: %s has no data-label: on a phone its value stands without a name", filepath.Base(f), tag)
					}
				}
			}
		}
	}
	if tables < 10 {
		t.Errorf("found %d stacked tables; the templates have more (the pattern is stale?)", tables)
	}
}
