package main

// The vSphere event -> CloudEvent mapping of VEBA v0.8, i.e. of Tanzu Sources' VSphereSource
// adapter (vmware-tanzu/sources-for-knative):
//   - pkg/vsphere/adapter.go, sendEvents: id = fmt.Sprintf("%d", Key), type =
//     fmt.Sprintf("com.vmware.vsphere.%s.v0", details.Type), time = CreatedTime, extensions
//     "eventclass" and "vsphereapiversion" (ServiceContent.About.ApiVersion), source =
//     vClient.URL().String(), data = ev.SetData(payloadEncoding, baseEvent);
//   - pkg/vsphere/vsphere.go, getEventDetails: EventEx and ExtendedEvent use EventTypeId and the
//     classes "eventex" / "extendedevent"; everything else the Go type name and "event";
//   - pkg/vsphere/client.go, NewSOAPClient: the address goes through soap.ParseURL (https:// and
//     /sdk added when missing) and soap.NewClient drops the user info, hence https://<vc>/sdk.
// VEBA configures payloadEncoding application/json (docs/kb/intro-tanzu-sources.md in
// vmware-samples/vcenter-event-broker-appliance), which the CloudEvents Go SDK encodes with
// encoding/json: no JSON tags on govmomi's types, so the fields keep their Go (PascalCase) names.
// ce-time is the SDK's canonical form, types.FormatTime: UTC, RFC 3339 with nanoseconds
// (cloudevents/sdk-go v2/types/value.go).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const ceTypeFormat = "com.vmware.vsphere.%s.v0"

// ceAttributes are what VSphereSource derives from an event alone (sendEvents and
// getEventDetails); the driver reports them for each event an action produced.
type ceAttributes struct {
	Key       int32  `json:"key"`
	ID        string `json:"id"`
	Type      string `json:"type"`      // com.vmware.vsphere.<EventType>.v0
	EventType string `json:"eventType"` // Go class name, or EventTypeId for EventEx / ExtendedEvent
	Class     string `json:"class"`     // event | eventex | extendedevent
}

func attributesOf(e types.BaseEvent) ceAttributes {
	class, eventType := eventDetails(e)
	key := e.GetEvent().Key
	return ceAttributes{
		Key:       key,
		ID:        strconv.FormatInt(int64(key), 10),
		Type:      fmt.Sprintf(ceTypeFormat, eventType),
		EventType: eventType,
		Class:     class,
	}
}

// cloudEvent is one vCenter event encoded once and sent to every sink.
type cloudEvent struct {
	ceAttributes
	Source     string
	Time       string
	APIVersion string
	Data       []byte
}

// eventDetails mirrors getEventDetails in pkg/vsphere/vsphere.go.
func eventDetails(e types.BaseEvent) (class, eventType string) {
	switch ev := e.(type) {
	case *types.EventEx:
		return "eventex", ev.EventTypeId
	case *types.ExtendedEvent:
		return "extendedevent", ev.EventTypeId
	default:
		return "event", reflect.TypeOf(e).Elem().Name()
	}
}

func newCloudEvent(e types.BaseEvent, source, apiVersion string) (*cloudEvent, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event %d: %w", e.GetEvent().Key, err)
	}
	return &cloudEvent{
		ceAttributes: attributesOf(e),
		Source:       source,
		Time:         e.GetEvent().CreatedTime.UTC().Format(time.RFC3339Nano),
		APIVersion:   apiVersion,
		Data:         data,
	}, nil
}

// header is the binary-mode HTTP binding: attributes as ce-* headers, datacontenttype as
// Content-Type, data as the body.
func (ce *cloudEvent) header() http.Header {
	h := make(http.Header, 9)
	h.Set("Ce-Specversion", "1.0")
	h.Set("Ce-Id", ce.ID)
	h.Set("Ce-Source", ce.Source)
	h.Set("Ce-Type", ce.Type)
	h.Set("Ce-Time", ce.Time)
	h.Set("Ce-Eventclass", ce.Class)
	h.Set("Ce-Vsphereapiversion", ce.APIVersion)
	h.Set("Content-Type", "application/json")
	return h
}

// ceSource turns the address VSphereSource would be configured with (a host, host:port or URL)
// into the CloudEvent source, as soap.ParseURL and soap.NewClient do in client.go.
func ceSource(address string) (string, error) {
	u, err := soap.ParseURL(address)
	if err != nil {
		return "", fmt.Errorf("source address %q: %w", address, err)
	}
	if u == nil || u.Host == "" {
		return "", fmt.Errorf("source address %q has no host", address)
	}
	u.User = nil
	return u.String(), nil
}
