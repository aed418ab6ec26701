package assistant

import (
	"context"
	"fmt"
	"strings"

	"github.com/sashabaranov/go-openai"

	"github.com/offboard-dev/offboard"
)

// doctorTool is the harmless tool the doctor's round trip offers: it
// reads nothing and changes nothing.
const doctorTool = "current_time"

// Doctor makes one tool-call round trip with the configured model: a
// question the model should answer by calling a harmless tool, the
// tool's result, and the answer. That is what every question needs,
// and what an Azure api-version from before tools refuses. Only
// BaseURL, APIKey, Model, APIVersion and HTTPClient of o are used.
func Doctor(ctx context.Context, o ModelOptions) []offboard.CheckResult {
	const name = "Model: tool-call round trip"
	cfg, err := clientConfig(o)
	if err != nil {
		return []offboard.CheckResult{offboard.CheckFailed(name, err.Error(), "set assistant.base_url to the API's address including /v1")}
	}
	client := openai.NewClientWithConfig(cfg)
	tools := []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: doctorTool, Description: "Returns the current time in UTC.",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{}},
	}}}
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: "You are a connectivity check. Call the " + doctorTool + " tool, then answer with the time it gave."},
		{Role: openai.ChatMessageRoleUser, Content: "What time is it?"},
	}
	resp, err := client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: o.Model, Messages: msgs, Tools: tools, ToolChoice: "auto"})
	if err != nil {
		return []offboard.CheckResult{modelFailure(name, cfg.APIVersion, err)}
	}
	if len(resp.Choices) == 0 {
		return []offboard.CheckResult{offboard.CheckFailed(name, "the model sent no answer", "")}
	}
	msg := resp.Choices[0].Message
	if len(msg.ToolCalls) == 0 {
		return []offboard.CheckResult{{Name: name, Status: offboard.CheckWarn,
			Detail: fmt.Sprintf("%s answered but did not call the offered tool", o.Model),
			Fix:    "use a model that supports tool (function) calling, or the assistant answers only from the rules"}}
	}
	msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: msg.Content, ToolCalls: msg.ToolCalls})
	for _, tc := range msg.ToolCalls {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, ToolCallID: tc.ID, Name: tc.Function.Name,
			Content: `{"utc":"` + offboard.WallClock().Now().UTC().Format("2006-01-02T15:04:05Z") + `"}`})
	}
	resp, err = client.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: o.Model, Messages: msgs, Tools: tools, ToolChoice: "none"})
	if err != nil {
		return []offboard.CheckResult{modelFailure(name, cfg.APIVersion, err)}
	}
	if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
		return []offboard.CheckResult{offboard.CheckFailed(name, "the model took the tool result but gave no answer", "")}
	}
	return []offboard.CheckResult{offboard.CheckOf(name, fmt.Sprintf("%s called a tool and answered", o.Model))}
}

func modelFailure(name, apiVersion string, err error) offboard.CheckResult {
	k := reasonKey(err)
	switch k {
	case "tools_unsupported":
		return offboard.CheckFailed(name, "the endpoint refused tools (api-version "+apiVersion+")",
			"set assistant.api_version to "+DefaultAzureAPIVersion+" or later")
	case "http_401", "http_403":
		return offboard.CheckFailed(name, "the endpoint refused the API key ("+strings.TrimPrefix(k, "http_")+")",
			"check assistant.api_key (for Azure OpenAI, the resource's key; the model is the deployment name)")
	case "http_404":
		return offboard.CheckFailed(name, "not found (404)", "check assistant.base_url and assistant.model (for Azure OpenAI, the deployment name)")
	case "timeout":
		return offboard.CheckFailed(name, "no answer in time", "check that assistant.base_url is reachable from this host")
	}
	return offboard.CheckFailed(name, "failed: "+k, "check assistant.base_url, assistant.model and assistant.api_key")
}
