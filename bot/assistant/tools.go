package assistant

// The tools a language model may call. Every one reads through the
// engine's queries with the asker's actor, so the engine's visibility
// rule (offboard.CanViewCase) decides what a tool can return; the prompt
// only describes the scope. None of them changes anything: offboard.CaseReader
// has no method that does, so no tool could.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sashabaranov/go-openai"
	"github.com/sashabaranov/go-openai/jsonschema"

	"github.com/offboard-dev/offboard"
)

// Tool names.
const (
	toolFindCases  = "find_cases"
	toolCaseStatus = "case_status"
	toolOpenTasks  = "open_tasks"
	toolApprovals  = "approvals_waiting"
	toolStats      = "stats"
)

// toolLimit caps the rows of one tool result: enough to answer, small
// enough to keep the prompt short.
const toolLimit = 50

const dateLayout = "2006-01-02"

func toolDefs(depts offboard.Departments) []openai.Tool {
	str := func(desc string) jsonschema.Definition {
		return jsonschema.Definition{Type: jsonschema.String, Description: desc}
	}
	var names, described []string
	for _, d := range depts.Names() {
		names = append(names, string(d))
		described = append(described, fmt.Sprintf("%s (%s)", d, depts.Label(d)))
	}
	dept := jsonschema.Definition{Type: jsonschema.String, Enum: names,
		Description: "Department that owns the tasks: " + strings.Join(described, ", ") + "."}
	fn := func(name, desc string, props map[string]jsonschema.Definition, required ...string) openai.Tool {
		if required == nil {
			required = []string{}
		}
		return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: name, Description: desc,
			Parameters: jsonschema.Definition{Type: jsonschema.Object, Properties: props, Required: required}}}
	}
	return []openai.Tool{
		fn(toolFindCases, "Find offboarding cases the asker may see. With a query: by name (open cases only), "+
			"by email (every case of that person) or by case id. Without a query: cases by status, newest first. "+
			"Dates filter on when the case was opened.",
			map[string]jsonschema.Definition{
				"query": str("A name, an email or a case id like OFF-0042. Optional."),
				"status": {Type: jsonschema.String, Enum: []string{"open", "completed", "cancelled", "any"},
					Description: "Case status; default open without a query, any with one."},
				"opened_from": str("Only cases opened on or after this date, YYYY-MM-DD. Optional."),
				"opened_to":   str("Only cases opened on or before this date, YYYY-MM-DD. Optional."),
				"limit":       {Type: jsonschema.Integer, Description: "At most this many cases (1-50, default 20)."},
			}),
		fn(toolCaseStatus, "Everything about one case: the person, the clock (notice, revocation), every task with "+
			"its status, due time and evidence, the approvals, and what blocks progress.",
			map[string]jsonschema.Definition{
				"case": str("A case id like OFF-0042, an email, or a name."),
			}, "case"),
		fn(toolOpenTasks, "Unfinished tasks on the open cases the asker may see, optionally for one department "+
			"or only the overdue ones, most overdue first.",
			map[string]jsonschema.Definition{
				"department":   dept,
				"overdue_only": {Type: jsonschema.Boolean, Description: "Only tasks past their due time."},
			}),
		fn(toolApprovals, "Approvals nobody has decided yet on the open cases the asker may see, longest waiting first.",
			map[string]jsonschema.Definition{
				"department": dept,
				"case":       str("Only this case: a case id, an email or a name. Optional."),
			}),
		fn(toolStats, "Figures for the cases the asker may see that were opened in a period: counts, completion "+
			"rate, and time to revocation (median, p95, fastest, slowest). Default: the last 30 days.",
			map[string]jsonschema.Definition{
				"from": str("First day, YYYY-MM-DD. Optional."),
				"to":   str("Last day (inclusive), YYYY-MM-DD. Optional."),
			}),
	}
}

// toolbox runs tool calls for one asker.
type toolbox struct {
	engine offboard.CaseReader
	depts  offboard.Departments
	who    offboard.Actor
	now    time.Time
	loc    *time.Location
	// shown is the case one case_status call returned alone, for the
	// reply's card; more than one such case clears it.
	shown    *offboard.CaseView
	multiple bool
}

// toolError is a refusal or a bad call, said to the model as the tool's
// result so that it can correct itself or tell the asker.
type toolError struct{ msg string }

func (e toolError) Error() string { return e.msg }

// call runs one tool and returns its JSON result. Any failure becomes a
// JSON error object: the model reads it, the asker does not.
func (tb *toolbox) call(ctx context.Context, name, args string) string {
	res, err := tb.dispatch(ctx, name, args)
	if err != nil {
		msg := err.Error()
		if _, ok := err.(toolError); !ok {
			msg = "the lookup failed: " + offboard.ErrorMessage(err)
		}
		res = map[string]string{"error": msg}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return `{"error":"the result could not be encoded"}`
	}
	return string(b)
}

func (tb *toolbox) dispatch(ctx context.Context, name, args string) (any, error) {
	if strings.TrimSpace(args) == "" {
		args = "{}"
	}
	decode := func(v any) error {
		dec := json.NewDecoder(strings.NewReader(args))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return toolError{fmt.Sprintf("the arguments of %s are not valid: %v", name, err)}
		}
		return nil
	}
	switch name {
	case toolFindCases:
		var a findArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return tb.findCases(ctx, a)
	case toolCaseStatus:
		var a struct {
			Case string `json:"case"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		return tb.caseStatus(ctx, a.Case)
	case toolOpenTasks:
		var a struct {
			Department  string `json:"department"`
			OverdueOnly bool   `json:"overdue_only"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		d, err := tb.department(a.Department)
		if err != nil {
			return nil, err
		}
		return tb.openTasks(ctx, d, a.OverdueOnly)
	case toolApprovals:
		var a struct {
			Department string `json:"department"`
			Case       string `json:"case"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		d, err := tb.department(a.Department)
		if err != nil {
			return nil, err
		}
		return tb.approvals(ctx, d, a.Case)
	case toolStats:
		var a struct {
			From string `json:"from"`
			To   string `json:"to"`
		}
		if err := decode(&a); err != nil {
			return nil, err
		}
		return tb.stats(ctx, a.From, a.To)
	}
	// A model may ask for a tool it was never offered (a hallucination, or
	// text in case data asking it to): refuse, and say what exists.
	return nil, toolError{fmt.Sprintf("there is no tool named %q; the only tools are %s, and they only read cases: "+
		"nothing can be changed from here. People act with the buttons on the task cards or /offboard.", name, strings.Join(toolNames(), ", "))}
}

func toolNames() []string {
	return []string{toolFindCases, toolCaseStatus, toolOpenTasks, toolApprovals, toolStats}
}

func (tb *toolbox) department(s string) (offboard.Department, error) {
	if s == "" {
		return "", nil
	}
	d := offboard.Department(strings.ToLower(s))
	if !tb.depts.Has(d) {
		return "", toolError{fmt.Sprintf("department %q is not one of %s", s, tb.depts.Join())}
	}
	return d, nil
}
