package store_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/store"
)

func doctorByName(t *testing.T, path string) map[string]offboard.CheckResult {
	t.Helper()
	out := map[string]offboard.CheckResult{}
	for _, r := range store.Doctor(context.Background(), path) {
		out[r.Name] = r
	}
	return out
}

func TestDoctor_Healthy(t *testing.T) {
	file, _ := chainFile(t, 50)
	path := tempPath(t)
	if err := writeFile(path, file); err != nil {
		t.Fatal(err)
	}
	want := fileSum(t, path)
	got := doctorByName(t, path)
	for _, name := range []string{"Store: audit chain", "Store: indexes"} {
		if got[name].Status != offboard.CheckOK {
			t.Errorf("%s = %+v", name, got[name])
		}
	}
	if d := got["Store: free disk space"]; d.Status == offboard.CheckFail || !strings.Contains(d.Detail, "free of") {
		t.Errorf("disk = %+v", d)
	}
	if fileSum(t, path) != want {
		t.Error("doctor changed the store file")
	}
}

func TestDoctor_Corrupt(t *testing.T) {
	path := tempPath(t)
	if err := writeFile(path, bytes.Repeat([]byte("x"), 9000)); err != nil {
		t.Fatal(err)
	}
	r := doctorByName(t, path)["Store"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "corrupt") || !strings.Contains(r.Fix, "backup") {
		t.Errorf("corrupt store = %+v", r)
	}
}

func TestDoctor_Locked(t *testing.T) {
	db := openDB(t) // holds the lock, as serve does
	r := doctorByName(t, db.Path())["Store"]
	if r.Status != offboard.CheckSkip || !strings.Contains(r.Detail, "in use by serve; checked by serve at start") {
		t.Errorf("locked store = %+v", r)
	}
}

func TestDoctor_Missing(t *testing.T) {
	r := doctorByName(t, filepath.Join(t.TempDir(), "none.db"))["Store"]
	if r.Status != offboard.CheckWarn || !strings.Contains(r.Detail, "does not exist yet") {
		t.Errorf("missing store = %+v", r)
	}
}

func TestDoctor_BrokenChain(t *testing.T) {
	file, _ := chainFile(t, 20)
	path := tempPath(t)
	if err := writeFile(path, file); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, path, func(btx *bolt.Tx) error {
		return btx.Bucket([]byte("audit")).Delete(binary.BigEndian.AppendUint64(nil, 7))
	})
	r := doctorByName(t, path)["Store: audit chain"]
	if r.Status != offboard.CheckFail || !strings.Contains(r.Detail, "broken at event") || !strings.Contains(r.Fix, "backup") {
		t.Errorf("broken chain = %+v", r)
	}
}
