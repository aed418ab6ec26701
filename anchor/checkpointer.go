package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/offboard-dev/offboard"
)

// HeadFunc returns the sequence number of the last chained event and its
// hash (store.DB.AuditHead).
type HeadFunc func(ctx context.Context) (seq uint64, head string, err error)

// Options configure a Checkpointer.
type Options struct {
	Head HeadFunc
	Key  ed25519.PrivateKey
	// File is the append-only JSON-lines file, best on another volume
	// than the store.
	File   string
	Clock  offboard.Clock
	Logger *slog.Logger
	// Post, when set, sends each checkpoint written as a chat message
	// (Message) to the audit channel: a second copy in a system the
	// store's host does not control. A failed post is logged, not
	// retried: the file holds every checkpoint.
	Post func(ctx context.Context, text string) error
}

// postTimeout bounds one post, so a chat outage never holds up the next
// checkpoint or shutdown for long.
const postTimeout = 10 * time.Second

// Checkpointer appends a signed checkpoint to its file whenever the chain
// head has moved since the last one. It is safe for concurrent use.
type Checkpointer struct {
	o     Options
	nudge chan struct{}

	mu sync.Mutex
	// loaded says lastSeq and prev were read from the file's last line.
	loaded  bool
	lastSeq uint64
	lastTag string // head hash of the last checkpoint
	prev    string // Digest of the last checkpoint
	// torn says the file's last line has no newline (a write cut off).
	torn bool
}

// New returns a Checkpointer; it opens nothing until the first write.
func New(o Options) (*Checkpointer, error) {
	switch {
	case o.Head == nil:
		return nil, errors.New("anchor: no chain head")
	case len(o.Key) != ed25519.PrivateKeySize:
		return nil, errors.New("anchor: no Ed25519 signing key")
	case o.File == "":
		return nil, errors.New("anchor: no checkpoint file")
	}
	if o.Clock == nil {
		o.Clock = offboard.WallClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Checkpointer{o: o, nudge: make(chan struct{}, 1)}, nil
}

// KeyID names the public key that verifies this Checkpointer's lines.
func (c *Checkpointer) KeyID() string {
	return offboard.CheckpointKeyID(c.o.Key.Public().(ed25519.PublicKey))
}

// Nudge asks Run for a checkpoint soon (a case closed). It never blocks:
// a nudge pending already covers this one.
func (c *Checkpointer) Nudge() {
	select {
	case c.nudge <- struct{}{}:
	default:
	}
}

// Run writes a checkpoint after each Nudge until ctx is done.
func (c *Checkpointer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.nudge:
			c.TryCheckpoint(ctx, "case closed")
		}
	}
}

// TryCheckpoint writes a checkpoint if the head moved and logs the
// outcome; a failure is logged as an error, never returned, and the next
// occasion tries again.
func (c *Checkpointer) TryCheckpoint(ctx context.Context, why string) {
	cp, err := c.Checkpoint(ctx)
	switch {
	case err != nil:
		c.o.Logger.Error("audit checkpoint NOT written; the next one tries again", "why", why, "file", c.o.File, "err", err)
	case cp != nil:
		c.o.Logger.Info("audit checkpoint written", "why", why, "seq", cp.Seq, "head", cp.Head, "key_id", cp.KeyID)
		c.post(ctx, *cp)
	}
}

// post sends cp to the audit channel, when one is configured.
func (c *Checkpointer) post(ctx context.Context, cp offboard.Checkpoint) {
	if c.o.Post == nil {
		return
	}
	text, err := Message(cp)
	if err == nil {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
		err = c.o.Post(pctx, text)
		cancel()
	}
	if err != nil {
		c.o.Logger.Error("audit checkpoint written to the file but NOT posted to the audit channel", "seq", cp.Seq, "err", err)
	}
}

// Message is the chat message for cp: a line for people, then the
// checkpoint's exact file line, so the channel alone can rebuild the
// file for audit verify --checkpoints.
func Message(cp offboard.Checkpoint) (string, error) {
	line, err := cp.MarshalLine()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Audit checkpoint: event %d, head %s, signed by key %s at %s\n```\n%s```",
		cp.Seq, cp.Head, cp.KeyID, cp.Time.UTC().Format(time.RFC3339), line), nil
}

// Checkpoint appends a signed checkpoint of the current head and returns
// it, or nil when the head has not moved since the last one. The line
// is written with O_APPEND and fsynced before it counts.
func (c *Checkpointer) Checkpoint(ctx context.Context) (*offboard.Checkpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		if err := c.load(); err != nil {
			return nil, err
		}
	}
	seq, head, err := c.o.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("anchor: read the chain head: %w", err)
	}
	switch {
	case seq == 0 || (seq == c.lastSeq && head == c.lastTag):
		return nil, nil
	case seq <= c.lastSeq:
		// Signing this would make the file contradict itself; the
		// mismatch is the evidence, so it is reported, not papered over.
		return nil, fmt.Errorf("anchor: the chain (event %d) is not past the last checkpoint (event %d): the store was truncated or restored from an older copy; start a new checkpoint file after a restore and keep the old one", seq, c.lastSeq)
	}
	cp := offboard.SignCheckpoint(offboard.Checkpoint{Seq: seq, Head: head, Time: c.o.Clock.Now(), Prev: c.prev}, c.o.Key)
	line, err := cp.MarshalLine()
	if err != nil {
		return nil, err
	}
	if c.torn {
		line = append([]byte{'\n'}, line...)
	}
	if err := appendSync(c.o.File, line); err != nil {
		return nil, err
	}
	c.torn = false
	c.lastSeq, c.lastTag, c.prev = cp.Seq, cp.Head, cp.Digest()
	return &cp, nil
}

// appendSync appends line to the file and fsyncs it.
func appendSync(name string, line []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("anchor: open checkpoint file: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("anchor: write checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("anchor: sync checkpoint file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("anchor: close checkpoint file: %w", err)
	}
	return nil
}

// tailSize is how much of the file's end load reads: far more than one
// line.
const tailSize = 64 << 10

// load reads the last checkpoint of the file, so a restart neither
// repeats a checkpoint nor breaks the Prev links.
func (c *Checkpointer) load() error {
	f, err := os.Open(c.o.File)
	if errors.Is(err, os.ErrNotExist) {
		c.loaded = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("anchor: open checkpoint file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("anchor: checkpoint file: %w", err)
	}
	off := max(fi.Size()-tailSize, 0)
	tail := make([]byte, fi.Size()-off)
	if _, err := f.ReadAt(tail, off); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("anchor: read checkpoint file: %w", err)
	}
	if len(tail) == 0 {
		c.loaded = true
		return nil
	}
	if tail[len(tail)-1] != '\n' {
		c.torn = true
		c.o.Logger.Error("the checkpoint file's last line is cut off (a write was interrupted); audit verify --checkpoints will report it", "file", c.o.File)
	}
	lines := bytes.Split(bytes.TrimRight(tail, "\n"), []byte("\n"))
	last := lines[len(lines)-1]
	var cp offboard.Checkpoint
	if c.torn || json.Unmarshal(last, &cp) != nil || cp.Seq == 0 {
		// Nothing to link to: the next line starts without Prev and
		// verify reports the break, which is the truth.
		c.o.Logger.Error("the checkpoint file's last line is not a checkpoint; the next checkpoint cannot link to it", "file", c.o.File)
		c.loaded = true
		return nil
	}
	if cp.KeyID != c.KeyID() {
		c.o.Logger.Warn("the checkpoint file was signed with another key; verify needs each key for its lines (start a new file when the key changes)",
			"file", c.o.File, "file_key_id", cp.KeyID, "key_id", c.KeyID())
	}
	c.lastSeq, c.lastTag, c.prev = cp.Seq, cp.Head, cp.Digest()
	c.loaded = true
	return nil
}
