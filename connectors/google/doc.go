// Package google connects offboard to Google Workspace: the account
// (suspend, sign out, backup codes and app passwords, OAuth tokens,
// licenses, deletion, restore), the data handover (Drive and Calendar
// through the Data Transfer API, mail through Gmail delegation), and
// Legal's hold (Google Vault).
//
// It uses the generated clients of google.golang.org/api with a service
// account and domain-wide delegation: every call acts as a user, the
// configured administrator for the Admin SDK, Data Transfer, Licensing
// and Vault, and the mailbox owner for Gmail settings, as Google
// requires. Each call asks for its API's scope alone, so the README's
// scope list is the least the service account needs, and a scope missing
// from the delegation is named in the error.
//
// It imports the root package, its own config values and Google's
// libraries; never flows, bot, store or another connector. Its fake,
// googlefake, is an ordinary package (the demo runs it); googletest
// starts it for tests.
package google
