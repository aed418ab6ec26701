// Package strictjson checks the keys of a JSON document before it is
// decoded. encoding/json lets the last of two equal keys win and matches
// keys to fields case-insensitively ("EMAIL" fills Email), so a body can
// say one thing to a reviewer and another to offboard. Walk finds every
// key with its path and refuses duplicates; Known lists the exact-case
// key paths a Go type accepts. It imports only the standard library.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// ErrTrailing is returned when data holds more than one JSON value.
var ErrTrailing = errors.New("data after the JSON value")

// MaxDepth is how deeply objects and arrays may nest. Real bodies nest a
// few levels; a path is kept per level, so unbounded nesting costs
// memory with the square of the depth (1 MB of "[" took 24 GB).
const MaxDepth = 64

// ErrTooDeep is returned when data nests deeper than MaxDepth.
var ErrTooDeep = fmt.Errorf("JSON nested deeper than %d levels", MaxDepth)

// DuplicateKeyError names a key given twice in one object.
type DuplicateKeyError struct{ Path string }

func (e *DuplicateKeyError) Error() string { return fmt.Sprintf("key %s is given twice", e.Path) }

// Walk reads one JSON value from data and calls visit with the path of
// every object key, such as "employee.email" or "data.events[0].date",
// in document order. It returns visit's first error, a
// *DuplicateKeyError, ErrTooDeep, the decoder's syntax error, or
// ErrTrailing.
func Walk(data []byte, visit func(path string) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walkValue(dec, "", 0, visit); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return err
		}
		return ErrTrailing
	}
	return nil
}

func walkValue(dec *json.Decoder, path string, depth int, visit func(string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if (tok == json.Delim('{') || tok == json.Delim('[')) && depth >= MaxDepth {
		return ErrTooDeep
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := k.(string)
			p := key
			if path != "" {
				p = path + "." + key
			}
			if seen[key] {
				return &DuplicateKeyError{Path: p}
			}
			seen[key] = true
			if err := visit(p); err != nil {
				return err
			}
			if err := walkValue(dec, p, depth+1, visit); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1, visit); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// Known returns the exact-case key paths a value of type t decodes
// (struct fields by their json tag, nested structs by "parent.child"),
// and whether keys below a path are free (maps, interfaces, slices).
func Known(t reflect.Type) (fields map[string]bool, open map[string]bool) {
	fields, open = map[string]bool{}, map[string]bool{}
	collect(t, "", fields, open)
	return fields, open
}

func collect(t reflect.Type, prefix string, fields, open map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		if prefix != "" {
			open[prefix] = true
		}
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		fields[p] = true
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Struct:
			if ft.PkgPath() == "time" { // time.Time decodes from a string
				continue
			}
			collect(ft, p, fields, open)
		case reflect.Map, reflect.Interface, reflect.Slice, reflect.Array:
			open[p] = true
		}
	}
}

// Allowed reports whether path is a known field or lies below an open one.
func Allowed(path string, fields, open map[string]bool) bool {
	if fields[path] {
		return true
	}
	for p := path; ; {
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return false
		}
		p = p[:i]
		if open[p] {
			return true
		}
	}
}
