package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/flows"
)

const importHelp = `Open a case for every row of a CSV file (a mass layoff) through the REST API
of a running offboard. The first row names the columns:
  ` + "email, name, manager_email, kind, last_day, time_zone, effective_at, notes, title, department" + `
email is required; kind defaults to --kind; last_day is YYYY-MM-DD (needed unless involuntary).
Other columns are ignored, with a notice. Excel's "CSV UTF-8" files are read as they are.

Every row is checked before anything is sent; a file with a problem sends nothing and names each
problem with its line. Re-running the same file opens nothing twice. The server address and an API
token (role hr or admin) come from --config (http.listen, api.tokens) unless --url, --token-file or
OFFBOARD_API_TOKEN say otherwise. Which row became which case is printed, and with --out written.

Example:
  offboard cases import layoff.csv --config offboard.yaml --dry-run
  offboard cases import layoff.csv --config offboard.yaml --out layoff-cases.csv`

func cmdCasesImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset, cfgPath := newFlags("cases import [flags] layoff.csv", importHelp, stderr)
	url := fset.String("url", "", "base URL of the running offboard (default: from --config's http.listen, else http://127.0.0.1:8080)")
	tokenFile := fset.String("token-file", "", "file holding an API token with the hr role (or set OFFBOARD_API_TOKEN; default: from --config's api.tokens)")
	tokenName := fset.String("token-name", "", "which of --config's api.tokens to use (default: the first with role hr, else admin)")
	kindFlag := fset.String("kind", "involuntary", "departure kind for rows that do not say")
	parallel := fset.Int("parallel", 16, "requests in flight")
	outPath := fset.String("out", "", "also write which row became which case to this CSV file")
	dryRun := fset.Bool("dry-run", false, "check the file and show what would be sent; send nothing")
	confirmUnknown := fset.Bool("confirm-unknown", false, "open cases for emails no directory (Okta, BambooHR) knows; without it such rows\n"+
		"fail with the nearest known email, so a typo opens nothing")
	if err := parseFlags(fset, args, 1); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		return fmt.Errorf("%w: say which file: offboard cases import layoff.csv", errUsage)
	}
	kind, err := offboard.ParseDepartureKind(*kindFlag)
	if err != nil {
		return fmt.Errorf("%w: --kind: %v", errUsage, err)
	}
	set := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg, err := importConfig(*cfgPath, set["config"] || os.Getenv("OFFBOARD_CONFIG") != "", stderr)
	if err != nil {
		return err
	}
	rules := importRules{defaultKind: kind, now: time.Now(), maxFuture: flows.DefaultMaxFuture}
	if cfg != nil {
		rules.zone = cfg.Location()
		if d := cfg.Cases.MaxFuture.D(); d > 0 {
			rules.maxFuture = d
		}
	}
	file, err := readImport(fset.Arg(0), rules)
	if err != nil {
		return err
	}
	if len(file.ignored) > 0 {
		fmt.Fprintf(stderr, "notice: ignoring columns offboard does not use: %s\n", strings.Join(file.ignored, ", "))
	}
	if *dryRun {
		printDryRun(stdout, file.rows)
		fmt.Fprintf(stdout, "dry run: %d rows are valid; nothing was sent\n", len(file.rows))
		return nil
	}
	base, token, err := importTarget(cfg, *url, *tokenFile, *tokenName)
	if err != nil {
		return err
	}
	// One file is one batch: chat announces it once per department.
	batch := fmt.Sprintf("import:%s", time.Now().UTC().Format("20060102T150405.000Z"))
	for _, row := range file.rows {
		row.body["batch"] = batch
		if *confirmUnknown {
			row.body["confirm_unknown"] = true
		}
	}
	fmt.Fprintf(stderr, "importing %d people from %s to %s\n", len(file.rows), fset.Arg(0), base)
	// The bar goes where the person looks; plain lines go with the notices.
	bar := newProgress(stderr, false, len(file.rows), time.Now)
	if isTerminal(stdout) {
		bar = newProgress(stdout, true, len(file.rows), time.Now)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	results := sendImport(ctx, client, base, token, file.rows, *parallel, func(importResult) { bar.add() })
	bar.finish()
	return reportImport(results, *outPath, stdout, stderr)
}

// importConfig loads the config when it was named, or when the default
// file is there; a default file that is absent is no error.
func importConfig(path string, named bool, stderr io.Writer) (*config.Config, error) {
	cfg, err := loadConfig(path)
	switch {
	case err == nil:
		return cfg, nil
	case !named && errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case !named:
		fmt.Fprintf(stderr, "notice: %s not used: %v\n", path, err)
		return nil, nil
	}
	return nil, err
}

// importTarget is the server's address and the API token: flags and the
// environment first, then the config.
func importTarget(cfg *config.Config, url, tokenFile, tokenName string) (base, token string, err error) {
	base = url
	if base == "" && cfg != nil {
		if base, err = listenURL(cfg.HTTP.Listen); err != nil {
			return "", "", err
		}
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	token = os.Getenv("OFFBOARD_API_TOKEN")
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return "", "", err
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" && cfg != nil {
		if token, err = configToken(cfg, tokenName); err != nil {
			return "", "", err
		}
	}
	if token == "" {
		return "", "", fmt.Errorf("%w: an API token is needed: --config with api.tokens, --token-file or OFFBOARD_API_TOKEN", errUsage)
	}
	return base, token, nil
}

// listenURL is where this machine reaches a server listening on listen:
// a wildcard address is reached on loopback.
func listenURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("http.listen %q: %w", listen, err)
	}
	if port == "0" {
		return "", fmt.Errorf("http.listen %q has no fixed port: give --url", listen)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// configToken picks the API token to open cases with: the one named, else
// the first with role hr, else the first admin.
func configToken(cfg *config.Config, name string) (string, error) {
	var admin string
	for _, t := range cfg.API.Tokens {
		switch {
		case name != "" && t.Name == name:
			return t.Token.Reveal(), nil
		case name != "":
		case t.Role == offboard.RoleHR:
			return t.Token.Reveal(), nil
		case t.Role == offboard.RoleAdmin && admin == "":
			admin = t.Token.Reveal()
		}
	}
	if name != "" {
		return "", fmt.Errorf("%w: --token-name %q: no such entry in api.tokens", errUsage, name)
	}
	if admin == "" {
		return "", fmt.Errorf("%w: the config's api.tokens has no token with role hr or admin: add one (README → REST API), or give --token-file", errUsage)
	}
	return admin, nil
}

func printDryRun(w io.Writer, rows []importRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "line\temail\tkind\tlast day\twould send")
	for _, r := range rows {
		day, _ := r.body["last_day"].(string)
		if day == "" {
			day = "today (immediate)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\tPOST /api/v1/cases\n", r.line, r.email, r.kind, day)
	}
	tw.Flush()
}

// reportImport prints which row became which case, the failures with
// their lines, and the totals; it writes the map to out when set.
func reportImport(results []importResult, out string, stdout, stderr io.Writer) error {
	counts := map[importOutcome]int{}
	unknown := 0
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "line\temail\tcase\tresult")
	for _, r := range results {
		counts[r.outcome]++
		id := r.caseID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.row.line, r.row.email, id, r.outcome)
		if r.unknown {
			unknown++
		}
	}
	tw.Flush()
	for _, r := range results {
		if r.outcome == importFailed {
			fmt.Fprintf(stderr, "line %d (%s): %s\n", r.row.line, r.row.email, r.message)
		}
	}
	if unknown > 0 {
		fmt.Fprintf(stderr, "%d rows name people no directory knows: fix the emails, or run again with --confirm-unknown if they are right\n", unknown)
	}
	var writeErr error
	if out != "" {
		if writeErr = writeImportMap(out, results); writeErr == nil {
			fmt.Fprintf(stderr, "wrote which row became which case to %s\n", out)
		}
	}
	fmt.Fprintf(stdout, "%d opened, %d already open, %d failed\n", counts[importOpened], counts[importAlreadyOpen], counts[importFailed])
	switch {
	case writeErr != nil:
		return fmt.Errorf("--out: %w (the import itself is done: the table above is its result)", writeErr)
	case counts[importFailed] > 0:
		return exitError{code: 1, msg: fmt.Sprintf("%d rows failed", counts[importFailed])}
	}
	return nil
}

// writeImportMap writes line, email, case id, result and message, one
// row of the import a line.
func writeImportMap(path string, results []importResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"line", "email", "case_id", "result", "message"})
	for _, r := range results {
		_ = w.Write([]string{strconv.Itoa(r.row.line), r.row.email, r.caseID, string(r.outcome), r.message})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
