package slack

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/offboard-dev/offboard"
)

// maxChannelName is Slack's limit on channel names.
const maxChannelName = 80

// ChannelName builds a case channel's name from the template
// ({first}, {last}, {case_id}), sanitized to Slack's rules: lowercase
// letters, digits, "-" and "_", at most 80 characters. A confidential case
// gets a neutral name that says nothing about who leaves.
func ChannelName(template string, c *offboard.Case) string {
	if c.Confidential {
		return "ofb-" + shortID(c.ID)
	}
	first, last := splitName(c.Employee)
	name := strings.NewReplacer("{first}", first, "{last}", last, "{case_id}", string(c.ID)).Replace(template)
	name = sanitizeChannelName(name)
	if name == "" {
		return "offboard-" + shortID(c.ID)
	}
	return name
}

// WithSuffix returns name with "-n" for the n-th collision, kept within
// Slack's length limit.
func WithSuffix(name string, n int) string {
	suffix := fmt.Sprintf("-%d", n)
	if len(name)+len(suffix) > maxChannelName {
		name = strings.TrimRight(name[:maxChannelName-len(suffix)], "-_")
	}
	return name + suffix
}

func shortID(id offboard.CaseID) string {
	return strings.ToLower(id.Short())
}

func splitName(e offboard.Employee) (first, last string) {
	fields := strings.Fields(e.Name)
	if len(fields) == 0 || strings.Contains(e.Name, "@") {
		local, _, _ := strings.Cut(e.Email, "@")
		fields = strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	}
	if len(fields) == 0 {
		return "", ""
	}
	if len(fields) == 1 {
		return fields[0], ""
	}
	return fields[0], fields[len(fields)-1]
}

// foldAccents maps common accented Latin letters to ASCII, so "José
// Müller" becomes "jose-muller" rather than "jos-m-ller".
var foldAccents = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ã", "a", "ä", "a", "å", "a", "ā", "a", "ą", "a", "æ", "ae",
	"ç", "c", "ć", "c", "č", "c", "ď", "d", "đ", "d", "ð", "d",
	"è", "e", "é", "e", "ê", "e", "ë", "e", "ē", "e", "ę", "e", "ě", "e",
	"ì", "i", "í", "i", "î", "i", "ï", "i", "ī", "i", "ı", "i",
	"ł", "l", "ľ", "l", "ñ", "n", "ń", "n", "ň", "n",
	"ò", "o", "ó", "o", "ô", "o", "õ", "o", "ö", "o", "ø", "o", "ō", "o", "ő", "o", "œ", "oe",
	"ř", "r", "ś", "s", "š", "s", "ş", "s", "ß", "ss", "ť", "t", "ţ", "t", "þ", "th",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ū", "u", "ů", "u", "ű", "u",
	"ý", "y", "ÿ", "y", "ź", "z", "ż", "z", "ž", "z",
)

// sanitizeChannelName folds accents, lowercases, turns anything else into
// "-", squeezes repeats and trims to 80 characters.
func sanitizeChannelName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range foldAccents.Replace(strings.ToLower(s)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
			dash = false
		case r == '_':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.Trim(b.String(), "-_")
	if len(out) > maxChannelName {
		out = strings.TrimRight(out[:maxChannelName], "-_")
	}
	return out
}

// DefaultChannelTemplate names a case's channel when Options leave it
// empty; the product's default is config's (a test keeps them equal).
const DefaultChannelTemplate = "offboard-{first}-{last}-{case_id}"
