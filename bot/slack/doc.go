// Package slack is offboard's Slack platform: it renders the neutral chat
// model (offboard.Reply, Card, Form) as Block Kit and modals, and reads
// modal submissions back. It is the only package that imports slack-go
// (besides its test fake, slacktest); it imports the root domain package
// and no other offboard package with side effects.
package slack
