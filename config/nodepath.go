package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Dotted paths name a place in the file: "okta.org_url",
// "api.tokens[0].role". A map key that is not a plain word is written in
// brackets and quotes: licenses["google.workspace"].

// keyPath appends a mapping key to a dotted path.
func keyPath(path, key string) string {
	if !plainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a sequence index to a dotted path.
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r == '.' || r == '[' || r == ']' || r == '"' || r == ' ' || r == '\t' || r == '\n' {
			return false
		}
	}
	return true
}

// segment is one step of a dotted path: a mapping key or a sequence index.
type segment struct {
	key   string
	index int
	isIdx bool
}

// parsePath splits a dotted path into segments. It returns nil for a path
// it cannot read.
func parsePath(path string) []segment {
	var segs []segment
	for i := 0; i < len(path); {
		switch path[i] {
		case '.':
			i++
		case '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil
			}
			inner := path[i+1 : i+end]
			if strings.HasPrefix(inner, `"`) {
				// A quoted key may contain ']': find the closing quote.
				q, err := strconv.QuotedPrefix(path[i+1:])
				if err != nil || !strings.HasPrefix(path[i+1+len(q):], "]") {
					return nil
				}
				k, _ := strconv.Unquote(q)
				segs = append(segs, segment{key: k})
				i += 1 + len(q) + 1
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil
			}
			segs = append(segs, segment{index: n, isIdx: true})
			i += end + 1
		default:
			end := strings.IndexAny(path[i:], ".[")
			if end < 0 {
				end = len(path) - i
			}
			segs = append(segs, segment{key: path[i : i+end]})
			i += end
		}
	}
	return segs
}

// lineOf returns the line of the key (or sequence element) a dotted path
// names in the document, or 0 when the file does not contain it.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return 0
		}
		n = n.Content[0]
	}
	segs := parsePath(path)
	if segs == nil {
		return 0
	}
	line := 0
	for _, s := range segs {
		n = resolveAlias(n)
		if n == nil {
			return 0
		}
		if s.isIdx {
			if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return 0
			}
			n = n.Content[s.index]
			line = n.Line
			continue
		}
		k, v := lookupKey(n, s.key, 0)
		if k == nil {
			return 0
		}
		n, line = v, k.Line
	}
	return line
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// lookupKey finds key in a mapping node, following merge keys ("<<").
func lookupKey(n *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 20 {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i].Tag != "!!merge" {
			return n.Content[i], n.Content[i+1]
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag != "!!merge" {
			continue
		}
		m := resolveAlias(n.Content[i+1])
		if m == nil {
			continue
		}
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			if k, v := lookupKey(src, key, depth+1); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}
