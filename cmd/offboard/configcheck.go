package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/offboard-dev/offboard"
	googleconn "github.com/offboard-dev/offboard/connectors/google"
)

func cmdConfigCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfgPath := newFlags("config check", "Load and validate a config file and its playbooks. Every problem is\n"+
		"reported with its key path and line. Exit 0 when valid, 1 when not.", stderr)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	// The very checks serve makes before it accepts work.
	cfg, err := loadForServe(*cfgPath)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	reg, err := newActions(cfg, nil)
	if err != nil {
		return exitError{code: 1, msg: err.Error()}
	}
	pbs, err := resolvePlaybooks(cfg, reg)
	if err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("%s: playbooks: %v", *cfgPath, err)}
	}
	where := cfg.Store.Path
	if cfg.EtcdBackend() {
		// The one check that needs the network: a cluster serve could not
		// reach is named now, within the dial timeout.
		cli, found, err := dialEtcd(ctx, cfg.Store.Etcd)
		if err != nil {
			return exitError{code: 1, msg: fmt.Sprintf("%s: %v", *cfgPath, redactorFor(cfg).String(err.Error()))}
		}
		_ = cli.Close()
		state := "empty: serve starts a store there"
		if found {
			state = "holds a store"
		}
		where = fmt.Sprintf("etcd %s, prefix %s (reachable, %s)", strings.Join(cfg.Store.Etcd.Endpoints, ","), cfg.Store.Etcd.Prefix, state)
	}
	fmt.Fprintf(stdout, "%s: OK\n", *cfgPath)
	fmt.Fprintf(stdout, "  store %s, http %s, time zone %s\n", where, cfg.HTTP.Listen, cfg.Location())
	fmt.Fprintf(stdout, "  playbooks: %s\n", pbs)
	on := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	demo := on(cfg.Demo)
	if cfg.MicrosoftDemo() {
		demo = "on (microsoft: a fake Graph for entra and intune)"
	}
	if cfg.GoogleDemo() {
		demo = "on (google: fake Google Workspace APIs)"
	}
	fmt.Fprintf(stdout, "  slack %s, teams %s, okta %s, entra %s, google %s, assistant %s, console %s, demo %s, api tokens %d\n",
		on(cfg.SlackEnabled()), on(cfg.TeamsEnabled()), on(cfg.OktaEnabled()), on(cfg.EntraEnabled()), on(cfg.GoogleEnabled()),
		on(cfg.AssistantEnabled()), on(cfg.Console.Enabled), demo, len(cfg.API.Tokens))
	if cfg.Audit.Anchored() {
		// Validation parsed the key; this names it for the auditors.
		if key, err := offboard.ParseSigningKey(cfg.Audit.SigningKey.Reveal()); err == nil {
			fmt.Fprintf(stdout, "  audit anchoring on: key id %s, checkpoints to %s every %s\n",
				offboard.CheckpointKeyID(key.Public().(ed25519.PublicKey)), cfg.Audit.CheckpointFile, cfg.Audit.CheckpointEvery.D())
		}
	} else {
		fmt.Fprintln(stdout, "  audit anchoring off (audit.signing_key_file, audit.checkpoint_file)")
	}
	if cfg.GoogleEnabled() {
		fmt.Fprintf(stdout, "  google: acts as %s (customer %s); grant the service account's client id these scopes under domain-wide delegation: %s\n",
			cfg.Google.AdminEmail, cfg.Google.Customer, strings.Join(googleconn.Scopes(), ","))
	}
	return nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
