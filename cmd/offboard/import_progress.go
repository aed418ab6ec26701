package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows how far a long import is: a bar redrawn in place with
// the rate and the time left on a terminal, or a plain line every tenth
// of the way where the output is a file or a pipe (logs, CI).
type progress struct {
	w     io.Writer
	tty   bool
	total int
	now   func() time.Time
	began time.Time
	done  int
	drawn time.Time // when the bar was last drawn
	step  int       // the last tenth reported as a plain line
}

func newProgress(w io.Writer, tty bool, total int, now func() time.Time) *progress {
	return &progress{w: w, tty: tty, total: total, now: now, began: now()}
}

// isTerminal reports whether w is a terminal (not a file or a pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// add counts one answered row.
func (p *progress) add() {
	p.done++
	now := p.now()
	if p.tty {
		// Redrawing more often than the eye reads only costs time.
		if p.done == p.total || now.Sub(p.drawn) >= 100*time.Millisecond {
			p.drawn = now
			fmt.Fprintf(p.w, "\r%s", p.line(now))
		}
		return
	}
	if tenth := p.done * 10 / max(p.total, 1); tenth > p.step && p.total >= 20 {
		p.step = tenth
		fmt.Fprintln(p.w, p.line(now))
	}
}

// finish ends the bar's line so what follows starts on its own.
func (p *progress) finish() {
	if p.tty && p.done > 0 {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) line(now time.Time) string {
	elapsed := now.Sub(p.began)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := p.done * 100 / max(p.total, 1)
	if !p.tty {
		return fmt.Sprintf("%d/%d rows sent (%d%%), %.0f rows/s, about %s left", p.done, p.total, pct, rate, eta)
	}
	const width = 30
	full := p.done * width / max(p.total, 1)
	return fmt.Sprintf("[%s%s] %d/%d %3d%%  %.0f rows/s  ETA %s ",
		strings.Repeat("#", full), strings.Repeat("-", width-full), p.done, p.total, pct, rate, eta)
}
