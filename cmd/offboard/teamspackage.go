package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	teamsapp "github.com/offboard-dev/offboard/teams-app"
)

// cmdTeamsPackage writes the Teams app package (manifest with the
// organisation's ids, and the icons) for "Upload a custom app". It needs
// no config and no running offboard.
func cmdTeamsPackage(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlags("teams-package --app-id ID [--bot-id ID] --out app.zip",
		"Write the Teams app package: teams-app/manifest.json with your ids, and its icons, zipped.\n"+
			"Upload it in Teams (Apps › Manage your apps › Upload an app) or the Teams admin center.", stderr)
	appID := fs.String("app-id", "", "the Teams app's id (a GUID; usually the bot's Microsoft App ID, teams.app_id)")
	botID := fs.String("bot-id", "", "the Azure bot's Microsoft App ID (default: --app-id)")
	out := fs.String("out", "", "the zip file to write")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out FILE is required", errUsage)
	}
	ids := teamsapp.IDs{App: *appID, Bot: *botID}
	if err := teamsapp.CheckGUID("--app-id", ids.App); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if ids.Bot != "" {
		if err := teamsapp.CheckGUID("--bot-id", ids.Bot); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	// Written beside the target and renamed, so a failed run never
	// leaves half a zip under the name given.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".teams-package-*.zip")
	if err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := teamsapp.Build(tmp, ids); err != nil {
		tmp.Close()
		return fmt.Errorf("teams package: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil { // ids only, nothing secret
		tmp.Close()
		return fmt.Errorf("teams package: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("teams package: %w", err)
	}
	bot := ids.Bot
	if bot == "" {
		bot = ids.App
	}
	fmt.Fprintf(stdout, "wrote %s (app id %s, bot id %s): upload it in Teams › Apps › Manage your apps › Upload an app\n", *out, ids.App, bot)
	return nil
}
