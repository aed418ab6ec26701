package assistant_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/bot/assistant"
	"github.com/offboard-dev/offboard/bot/assistant/openaitest"
)

func TestDoctor_RoundTrip(t *testing.T) {
	fake := openaitest.New(t, func(n int, req openaitest.Request) openaitest.Reply {
		if n == 0 {
			return openaitest.Reply{ToolCalls: []openaitest.ToolCall{openaitest.Call("c1", req.ToolNames()[0], "{}")}}
		}
		if _, ok := req.Result("c1"); !ok {
			return openaitest.Reply{Status: http.StatusBadRequest}
		}
		return openaitest.Reply{Content: "It is noon."}
	})
	res := assistant.Doctor(context.Background(), assistant.ModelOptions{BaseURL: fake.URL, APIKey: testKey, Model: "test-model"})
	if len(res) != 1 || res[0].Status != offboard.CheckOK {
		t.Fatalf("round trip: %+v", res)
	}
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 (tool call, answer)", n)
	}
}

func TestDoctor_Unauthorized(t *testing.T) {
	fake := openaitest.New(t, func(int, openaitest.Request) openaitest.Reply {
		return openaitest.Reply{Status: http.StatusUnauthorized, Echo: true}
	})
	res := assistant.Doctor(context.Background(), assistant.ModelOptions{BaseURL: fake.URL, APIKey: testKey, Model: "test-model"})
	if len(res) != 1 || res[0].Status != offboard.CheckFail || !strings.Contains(res[0].Fix, "assistant.api_key") {
		t.Fatalf("401: %+v", res)
	}
	if strings.Contains(res[0].Detail+res[0].Fix, testKey) {
		t.Errorf("the key is in the result")
	}
}

func TestDoctor_AzureOldAPIVersion(t *testing.T) {
	fake := openaitest.New(t, func(int, openaitest.Request) openaitest.Reply { return openaitest.Reply{Content: "hi"} })
	hc := &http.Client{Transport: redirect{to: strings.TrimSuffix(fake.URL, "/v1")}}
	res := assistant.Doctor(context.Background(), assistant.ModelOptions{BaseURL: "https://acme.openai.azure.com", APIKey: testKey,
		Model: "offboard-gpt4o", APIVersion: "2023-05-15", HTTPClient: hc})
	if len(res) != 1 || res[0].Status != offboard.CheckFail || !strings.Contains(res[0].Fix, assistant.DefaultAzureAPIVersion) {
		t.Fatalf("old api-version: %+v", res)
	}
}
