// Package slack is offboard's Slack platform, over slack-go in socket
// mode: it hands slash commands, clicks, modal submissions and mentions
// to bot.Router, renders the neutral chat model (offboard.Reply, Card,
// Form) as Block Kit and modals, reads modal submissions back, and is the
// offboard.Notifier that keeps a private channel per case. It is the only
// package that imports slack-go (besides its test fake, slacktest); of
// offboard it imports only the root domain package and bot.
package slack
