// Package theme is the look the console and the dashboard share: colour
// tokens, the top bar, cards, badges and buttons. Each surface serves
// this stylesheet followed by its own, so the two cannot drift apart.
package theme

import _ "embed"

//go:embed theme.css
var css []byte

// CSS returns the shared stylesheet.
func CSS() []byte { return css }

// With returns the shared stylesheet followed by a surface's own.
func With(own []byte) []byte {
	out := make([]byte, 0, len(css)+1+len(own))
	out = append(out, css...)
	out = append(out, '\n')
	return append(out, own...)
}
