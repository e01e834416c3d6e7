package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// deliveryPolicy is how a sink retries. VSphereSource itself never retries a send (it logs and
// moves on: pkg/vsphere/adapter.go, readEvents); it posts to a broker whose Trigger retries.
// The emulator posts straight to a function, so it does a bounded version of the broker's job.
type deliveryPolicy struct {
	timeout time.Duration // per POST
	retries int           // attempts after the first
	backoff time.Duration // before retry n: backoff * 2^(n-1)
	// retryOn: "any" retries every non-2xx and network error (Knative's RetryIfGreaterThan300,
	// knative/eventing pkg/kncloudevents/message_sender.go); "knative" only network errors,
	// 5xx, 404, 408, 409 and 429 (SelectiveRetry in the same file, plus 408 as newer releases do).
	retryOn string
}

func (p deliveryPolicy) retryable(status int, err error) bool {
	if err != nil {
		return true
	}
	if status >= 200 && status < 300 {
		return false
	}
	if p.retryOn == "any" {
		return true
	}
	return status >= 500 || status == 404 || status == 408 || status == 409 || status == 429
}

// deliveryResult is the final outcome of one event at one sink.
type deliveryResult struct {
	Sink     string `json:"sink"`
	Key      int32  `json:"key"`
	Status   int    `json:"status"`
	Attempts int    `json:"attempts"`
	Outcome  string `json:"outcome"` // delivered | failed
	Error    string `json:"error,omitempty"`
}

// sink delivers events to one URL, one at a time and in Key order, like VSphereSource's
// sequential sendEvents. Each sink has its own queue so a slow or failing sink does not hold
// back the others.
type sink struct {
	url    *url.URL
	name   string // URL with any password redacted, for logs and answers
	from   int32  // delivers events with Key > from
	policy deliveryPolicy
	client *http.Client
	log    *lineLog

	mu      sync.Mutex
	queue   []*cloudEvent
	wake    chan struct{} // closed and replaced whenever the queue or the progress changes
	done    int32         // highest Key finished (delivered or given up)
	results map[int32]deliveryResult
	closed  bool
	stop    context.CancelFunc
}

const keptResults = 10000

func newSink(raw string, from int32, policy deliveryPolicy, log *lineLog) (*sink, error) {
	u, err := parseSinkURL(raw)
	if err != nil {
		return nil, err
	}
	return &sink{
		url:     u,
		name:    redact(u),
		from:    from,
		done:    from,
		policy:  policy,
		client:  &http.Client{Timeout: policy.timeout},
		log:     log,
		wake:    make(chan struct{}),
		results: make(map[int32]deliveryResult),
	}, nil
}

var errInvalidSink = errors.New("invalid sink")

func parseSinkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", errInvalidSink, raw)
	}
	return u, nil
}

func redact(u *url.URL) string {
	if _, has := u.User.Password(); has {
		c := *u
		c.User = url.UserPassword(u.User.Username(), "xxxxx")
		return c.String()
	}
	return u.String()
}

// signal wakes everyone waiting on the sink; the caller holds mu.
func (k *sink) signal() {
	close(k.wake)
	k.wake = make(chan struct{})
}

func (k *sink) enqueue(ce *cloudEvent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed || ce.Key <= k.from {
		return
	}
	k.queue = append(k.queue, ce)
	k.signal()
}

func (k *sink) start() {
	ctx, cancel := context.WithCancel(context.Background())
	k.stop = cancel
	go k.run(ctx)
}

func (k *sink) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return
	}
	k.closed = true
	k.queue = nil
	k.stop()
	k.signal()
}

func (k *sink) next() (*cloudEvent, bool) {
	for {
		k.mu.Lock()
		if k.closed {
			k.mu.Unlock()
			return nil, false
		}
		if len(k.queue) > 0 {
			ce := k.queue[0]
			k.queue[0] = nil
			k.queue = k.queue[1:]
			k.mu.Unlock()
			return ce, true
		}
		wake := k.wake
		k.mu.Unlock()
		<-wake
	}
}

func (k *sink) run(ctx context.Context) {
	for {
		ce, ok := k.next()
		if !ok {
			return
		}
		res := k.deliver(ctx, ce)
		k.mu.Lock()
		if ce.Key > k.done {
			k.done = ce.Key
		}
		k.results[ce.Key] = res
		if len(k.results) > keptResults {
			for key := range k.results {
				if key <= k.done-keptResults {
					delete(k.results, key)
				}
			}
		}
		k.signal()
		k.mu.Unlock()
	}
}

func (k *sink) deliver(ctx context.Context, ce *cloudEvent) deliveryResult {
	res := deliveryResult{Sink: k.name, Key: ce.Key}
	for attempt := 1; ; attempt++ {
		status, err := k.post(ctx, ce)
		res.Attempts, res.Status, res.Error = attempt, status, ""
		if err != nil {
			res.Error = err.Error()
		}
		ok := err == nil && status >= 200 && status < 300
		final := ok || attempt > k.policy.retries || !k.policy.retryable(status, err) || ctx.Err() != nil
		outcome := "retry"
		if ok {
			outcome = "delivered"
		} else if final {
			outcome = "failed"
		}
		k.log.delivery(k.name, ce, attempt, status, outcome, res.Error)
		if final {
			res.Outcome = outcome
			return res
		}
		delay := k.policy.backoff << uint(attempt-1)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
	}
}

func (k *sink) post(ctx context.Context, ce *cloudEvent) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.url.String(), bytes.NewReader(ce.Data))
	if err != nil {
		return 0, err
	}
	req.Header = ce.header()
	resp, err := k.client.Do(req)
	if err != nil {
		// The URL in a *url.Error may hold a password: report the cause only.
		if ue, ok := err.(*url.Error); ok {
			return 0, ue.Err
		}
		return 0, err
	}
	// Drain (bounded) so the keep-alive connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// finished reports whether every event up to key has been dealt with, and a channel that is
// closed on the next change.
func (k *sink) finished(key int32) (bool, <-chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.closed || key <= k.from || k.done >= key, k.wake
}

func (k *sink) resultsFor(keys []int32) []deliveryResult {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []deliveryResult
	for _, key := range keys {
		if r, ok := k.results[key]; ok {
			out = append(out, r)
		}
	}
	return out
}

type sinkInfo struct {
	URL     string `json:"url"`
	From    int32  `json:"from"`
	Done    int32  `json:"done"`
	Pending int    `json:"pending"`
}

func (k *sink) info() sinkInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	return sinkInfo{URL: k.name, From: k.from, Done: k.done, Pending: len(k.queue)}
}

// lineLog writes the machine-readable lines (a fixed prefix, a space, one JSON object) that
// the Node launcher parses from stderr. One Write per line keeps lines whole.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func newLineLog() *lineLog { return &lineLog{w: os.Stderr} }

func (l *lineLog) line(prefix string, v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	sb.WriteByte(' ')
	sb.Write(b)
	sb.WriteByte('\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, sb.String())
}

// delivery logs one attempt: VCSIM_DELIVERY {"sink":...,"id":"42","type":...,"status":204,...}.
func (l *lineLog) delivery(sink string, ce *cloudEvent, attempt, status int, outcome, errText string) {
	l.line("VCSIM_DELIVERY", struct {
		Sink    string `json:"sink"`
		Key     int32  `json:"key"`
		ID      string `json:"id"`
		Type    string `json:"type"`
		Attempt int    `json:"attempt"`
		Status  int    `json:"status"`
		Outcome string `json:"outcome"`
		Error   string `json:"error,omitempty"`
	}{sink, ce.Key, ce.ID, ce.Type, attempt, status, outcome, errText})
}
