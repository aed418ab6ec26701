package microsoft

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/offboard-dev/offboard"
)

// batchLimit is the most requests Graph takes in one JSON batch.
const batchLimit = 20

// batchRequest is one request of a JSON batch; url is relative to the
// version ("/users/…").
type batchRequest struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// batchResponse is one answer of a JSON batch. Graph answers the batch
// 200 even when items fail: each item carries its own status and headers
// (Retry-After on a throttled one).
type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// batch runs calls as JSON batches of up to batchLimit requests (POST
// /$batch), one after another, and returns one error per call (nil when
// it succeeded), mapped as do maps a single call's: a throttled item
// pauses the client with its Retry-After, so the batches after it are not
// sent and their calls carry the pause. A lone call is sent as itself. The
// requests are independent: Graph may run them in any order.
func (c *Client) batch(ctx context.Context, calls []call) []error {
	errs := make([]error, len(calls))
	if len(calls) == 1 {
		errs[0] = c.do(ctx, calls[0])
		return errs
	}
	for start := 0; start < len(calls); start += batchLimit {
		end := min(start+batchLimit, len(calls))
		c.batchOnce(ctx, calls[start:end], errs[start:end])
	}
	return errs
}

// batchOnce sends one batch of at most batchLimit calls and sets errs.
func (c *Client) batchOnce(ctx context.Context, calls []call, errs []error) {
	reqs := make([]batchRequest, len(calls))
	for i, cl := range calls {
		reqs[i] = batchRequest{ID: strconv.Itoa(i + 1), Method: cl.method, URL: cl.path}
		if cl.body != nil {
			reqs[i].Body = cl.body
			reqs[i].Headers = map[string]string{"Content-Type": "application/json"}
		}
	}
	var answer struct {
		Responses []batchResponse `json:"responses"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/$batch", body: map[string]any{"requests": reqs}, out: &answer,
		what: fmt.Sprintf("send a batch of %d requests (%s, …)", len(calls), calls[0].what)})
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return
	}
	byID := make(map[string]batchResponse, len(answer.Responses))
	for _, r := range answer.Responses {
		byID[r.ID] = r
	}
	for i, cl := range calls {
		r, ok := byID[strconv.Itoa(i+1)]
		if !ok {
			errs[i] = fmt.Errorf("microsoft graph: %s: the batch answer has no response for it", cl.what)
			continue
		}
		errs[i] = c.batchItemError(cl, r)
	}
}

// batchItemError decodes a successful item into its call's out, or maps
// a failed one like a single answer with the same status and headers.
func (c *Client) batchItemError(cl call, r batchResponse) error {
	if r.Status/100 == 2 {
		body := bytes.TrimSpace(r.Body)
		if cl.out == nil || len(body) == 0 || bytes.Equal(body, []byte("null")) {
			return nil
		}
		if err := json.Unmarshal(body, cl.out); err != nil {
			return fmt.Errorf("microsoft graph: %s: decode answer: %w", cl.what, err)
		}
		return nil
	}
	resp := &http.Response{StatusCode: r.Status, Header: http.Header{}}
	for k, v := range r.Headers {
		resp.Header.Set(k, v)
	}
	return c.statusError(cl, resp, r.Body)
}

// firstError is the first error of a batch's calls other than "not
// found": a thing gone since it was listed is what a removal wants.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil && offboard.ErrorCode(err) != offboard.ENOTFOUND {
			return err
		}
	}
	return nil
}
