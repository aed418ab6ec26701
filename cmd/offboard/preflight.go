package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/config"
	"github.com/offboard-dev/offboard/connectors"
	googleconn "github.com/offboard-dev/offboard/connectors/google"
	jamfconn "github.com/offboard-dev/offboard/connectors/jamf"
	msconn "github.com/offboard-dev/offboard/connectors/microsoft"
	oktaconn "github.com/offboard-dev/offboard/connectors/okta"
	"github.com/offboard-dev/offboard/flows"
	"github.com/offboard-dev/offboard/flows/runner"
)

// loadForServe loads the config with every check serve makes before it
// accepts work. serve and config check both load through it, so a file
// config check passes is one serve starts with, and the problems of a
// file are all reported at once, each with its key path and line.
func loadForServe(path string) (*config.Config, error) {
	return config.LoadChecked(path, servePreflight)
}

// servePreflight is what serve checks beyond the config package, without
// the network: cron specs, each configured connector's settings as its
// client reads them, and the playbooks against the connectors of this
// build and the departments. Every problem is returned, not the first.
func servePreflight(cfg *config.Config) []config.Problem {
	var problems []config.Problem
	// A client's refusal may quote what it was given: no secret of cfg
	// leaves in it (the config is not loaded yet, so serve's own
	// redaction of its error does not apply).
	redactor := redactorFor(cfg)
	add := func(path string, err error) {
		msg := strings.TrimPrefix(err.Error(), path+": ") // "okta: okta: …" says it twice
		problems = append(problems, config.Problem{Path: path, Message: redactor.String(msg)})
	}
	if spec := cfg.Escalation.Check; strings.TrimSpace(spec) != "" {
		if err := runner.CheckSpec(spec); err != nil {
			add("escalation.check", err)
		}
	}
	if spec := cfg.Digest.Cron; cfg.Digest.Enabled && strings.TrimSpace(spec) != "" {
		if err := runner.CheckSpec(spec); err != nil {
			add("digest.cron", err)
		}
	}
	// A connector whose settings its client refuses is only declared, so
	// the playbooks are still checked as if it were on.
	var broken []offboard.Connector
	refuse := func(path string, err error, decls ...offboard.Connector) {
		add(path, err)
		broken = append(broken, decls...)
	}
	if cfg.OktaEnabled() {
		if _, err := oktaconn.New(context.Background(), oktaconn.Options{Config: cfg.Okta, Licenses: cfg.Licenses}); err != nil {
			refuse("okta", err, oktaconn.Declaration())
		}
	}
	if cfg.EntraEnabled() || cfg.IntuneEnabled() {
		if _, err := newGraphClient(cfg, nil); err != nil {
			var decls []offboard.Connector
			if cfg.EntraEnabled() {
				decls = append(decls, msconn.Declaration())
			}
			if cfg.IntuneEnabled() {
				decls = append(decls, msconn.IntuneDeclaration())
			}
			refuse("entra", err, decls...)
		}
	}
	if cfg.JamfEnabled() {
		if _, err := newJamf(cfg, nil); err != nil {
			refuse("jamf", err, jamfconn.Declaration())
		}
	}
	if cfg.GoogleEnabled() {
		if _, err := newGoogle(cfg, nil); err != nil {
			refuse("google", err, googleconn.Declaration())
		}
	}
	if _, err := newBambooHRAPI(cfg, offboard.WallClock(), "", nil); err != nil {
		add("hris.bamboohr", err)
	}
	reg, err := newActions(cfg, func(reg *connectors.Registry) error {
		for _, d := range broken {
			if err := reg.DeclareConnector(d, "its configuration was refused"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Every connector that could fail was checked above.
		add("", fmt.Errorf("connectors: %w", err))
		return problems
	}
	for _, p := range playbookProblems(cfg, reg) {
		p.Message = redactor.String(p.Message)
		problems = append(problems, p)
	}
	return problems
}

// playbookProblems resolves the playbooks as the engine does and, when
// that fails, each configured playbook with those it extends on its own,
// so that every bad playbook is named with its line, once.
func playbookProblems(cfg *config.Config, reg *connectors.Registry) []config.Problem {
	resolve := func(pbs []offboard.Playbook) error {
		_, err := flows.ResolvePlaybooks(pbs, reg.Connectors(), reg.Known, cfg.DepartmentSet())
		return err
	}
	err := resolve(cfg.Playbooks)
	if err == nil {
		return nil
	}
	if own := resolve(nil); own != nil {
		// The built-in playbook itself does not fit this configuration.
		return []config.Problem{{Path: "playbooks", Message: "the built-in playbook: " + own.Error()}}
	}
	byName := map[string]offboard.Playbook{}
	for _, p := range cfg.Playbooks {
		if _, dup := byName[p.Name]; !dup {
			byName[p.Name] = p
		}
	}
	var problems []config.Problem
	var seen []string
	for i, p := range cfg.Playbooks {
		chain := []offboard.Playbook{p}
		for ext := p.Extends; ext != "" && len(chain) <= len(cfg.Playbooks); {
			base, ok := byName[ext]
			if !ok || base.Name == p.Name {
				break
			}
			chain = append(chain, base)
			ext = base.Extends
		}
		err := resolve(chain)
		if err == nil || slices.Contains(seen, err.Error()) {
			continue
		}
		seen = append(seen, err.Error())
		problems = append(problems, config.Problem{Path: fmt.Sprintf("playbooks[%d]", i), Message: err.Error()})
	}
	if len(problems) == 0 {
		problems = append(problems, config.Problem{Path: "playbooks", Message: err.Error()})
	}
	return problems
}
