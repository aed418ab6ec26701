package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/offboard-dev/offboard"
)

// cliActor is the operator at the console of the machine; holding the
// store file already gives them everything, so they act as offboard.
func cliActor() offboard.Actor { return offboard.System("cli") }

func cmdCasesList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("cases list", "List cases, newest first.", stderr)
	status := fs.String("status", "open", "open, completed or cancelled")
	email := fs.String("email", "", "only the cases of this employee email")
	limitFlag := fs.String("limit", "50", "at most this many cases; 0 or all for every one")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	st, err := offboard.ParseCaseStatus(*status)
	if err != nil {
		return fmt.Errorf("%w: --status: %s", errUsage, offboard.ErrorMessage(err))
	}
	limit := math.MaxInt
	if l := strings.TrimSpace(*limitFlag); l != "all" && l != "0" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: --limit %q: want a number, 0 or all", errUsage, *limitFlag)
		}
		limit = n
	}
	a, closeApp, err := openForCLI(*cfgPath)
	if err != nil {
		return err
	}
	defer closeApp()
	var views []*offboard.CaseView
	total := 0
	if *email != "" {
		views, err = a.engine.FindCases(ctx, cliActor(), *email)
		total = len(views)
		views = views[:min(len(views), limit)]
	} else {
		views, err = a.engine.ListCases(ctx, cliActor(), st, limit)
		if err == nil {
			err = a.db.View(ctx, func(tx offboard.Tx) error {
				ids, err := tx.CaseIDsByStatus(st)
				total = len(ids)
				return err
			})
		}
	}
	if err != nil {
		return err
	}
	// A list cut short says so: the cases past the limit exist.
	shown := ""
	if len(views) < total {
		shown = fmt.Sprintf("%d of %d shown; --limit all shows every one", len(views), total)
	}
	if *asJSON {
		if shown != "" {
			fmt.Fprintln(stderr, shown)
		}
		return writeJSON(stdout, views)
	}
	if len(views) == 0 {
		fmt.Fprintf(stdout, "no %s cases\n", st)
		return nil
	}
	defer func() {
		if shown != "" {
			fmt.Fprintln(stdout, shown)
		}
	}()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tEMPLOYEE\tKIND\tLAST DAY\tSTATUS\tPROGRESS\tREVOKED")
	for _, v := range views {
		done, total := v.Progress()
		revoked := "no"
		if d, ok := v.Case.TimeToRevocation(); ok {
			revoked = offboard.Humanize(d)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", v.Case.ID, v.Case.Employee.DisplayName(), v.Case.Kind,
			v.Case.LastDay, v.Case.Status, done, total, revoked)
	}
	return tw.Flush()
}

func cmdCasesShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("cases show [flags] OFF-0042", "Show one case with its tasks and approvals.", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: say which case: offboard cases show OFF-0042", errUsage)
	}
	id, ok := offboard.ParseCaseID(fs.Arg(0))
	if !ok {
		return fmt.Errorf("%w: %q is not a case id like OFF-0042", errUsage, fs.Arg(0))
	}
	a, closeApp, err := openForCLI(*cfgPath)
	if err != nil {
		return err
	}
	defer closeApp()
	v, err := a.engine.GetCase(ctx, cliActor(), id)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, v)
	}
	c := v.Case
	done, total := v.Progress()
	if c.Employee.Email == "" { // erased, or never known
		fmt.Fprintf(stdout, "%s  %s\n", c.ID, c.Employee.DisplayName())
	} else {
		fmt.Fprintf(stdout, "%s  %s <%s>\n", c.ID, c.Employee.DisplayName(), c.Employee.Email)
	}
	fmt.Fprintf(stdout, "  kind %s%s, last day %s (%s), status %s, %d/%d tasks settled\n", c.Kind,
		map[bool]string{true: " (confidential)", false: ""}[c.Confidential], c.LastDay, c.TimeZone, c.Status, done, total)
	fmt.Fprintf(stdout, "  notice %s, access goes %s", c.NoticeAt.Format(time.RFC3339), c.RevokeAt.Format(time.RFC3339))
	if d, ok := c.TimeToRevocation(); ok {
		fmt.Fprintf(stdout, ", revoked %s after the notice", offboard.Humanize(d))
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTASK\tDEPT\tSTATUS\tACTION\tNOTE")
	for _, t := range v.Tasks {
		note := t.LastError
		if t.SkipReason != "" {
			note = "skipped: " + t.SkipReason
		}
		if t.RunAt != nil && t.Status == offboard.TaskScheduled {
			note = "runs " + t.RunAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Key, t.Department, t.Status, t.Action, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, ap := range v.Approvals {
		fmt.Fprintf(stdout, "approval %s (%s): %s — asked %s, %s\n", ap.ID, ap.TaskKey, ap.Question, orDash(ap.Deciders()), ap.Status)
	}
	return nil
}

// openForCLI opens the store read-only and an engine for read commands.
func openForCLI(cfgPath string) (*app, func(), error) {
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	log := discardLogger()
	db, closeStore, err := openBackend(context.Background(), cfg, log, true)
	if err != nil {
		return nil, nil, err
	}
	a, err := wire(cfg, log, db, wireOptions{})
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	return a, closeStore, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
