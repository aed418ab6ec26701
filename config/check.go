package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// checkDocument compares the parsed document with the Config struct before
// anything is decoded, so that an unknown key or a value of the wrong type
// is reported with its dotted path and line (the yaml library knows only
// the line, and stops at the first value a TextUnmarshaler refuses).
func checkDocument(root *yaml.Node) []Problem {
	if root == nil || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	ch := &checker{
		seen:    map[visit]bool{},
		structs: map[reflect.Type]*structInfo{},
	}
	ch.walk(root.Content[0], reflect.TypeFor[Config](), "")
	return ch.problems
}

type checker struct {
	problems []Problem
	// seen bounds the work an alias-heavy document can cause: a node is
	// checked against a type once.
	seen    map[visit]bool
	structs map[reflect.Type]*structInfo
}

type visit struct {
	n *yaml.Node
	t reflect.Type
}

type structInfo struct {
	fields map[string]reflect.Type
	names  []string // in declaration order, for suggestions
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
)

func (ch *checker) add(path string, line int, format string, args ...any) {
	ch.problems = append(ch.problems, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (ch *checker) walk(n *yaml.Node, t reflect.Type, path string) {
	n = resolveAlias(n)
	if n == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if ch.seen[visit{n, t}] {
		return
	}
	ch.seen[visit{n, t}] = true
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // null keeps the default
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(yamlUnmarshaler) || pt.Implements(textUnmarshaler) {
		ch.leaf(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			ch.add(path, n.Line, "want a mapping of keys, got %s", describe(n))
			return
		}
		ch.walkStruct(n, t, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			ch.add(path, n.Line, "want a mapping of keys, got %s", describe(n))
			return
		}
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolveAlias(n.Content[i]), n.Content[i+1]
			if k == nil || k.Kind != yaml.ScalarNode {
				ch.add(path, n.Content[i].Line, "a key must be a single value")
				continue
			}
			p := keyPath(path, k.Value)
			if line, dup := first[k.Value]; dup {
				ch.add(p, k.Line, "set twice (first at line %d)", line)
				continue
			}
			first[k.Value] = k.Line
			ch.leaf(k, t.Key(), p)
			ch.walk(v, t.Elem(), p)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			ch.add(path, n.Line, "want a list, got %s", describe(n))
			return
		}
		for i, e := range n.Content {
			ch.walk(e, t.Elem(), indexPath(path, i))
		}
	case reflect.Interface:
		// anything goes
	default:
		ch.leaf(n, t, path)
	}
}

func (ch *checker) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	info := ch.structInfo(t)
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			ch.add(path, n.Content[i].Line, "a key must be a single value")
			continue
		}
		if k.Tag == "!!merge" {
			ch.walkMerge(v, t, path)
			continue
		}
		p := keyPath(path, k.Value)
		if line, dup := first[k.Value]; dup {
			ch.add(p, k.Line, "set twice (first at line %d)", line)
			continue
		}
		first[k.Value] = k.Line
		ft, ok := info.fields[k.Value]
		if !ok {
			ch.add(p, k.Line, "%s", unknownKey(k.Value, path, info.names))
			continue
		}
		ch.walk(v, ft, p)
	}
}

// walkMerge checks the mappings a merge key ("<<: *base") brings in.
func (ch *checker) walkMerge(v *yaml.Node, t reflect.Type, path string) {
	v = resolveAlias(v)
	if v == nil {
		return
	}
	srcs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	for _, s := range srcs {
		ch.walk(s, t, path)
	}
}

// leaf decodes a single value on its own to find out whether it fits.
func (ch *checker) leaf(n *yaml.Node, t reflect.Type, path string) {
	pt := reflect.PointerTo(t)
	if !pt.Implements(yamlUnmarshaler) && n.Kind != yaml.ScalarNode {
		ch.add(path, n.Line, "want a single value, got %s", describe(n))
		return
	}
	err := n.Decode(reflect.New(t).Interface())
	if err == nil {
		return
	}
	if _, ok := errors.AsType[*yaml.TypeError](err); ok {
		ch.add(path, n.Line, "%s", wantKind(t, n))
		return
	}
	ch.add(path, n.Line, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

func wantKind(t reflect.Type, n *yaml.Node) string {
	var want string
	switch t.Kind() {
	case reflect.Bool:
		want = "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "a whole number"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	default:
		want = "a " + t.Kind().String()
	}
	return fmt.Sprintf("want %s, got %s", want, describe(n))
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return fmt.Sprintf("%q", v)
}

func (ch *checker) structInfo(t reflect.Type) *structInfo {
	if info, ok := ch.structs[t]; ok {
		return info
	}
	info := &structInfo{fields: map[string]reflect.Type{}}
	ch.structs[t] = info
	addStructFields(info, t, 0)
	return info
}

func addStructFields(info *structInfo, t reflect.Type, depth int) {
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && depth < 10 {
				addStructFields(info, ft, depth+1)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		info.fields[name] = f.Type
		info.names = append(info.names, name)
	}
}

// unknownKey words the problem of a key the struct does not have, with a
// suggestion when a known key is close.
func unknownKey(key, section string, known []string) string {
	if section == "" {
		section = "(root)"
	}
	msg := fmt.Sprintf("unknown key %q in %s", key, section)
	if s := suggest(key, known); s != "" {
		msg += fmt.Sprintf(" — did you mean %q?", s)
	}
	return msg
}

// suggest returns the known word closest to w, if it is close enough to be
// a likely typo.
func suggest(w string, known []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	nw := norm(w)
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(nw, norm(k)); d < bestD {
			best, bestD = k, d
		}
	}
	limit := 2
	if len([]rune(w)) <= 4 {
		limit = 1
	}
	if bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20 // too long to be a typo of a key
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
