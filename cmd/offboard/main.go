// Command offboard runs the offboarding bot and its admin tools.
//
//	offboard serve --config offboard.yaml
//	offboard audit verify --config offboard.yaml
//
// Subcommands: serve, cases, audit, restore, config, health, doctor,
// teams-package, version
// (offboard help lists them). main.go dispatches them; wire.go (with
// pages.go for the console, dashboard and assistant, and demo.go for the
// demo's fake Okta) is the only place where the concrete packages (store,
// flows, runner, connectors, bot, web) meet, and the only importer of flows.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/offboard-dev/offboard"
)

// exitUsage is the exit code for a command line that makes no sense.
const exitUsage = 2

// errUsage marks an error whose fix is a different command line.
var errUsage = errors.New("usage")

const usage = `offboard — chat-first IT offboarding: revoke access fast, completely, provably.

Usage:
  offboard <command> [flags]

Commands:
  serve          run the bot: HTTP API, workers, scheduler (and chat platforms when configured)
  cases list     list cases (open by default)
  cases show ID  show one case with its tasks and approvals
  cases import F open a case for every row of a CSV (a mass layoff) through a running offboard
  audit export   write the audit trail as JSON lines or CSV
  audit verify   recompute the audit hash chain and report the first broken event
                 (--checkpoints FILE: also against the signed checkpoints)
  audit keygen   write a key that signs audit checkpoints; print its public key
  evidence       write the evidence pack (zip) of the leavers in a period, for auditors
  restore        replace the store with a checked backup (serve must be stopped)
  migrate        copy the store file into etcd and verify it (--from bbolt:PATH --to etcd:ENDPOINTS)
  erase          erase the personal data of closed cases past retention.personal_data
                 (--case ID --reason R, or --due; --dry-run lists what is due)
  config check   load and validate a config file, naming every problem
  doctor         check every configured integration live (read-only), with the fix for each failure
  health         probe a running offboard's /healthz (for container health checks)
  teams-package  write the Teams app package (--app-id GUID --out app.zip)
  version        print the version

Every command takes --config FILE (default: $OFFBOARD_CONFIG, else offboard.yaml).
Run "offboard <command> --help" for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdout, stderr)
	case "cases":
		err = sub(ctx, "cases", rest, stdout, stderr, map[string]command{"list": cmdCasesList, "show": cmdCasesShow, "import": cmdCasesImport})
	case "audit":
		err = sub(ctx, "audit", rest, stdout, stderr, map[string]command{"export": cmdAuditExport, "verify": cmdAuditVerify, "keygen": cmdAuditKeygen})
	case "evidence":
		err = cmdEvidence(ctx, rest, stdout, stderr)
	case "restore":
		err = cmdRestore(ctx, rest, stdout, stderr)
	case "erase":
		err = cmdErase(ctx, rest, stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout, stderr)
	case "config":
		err = sub(ctx, "config", rest, stdout, stderr, map[string]command{"check": cmdConfigCheck})
	case "health":
		err = cmdHealth(ctx, rest, stdout, stderr)
	case "doctor":
		err = cmdDoctor(ctx, rest, stdout, stderr)
	case "teams-package":
		err = cmdTeamsPackage(ctx, rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "offboard %s\n", offboard.Version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "offboard: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "offboard: %s\n", strings.TrimPrefix(err.Error(), "usage: "))
		return exitUsage
	default:
		var ec exitCoder
		if errors.As(err, &ec) {
			if msg := err.Error(); msg != "" {
				fmt.Fprintf(stderr, "offboard: %s\n", msg)
			}
			return ec.ExitCode()
		}
		fmt.Fprintf(stderr, "offboard: %s\n", err)
		return 1
	}
}

type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

func sub(ctx context.Context, group string, args []string, stdout, stderr io.Writer, cmds map[string]command) error {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(stdout, "Usage: offboard %s <%s> [flags]\n", group, strings.Join(sorted(names), "|"))
		if len(args) == 0 {
			return fmt.Errorf("%w: offboard %s needs a subcommand: %s", errUsage, group, strings.Join(sorted(names), ", "))
		}
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		return fmt.Errorf("%w: unknown command \"%s %s\"; try %s", errUsage, group, args[0], strings.Join(sorted(names), ", "))
	}
	return c(ctx, args[1:], stdout, stderr)
}

// exitCoder is an error that picks the exit code.
type exitCoder interface{ ExitCode() int }

type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
func (e exitError) ExitCode() int { return e.code }

// newFlags returns a FlagSet with --config and a usage text.
func newFlags(name, synopsis string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("OFFBOARD_CONFIG")
	if def == "" {
		def = "offboard.yaml"
	}
	cfg := fs.String("config", def, "config file (YAML)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: offboard %s\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs, cfg
}

// parseFlags parses flags anywhere on the line ("cases show OFF-0042
// --json" works as well as "cases show --json OFF-0042") and rejects
// positional arguments beyond maxArgs.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > maxArgs {
		return fmt.Errorf("%w: unexpected argument %q; see --help", errUsage, positional[maxArgs])
	}
	// Leave the positional arguments where fs.Arg finds them.
	return fs.Parse(append([]string{"--"}, positional...))
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
