package offboard_test

import (
	"encoding/json"
	"testing"

	"github.com/offboard-dev/offboard"
)

// A case stored before RoomRef had typed fields keeps every message id.
func TestRoomRef_UnmarshalJSON(t *testing.T) {
	old := `{"platform":"slack","id":"C1","name":"ofb-jane","header_ref":"1.1","messages":{
		"dept:it":"1.2","dept:hr":"1.3","approval:OFF-0001-A1":"1.4","notice:it":"9.1","notice:hr":"failed",
		"notice:finance":"failed:not_in_channel","invite:ada@example.com":"in","invite:bob@example.com":"refused:user_is_restricted",
		"invite_tries":"3","header_invites":"2","fallback":"restricted_action","service_url":"https://smba.example/",
		"sent:OFF-0001/notice#7":"1"}}`
	var r offboard.RoomRef
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	want := offboard.RoomRef{Platform: "slack", ID: "C1", Name: "ofb-jane", HeaderRef: "1.1",
		ServiceURL: "https://smba.example/", Fallback: "restricted_action",
		DepartmentCards: map[offboard.Department]string{"it": "1.2", "hr": "1.3"},
		ApprovalCards:   map[string]string{"OFF-0001-A1": "1.4"},
		Announcements:   map[offboard.Department]string{"it": "9.1", "hr": "failed:refused", "finance": "failed:not_in_channel"},
		Invites:         map[string]string{"ada@example.com": "in", "bob@example.com": "refused:user_is_restricted"},
		InviteRounds:    3, HeaderRounds: 2}
	if got, _ := json.Marshal(r); string(got) != mustJSON(t, want) {
		t.Fatalf("decoded\n%s\nwant\n%s", got, mustJSON(t, want))
	}
	// Written again, it is in the new shape and reads back the same.
	b, _ := json.Marshal(r)
	var again offboard.RoomRef
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(again); string(got) != string(b) {
		t.Fatalf("round trip changed the room:\n%s\n%s", got, b)
	}
}

func TestRoomRef_Merge(t *testing.T) {
	r := offboard.RoomRef{Platform: "teams", ID: "T1", DepartmentCards: map[offboard.Department]string{"it": "a"}, InviteRounds: 2}
	r.Merge(offboard.RoomRef{DepartmentCards: map[offboard.Department]string{"hr": "b"}, HeaderRef: "h", InviteRounds: 1})
	if r.ID != "T1" || r.HeaderRef != "h" || r.DepartmentCards["it"] != "a" || r.DepartmentCards["hr"] != "b" || r.InviteRounds != 2 {
		t.Fatalf("merged %+v", r)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
