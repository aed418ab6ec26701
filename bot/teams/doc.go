// Package teams is offboard on Microsoft Teams, over msbotbuilder-go: the
// http.Handler for POST /api/messages, the Adaptive Card renderer, and the
// offboard.Notifier that keeps one thread per case in the Offboarding
// channel.
//
// msbotbuilder-go v0.2.5 parses activities and sends turn replies; where
// it falls short this package replaces its parts through the adapter's
// exported fields instead of forking it: inbound JWTs are checked by our
// Validator (RS256, issuer, audience, skew, serviceurl, endorsements,
// tenant, cached keys refreshed on an unknown kid), and outbound calls go
// through our connector client (single-tenant token endpoint, contexts,
// timeouts, 429 as *offboard.RateLimitError). Conversations and members
// are created and read with the Bot Connector REST API directly.
//
// It may import the root package, bot and
// msbotbuilder-go; nothing else imports msbotbuilder-go.
package teams
