package teamstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// RefuseChannel makes new threads in channel fail as the Bot Connector
// answers when the app is not installed in the channel's team: 403
// BotNotInConversationRoster.
func (c *Connector) RefuseChannel(channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.notInstalled == nil {
		c.notInstalled = map[string]bool{}
	}
	c.notInstalled[channel] = true
}

// refuseChannels answers thread creation in a refused channel before h
// sees it.
func (c *Connector) refuseChannels(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req struct {
			ChannelData struct {
				Channel struct {
					ID string `json:"id"`
				} `json:"channel"`
			} `json:"channelData"`
		}
		_ = json.Unmarshal(body, &req)
		c.mu.Lock()
		refused := c.notInstalled[req.ChannelData.Channel.ID]
		c.mu.Unlock()
		if refused {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}
}
