// Package console is offboard's built-in web chat: a chat client in the
// browser that shows one room per case, its cards and approval thread,
// and a composer that takes /offboard commands and plain questions.
//
// It is a chat platform like bot/slack: input goes through bot.Router
// (so the engine authorizes every click exactly as it does a Slack
// button), and it implements offboard.Notifier to hear what happened and
// push it to open browsers as server-sent events. Rooms are drawn from
// the stored case on every request, so a restart loses no room; only the
// notice lines of the room's feed live in memory.
//
// Who acts is the signed-in person (Options.Identify, from web/signin)
// outside demo mode; in demo mode the browser picks whom it acts as.
// Private answers and open forms belong to that person, never to the
// browser session.
//
// Pages are html/template with embedded CSS and a small script; without
// the script everything but live updates still works (plain form posts
// and redirects).
//
// It may import the root package, bot and internal/sameorigin; nothing
// else of offboard.
package console
