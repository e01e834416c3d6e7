package main

// The source emulator: follows vcsim's event history through an EventHistoryCollector, as
// VSphereSource does (pkg/vsphere/vsphere.go, newHistoryCollector: a filter on the root folder
// with recursion "all", beginning at the vCenter's current time), and hands every new event,
// in Key order, to each sink.
//
// How it reads differs, because govmomi 0.24.2's simulator cannot be read the way VSphereSource
// reads a vCenter (ReadNextEvents with maxEventsBatch = 100, pkg/vsphere/adapter.go): its
// ReadNextEvents walks the collector's latest page newest-first and returns nothing once the page
// is full, and it ignores the filter's BeginTime. What vcsim does get right is the collector's
// "latestPage" property: each posted event is pushed onto the page and published as one property
// change, so waiting on that property (WaitForUpdatesEx) sees every event once, with the new
// one first. The emulator keeps the highest Key it has handed on and skips anything at or below
// it, so the starting point is "events posted after the source started", like BeginTime = now.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

type sourceConfig struct {
	endpoint  *url.URL // vcsim's SOAP endpoint, with the account the source logs in with
	address   string   // the CloudEvent source, https://<vcenter>/sdk
	pageSize  int32    // the collector's page size (vcsim's default is 10)
	keepalive time.Duration
	policy    deliveryPolicy
}

type source struct {
	cfg sourceConfig
	log *lineLog

	mu         sync.Mutex
	started    bool
	apiVersion string
	lastKey    int32 // highest Key handed to the sinks (or skipped as history)
	sinks      []*sink
}

func newSource(cfg sourceConfig, log *lineLog) *source {
	return &source{cfg: cfg, log: log}
}

// connect logs in and creates the collector; it returns the highest Key already in vcsim's
// history, which the source skips.
func (s *source) connect(ctx context.Context) (*govmomi.Client, *event.HistoryCollector, int32, error) {
	client, err := govmomi.NewClient(ctx, s.cfg.endpoint, true)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("source login: %w", err)
	}
	now, err := methods.GetCurrentTime(ctx, client)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("source: current time: %w", err)
	}
	filter := types.EventFilterSpec{
		Entity: &types.EventFilterSpecByEntity{
			Entity:    client.ServiceContent.RootFolder,
			Recursion: types.EventFilterSpecRecursionOptionAll,
		},
		Time:     &types.EventFilterSpecByTime{BeginTime: now},
		MaxCount: s.cfg.pageSize,
	}
	coll, err := event.NewManager(client.Client).CreateCollectorForEvents(ctx, filter)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("source: create collector: %w", err)
	}
	page, err := coll.LatestPage(ctx)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("source: read latest page: %w", err)
	}
	return client, coll, newestKey(page), nil
}

// newestKey is the highest Key on a collector's page (0 for an empty page).
func newestKey(page []types.BaseEvent) int32 {
	var max int32
	for _, e := range page {
		if k := e.GetEvent().Key; k > max {
			max = k
		}
	}
	return max
}

// start connects once; later calls do nothing.
func (s *source) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, coll, max, err := s.connect(ctx)
	if err != nil {
		return err
	}
	s.started = true
	s.apiVersion = client.ServiceContent.About.ApiVersion
	s.lastKey = max
	s.log.line("VCSIM_SOURCE", map[string]interface{}{
		"state": "started", "source": s.cfg.address, "vsphereapiversion": s.apiVersion, "afterKey": max,
	})
	go s.follow(client, coll)
	return nil
}

// follow waits on the collector's latestPage for ever, reconnecting when the session is lost
// (e.g. vcsim's -idle-timeout deleted it while nothing happened).
func (s *source) follow(client *govmomi.Client, coll *event.HistoryCollector) {
	ctx := context.Background()
	for {
		stop := keepAlive(client, s.cfg.keepalive)
		err := property.Wait(ctx, property.DefaultCollector(client.Client), coll.Reference(),
			[]string{"latestPage"}, func(changes []types.PropertyChange) bool {
				for _, ch := range changes {
					if page, ok := ch.Val.(types.ArrayOfEvent); ok {
						s.accept(page.Event)
					}
				}
				return false
			})
		stop()
		s.log.line("VCSIM_SOURCE", map[string]interface{}{"state": "reconnecting", "error": errText(err)})
		for {
			time.Sleep(200 * time.Millisecond)
			var c2 *govmomi.Client
			var coll2 *event.HistoryCollector
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			c2, coll2, _, err = s.connect(cctx)
			cancel()
			if err == nil {
				client, coll = c2, coll2
				break
			}
		}
	}
}

// keepAlive touches a session like VSphereSource's keep-alive handler (GetCurrentTime,
// pkg/vsphere/client.go), every interval (0 = never); the returned func stops it.
func keepAlive(client *govmomi.Client, interval time.Duration) func() {
	if interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_, _ = methods.GetCurrentTime(ctx, client)
			}
		}
	}()
	return cancel
}

// accept hands on the events of one page change that are newer than anything handed on.
func (s *source) accept(page []types.BaseEvent) {
	events := make([]types.BaseEvent, 0, len(page))
	for _, e := range page {
		if e != nil {
			events = append(events, e)
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].GetEvent().Key < events[j].GetEvent().Key })

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		key := e.GetEvent().Key
		if key <= s.lastKey {
			continue
		}
		if key > s.lastKey+1 {
			// vcsim numbers events 1, 2, 3, ... and the filter takes all of them: a hole means
			// events fell off the page before the source saw them.
			s.log.line("VCSIM_SOURCE", map[string]interface{}{"state": "gap", "afterKey": s.lastKey, "nextKey": key})
		}
		s.lastKey = key
		ce, err := newCloudEvent(e, s.cfg.address, s.apiVersion)
		if err != nil {
			s.log.line("VCSIM_SOURCE", map[string]interface{}{"state": "skipped", "key": key, "error": err.Error()})
			continue
		}
		for _, k := range s.sinks {
			k.enqueue(ce)
		}
	}
}

var errDuplicateSink = errors.New("sink already configured")

// addSink starts the source if needed; the new sink gets every event after the newest one the
// source has seen, so anything posted after addSink returns reaches it.
func (s *source) addSink(raw string) (*sink, error) {
	if _, err := parseSinkURL(raw); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := newSink(raw, s.lastKey, s.cfg.policy, s.log)
	if err != nil {
		return nil, err
	}
	for _, other := range s.sinks {
		if other.url.String() == k.url.String() {
			return nil, fmt.Errorf("%w: %s", errDuplicateSink, k.name)
		}
	}
	k.start()
	s.sinks = append(s.sinks, k)
	return k, nil
}

func (s *source) removeSink(raw string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range s.sinks {
		if k.url.String() == raw || k.name == raw {
			k.close()
			s.sinks = append(s.sinks[:i], s.sinks[i+1:]...)
			return true
		}
	}
	return false
}

func (s *source) sinkList() []*sink {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*sink(nil), s.sinks...)
}

// waitDelivered waits until every sink has dealt with every event up to maxKey (delivered or
// given up), or until the deadline; it reports whether all had.
func (s *source) waitDelivered(maxKey int32, deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for _, k := range s.sinkList() {
		for {
			ok, wake := k.finished(maxKey)
			if ok {
				break
			}
			select {
			case <-wake:
			case <-timer.C:
				return false
			}
		}
	}
	return true
}

func (s *source) results(keys []int32) []deliveryResult {
	out := []deliveryResult{}
	for _, k := range s.sinkList() {
		out = append(out, k.resultsFor(keys)...)
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
