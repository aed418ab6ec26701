// Package jsontext reads loosely typed JSON the way HR systems send it:
// ids and dates that are sometimes strings, sometimes numbers. The
// BambooHR API client and the webhook intake share it. Standard library
// only.
package jsontext

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Scalar turns a JSON scalar, decoded with UseNumber, into text; null,
// objects and arrays give "".
func Scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// ErrorText shortens a decoding error for people: a syntax error says
// at which byte.
func ErrorText(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return err.Error()
}
