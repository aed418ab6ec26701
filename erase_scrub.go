package offboard

import (
	"encoding/json"
	"errors"
)

// ErasableStrings are the personal strings an erasure takes out of a
// case's records, whichever store holds them: the employee's name and
// email and every plaintext the case's events were tokenised with
// (values: token to plaintext).
func ErasableStrings(e Employee, values map[string]string) []string {
	strs := PersonalStrings(e)
	for _, v := range values {
		if !containsFold(strs, v) {
			strs = append(strs, v)
		}
	}
	return strs
}

// ScrubJSON replaces each string, as JSON writes it inside a string,
// with ErasedMark in a JSON document.
func ScrubJSON(raw []byte, strs []string) []byte {
	s := string(raw)
	for _, p := range strs {
		enc, err := json.Marshal(p)
		if err != nil || len(enc) < 2 {
			continue
		}
		s = ReplaceFold(s, string(enc[1:len(enc)-1]), ErasedMark)
	}
	return []byte(s)
}

// ScrubRecord scrubs a JSON object and drops its "secrets" (a task's
// values only IT may see), checking that the result still decodes.
func ScrubRecord(raw []byte, strs []string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	delete(obj, "secrets")
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	b = ScrubJSON(b, strs)
	if !json.Valid(b) {
		return nil, errors.New("scrubbed record is not JSON")
	}
	return b, nil
}
