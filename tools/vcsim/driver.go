package main

// The driver does real things in vcsim through the vSphere API (govmomi over SOAP), so the
// events the source sends are the ones vcsim itself records. Each user named in an action gets
// a session of its own, and vcsim stamps that session's user on the event's UserName.
//
// Which events an action produced is read from a collector of the driver's own: the events with
// a Key above the newest one before the action began and the action's UserName. Actions run one
// at a time, so two actions never share a window.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type actionRequest struct {
	Action string `json:"action"`
	VM     string `json:"vm,omitempty"`   // name or moref
	Host   string `json:"host,omitempty"` // name or moref
	Name   string `json:"name,omitempty"` // clone / create: the new VM's name
	User   string `json:"user,omitempty"`
	// PostEvents: for enterMaintenance / exitMaintenance, post the events a vCenter records
	// (vcsim 0.24.2 records none for these tasks). Default true.
	PostEvents *bool `json:"postEvents,omitempty"`
	// postEvent: "eventex" or "extendedevent", its EventTypeId and message.
	Class       string `json:"class,omitempty"`
	EventTypeID string `json:"eventTypeId,omitempty"`
	Message     string `json:"message,omitempty"`
	// Wait for the sinks to deal with the action's events (default true), at most TimeoutMs.
	Wait      *bool `json:"wait,omitempty"`
	TimeoutMs int   `json:"timeoutMs,omitempty"`
}

type entityRef struct {
	Name  string `json:"name"`
	Moref string `json:"moref"`
}

type actionEvent struct {
	ceAttributes
	Origin   string `json:"origin"` // vcsim: recorded by vcsim; driver: posted by the driver
	UserName string `json:"userName"`
	VM       string `json:"vm,omitempty"`
	Host     string `json:"host,omitempty"`
}

type actionResult struct {
	Action     string           `json:"action"`
	User       string           `json:"user"`
	VM         *entityRef       `json:"vm,omitempty"`
	Host       *entityRef       `json:"host,omitempty"`
	Events     []actionEvent    `json:"events"`
	Deliveries []deliveryResult `json:"deliveries"`
	// Delivered: every sink dealt with every event (delivered or gave up) before the timeout.
	Delivered bool   `json:"delivered"`
	Error     string `json:"error,omitempty"`
	Fault     string `json:"fault,omitempty"`
}

// actionError carries the HTTP status the control endpoint answers with.
type actionError struct {
	status int
	fault  string
	err    error
}

func (e *actionError) Error() string { return e.err.Error() }

func badRequest(format string, args ...interface{}) *actionError {
	return &actionError{status: 400, err: fmt.Errorf(format, args...)}
}

type driver struct {
	endpoint    *url.URL // no user info
	password    string
	defaultUser string

	mu        sync.Mutex // one action at a time
	observer  *govmomi.Client
	coll      *event.HistoryCollector
	keepalive time.Duration
	stopAlive func()
	clients   map[string]*govmomi.Client
}

const observerUser = "vcsim-driver"

// observerPage bounds how many events one action can report; none produces more than a handful.
const observerPage = 100

// newDriver logs the observer in; keepalive (0 = off) keeps its session from vcsim's idle timeout,
// so the observer's logins do not add events to the stream.
func newDriver(ctx context.Context, endpoint *url.URL, password, defaultUser string, keepalive time.Duration) (*driver, error) {
	d := &driver{
		endpoint: endpoint, password: password, defaultUser: defaultUser, keepalive: keepalive,
		clients: map[string]*govmomi.Client{}, stopAlive: func() {},
	}
	if err := d.connectObserver(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *driver) login(ctx context.Context, user string) (*govmomi.Client, error) {
	u := *d.endpoint
	u.User = url.UserPassword(user, d.password)
	return govmomi.NewClient(ctx, &u, true)
}

func (d *driver) connectObserver(ctx context.Context) error {
	c, err := d.login(ctx, observerUser)
	if err != nil {
		return fmt.Errorf("driver login: %w", err)
	}
	coll, err := event.NewManager(c.Client).CreateCollectorForEvents(ctx, types.EventFilterSpec{
		Entity: &types.EventFilterSpecByEntity{
			Entity:    c.ServiceContent.RootFolder,
			Recursion: types.EventFilterSpecRecursionOptionAll,
		},
		MaxCount: observerPage,
	})
	if err != nil {
		return fmt.Errorf("driver: create collector: %w", err)
	}
	d.stopAlive()
	d.observer, d.coll, d.stopAlive = c, coll, keepAlive(c, d.keepalive)
	return nil
}

// alive reports whether a client's session still exists: vcsim's -idle-timeout deletes idle
// sessions, and with them the objects they created (the observer's collector).
func alive(ctx context.Context, c *govmomi.Client) bool {
	s, err := c.SessionManager.UserSession(ctx)
	return err == nil && s != nil
}

func (d *driver) latestPage(ctx context.Context) ([]types.BaseEvent, error) {
	if !alive(ctx, d.observer) {
		if err := d.connectObserver(ctx); err != nil {
			return nil, err
		}
	}
	return d.coll.LatestPage(ctx)
}

func (d *driver) latestKey(ctx context.Context) (int32, error) {
	page, err := d.latestPage(ctx)
	if err != nil {
		return 0, err
	}
	return newestKey(page), nil
}

func (d *driver) eventsAfter(ctx context.Context, after int32, user string) ([]types.BaseEvent, error) {
	page, err := d.latestPage(ctx)
	if err != nil {
		return nil, err
	}
	var out []types.BaseEvent
	for _, e := range page {
		if base := e.GetEvent(); base.Key > after && base.UserName == user {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetEvent().Key < out[j].GetEvent().Key })
	return out, nil
}

// client returns the user's session, logging in when there is none (vcsim records a
// UserLoginSessionEvent for it, which the action then reports).
func (d *driver) client(ctx context.Context, user string, fresh bool) (*govmomi.Client, error) {
	if c, ok := d.clients[user]; ok && !fresh && alive(ctx, c) {
		return c, nil
	}
	c, err := d.login(ctx, user)
	if err != nil {
		return nil, &actionError{status: 502, err: fmt.Errorf("login as %q: %w", user, err)}
	}
	d.clients[user] = c
	return c, nil
}

var actions = map[string]func(*driver, context.Context, *govmomi.Client, *actionRequest, *actionResult) ([]string, error){
	"powerOn":          (*driver).powerOn,
	"powerOff":         (*driver).powerOff,
	"clone":            (*driver).clone,
	"create":           (*driver).create,
	"enterMaintenance": (*driver).enterMaintenance,
	"exitMaintenance":  (*driver).exitMaintenance,
	"postEvent":        (*driver).postEvent,
}

func actionNames() []string {
	var names []string
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var userPattern = regexp.MustCompile(`^[^\x00-\x1f]{1,256}$`)

// run performs one action and reports the events it produced. The caller waits for delivery.
func (d *driver) run(ctx context.Context, req *actionRequest) (*actionResult, error) {
	do, ok := actions[req.Action]
	if !ok {
		return nil, badRequest("unknown action %q (one of %s)", req.Action, strings.Join(actionNames(), ", "))
	}
	user := req.User
	if user == "" {
		user = d.defaultUser
	}
	if !userPattern.MatchString(user) {
		return nil, badRequest("user must be 1-256 printable characters")
	}

	d.mu.Lock()
	defer d.mu.Unlock()

	before, err := d.latestKey(ctx)
	if err != nil {
		return nil, &actionError{status: 502, err: fmt.Errorf("read event history: %w", err)}
	}
	res := &actionResult{Action: req.Action, User: user, Events: []actionEvent{}, Deliveries: []deliveryResult{}}
	c, err := d.client(ctx, user, false)
	if err != nil {
		return nil, err
	}
	posted, err := do(d, ctx, c, req, res)
	if err != nil && isNotAuthenticated(err) {
		// The session timed out (-idle-timeout): log in again and retry once.
		if c, err = d.client(ctx, user, true); err != nil {
			return nil, err
		}
		posted, err = do(d, ctx, c, req, res)
	}
	var actErr *actionError
	if err != nil {
		if !errors.As(err, &actErr) {
			// A vSphere fault is vCenter refusing the action (409); anything else is a failure
			// to talk to vcsim (502).
			status, fault := 502, faultName(err)
			if fault != "" {
				status = 409
			}
			actErr = &actionError{status: status, fault: fault, err: describe(err)}
		}
		res.Error, res.Fault = actErr.Error(), actErr.fault
	}

	events, evErr := d.eventsAfter(ctx, before, user)
	if evErr != nil && actErr == nil {
		return nil, &actionError{status: 502, err: fmt.Errorf("read event history: %w", evErr)}
	}
	byDriver := map[string]bool{}
	for _, t := range posted {
		byDriver[t] = true
	}
	for _, e := range events {
		base := e.GetEvent()
		ae := actionEvent{ceAttributes: attributesOf(e), Origin: "vcsim", UserName: base.UserName}
		if byDriver[ae.EventType] {
			ae.Origin = "driver"
		}
		if base.Vm != nil {
			ae.VM = base.Vm.Vm.Value
		}
		if base.Host != nil {
			ae.Host = base.Host.Host.Value
		}
		res.Events = append(res.Events, ae)
	}
	if actErr != nil {
		return res, actErr
	}
	return res, nil
}

func isNotAuthenticated(err error) bool {
	var f interface{}
	switch {
	case soap.IsSoapFault(err):
		f = soap.ToSoapFault(err).VimFault()
	case soap.IsVimFault(err):
		f = soap.ToVimFault(err)
	}
	switch f.(type) {
	case types.NotAuthenticated, *types.NotAuthenticated:
		return true
	}
	return false
}

func faultName(err error) string {
	var te task.Error
	if errors.As(err, &te) && te.LocalizedMethodFault != nil && te.Fault() != nil {
		return reflect.TypeOf(te.Fault()).Elem().Name()
	}
	if soap.IsSoapFault(err) {
		if f := soap.ToSoapFault(err).VimFault(); f != nil {
			t := reflect.TypeOf(f)
			if t.Kind() == reflect.Ptr {
				t = t.Elem()
			}
			return t.Name()
		}
	}
	return ""
}

// inventory lists VM and host names with their morefs as the vSphere API reports them now.
func (d *driver) inventory(ctx context.Context) (inventory, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := inventory{VMs: map[string]string{}, Hosts: map[string]string{}}
	if !alive(ctx, d.observer) {
		if err := d.connectObserver(ctx); err != nil {
			return inventory{}, err
		}
	}
	for kind, dst := range map[string]map[string]string{"VirtualMachine": out.VMs, "HostSystem": out.Hosts} {
		all, err := listEntities(ctx, d.observer, kind)
		if err != nil {
			return inventory{}, err
		}
		for _, e := range all {
			dst[e.Name] = e.Self.Value
		}
	}
	return out, nil
}

func listEntities(ctx context.Context, c *govmomi.Client, kind string) ([]mo.ManagedEntity, error) {
	v, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(context.Background()) }()
	var all []mo.ManagedEntity
	err = v.Retrieve(ctx, []string{kind}, []string{"name"}, &all)
	return all, err
}

// describe turns a vSphere fault into a sentence; vcsim leaves most localized messages empty.
func describe(err error) error {
	var te task.Error
	if errors.As(err, &te) && te.LocalizedMethodFault != nil {
		switch f := te.Fault().(type) {
		case *types.InvalidPowerState:
			return fmt.Errorf("InvalidPowerState: the VM is %s (requested %s)", f.ExistingState, f.RequestedState)
		case *types.DuplicateName:
			return fmt.Errorf("DuplicateName: %q is already taken", f.Name)
		}
		if name := faultName(err); name != "" {
			msg := te.LocalizedMessage
			if msg == "" || strings.Contains(msg, name) {
				return errors.New(name)
			}
			return fmt.Errorf("%s: %s", name, msg)
		}
	}
	return err
}

// find looks an entity up by name, or by moref when nothing has that name.
func find(ctx context.Context, c *govmomi.Client, kind, nameOrRef string) (entityRef, error) {
	if nameOrRef == "" {
		field := map[string]string{"VirtualMachine": "vm", "HostSystem": "host"}[kind]
		return entityRef{}, badRequest("%s (a %s name or moref) is required", field, kind)
	}
	all, err := listEntities(ctx, c, kind)
	if err != nil {
		return entityRef{}, err
	}
	for _, e := range all {
		if e.Name == nameOrRef {
			return entityRef{Name: e.Name, Moref: e.Self.Value}, nil
		}
	}
	for _, e := range all {
		if e.Self.Value == nameOrRef {
			return entityRef{Name: e.Name, Moref: e.Self.Value}, nil
		}
	}
	return entityRef{}, &actionError{status: 404, err: fmt.Errorf("no %s named %q", kind, nameOrRef)}
}

func ref(kind string, e entityRef) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: kind, Value: e.Moref}
}

func (d *driver) power(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult, on bool) ([]string, error) {
	vm, err := find(ctx, c, "VirtualMachine", req.VM)
	if err != nil {
		return nil, err
	}
	res.VM = &vm
	o := object.NewVirtualMachine(c.Client, ref("VirtualMachine", vm))
	var t *object.Task
	if on {
		t, err = o.PowerOn(ctx)
	} else {
		t, err = o.PowerOff(ctx)
	}
	return nil, await(ctx, t, err)
}

// await waits for a task that started (err is the start's error).
func await(ctx context.Context, t *object.Task, err error) error {
	if err != nil {
		return err
	}
	return t.Wait(ctx)
}

// awaitNewVM waits for a task that makes a VM (a clone, a create) and records the new VM.
func awaitNewVM(ctx context.Context, res *actionResult, name string, t *object.Task, err error) error {
	if err != nil {
		return err
	}
	info, err := t.WaitForResult(ctx)
	if err != nil {
		return err
	}
	if moref, ok := info.Result.(types.ManagedObjectReference); ok {
		res.VM = &entityRef{Name: name, Moref: moref.Value}
	}
	return nil
}

func (d *driver) powerOn(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	return d.power(ctx, c, req, res, true)
}

func (d *driver) powerOff(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	return d.power(ctx, c, req, res, false)
}

func (d *driver) clone(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	if req.Name == "" {
		return nil, badRequest("name (the clone's name) is required")
	}
	src, err := find(ctx, c, "VirtualMachine", req.VM)
	if err != nil {
		return nil, err
	}
	var vm mo.VirtualMachine
	pc := property.DefaultCollector(c.Client)
	if err := pc.RetrieveOne(ctx, ref("VirtualMachine", src), []string{"parent"}, &vm); err != nil {
		return nil, err
	}
	if vm.Parent == nil {
		return nil, &actionError{status: 409, err: fmt.Errorf("%s has no folder to clone into", src.Name)}
	}
	o := object.NewVirtualMachine(c.Client, ref("VirtualMachine", src))
	t, err := o.Clone(ctx, object.NewFolder(c.Client, *vm.Parent), req.Name, types.VirtualMachineCloneSpec{})
	return nil, awaitNewVM(ctx, res, req.Name, t, err)
}

func (d *driver) create(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	if req.Name == "" {
		return nil, badRequest("name (the new VM's name) is required")
	}
	hostName := req.Host
	if hostName == "" {
		hostName = "DC0_H0"
	}
	host, err := find(ctx, c, "HostSystem", hostName)
	if err != nil {
		return nil, err
	}
	res.Host = &host
	pc := property.DefaultCollector(c.Client)
	var h mo.HostSystem
	if err := pc.RetrieveOne(ctx, ref("HostSystem", host), []string{"parent", "datastore"}, &h); err != nil {
		return nil, err
	}
	var cr mo.ComputeResource
	if err := pc.RetrieveOne(ctx, *h.Parent, []string{"resourcePool"}, &cr); err != nil {
		return nil, err
	}
	if len(h.Datastore) == 0 || cr.ResourcePool == nil {
		return nil, &actionError{status: 409, err: fmt.Errorf("host %s has no datastore or resource pool", host.Name)}
	}
	var ds mo.Datastore
	if err := pc.RetrieveOne(ctx, h.Datastore[0], []string{"name"}, &ds); err != nil {
		return nil, err
	}
	dc, err := datacenterOf(ctx, c, ref("HostSystem", host))
	if err != nil {
		return nil, err
	}
	var dcmo mo.Datacenter
	if err := pc.RetrieveOne(ctx, dc.Reference(), []string{"vmFolder"}, &dcmo); err != nil {
		return nil, err
	}
	spec := types.VirtualMachineConfigSpec{
		Name:     req.Name,
		GuestId:  string(types.VirtualMachineGuestOsIdentifierOtherGuest64),
		NumCPUs:  1,
		MemoryMB: 128,
		Files:    &types.VirtualMachineFileInfo{VmPathName: "[" + ds.Name + "]"},
	}
	hostObj := object.NewHostSystem(c.Client, ref("HostSystem", host))
	t, err := object.NewFolder(c.Client, dcmo.VmFolder).CreateVM(ctx, spec,
		object.NewResourcePool(c.Client, *cr.ResourcePool), hostObj)
	return nil, awaitNewVM(ctx, res, req.Name, t, err)
}

// datacenterOf walks up the parents of an entity to its datacenter.
func datacenterOf(ctx context.Context, c *govmomi.Client, r types.ManagedObjectReference) (*object.Datacenter, error) {
	pc := property.DefaultCollector(c.Client)
	for i := 0; i < 32; i++ {
		if r.Type == "Datacenter" {
			return object.NewDatacenter(c.Client, r), nil
		}
		var me mo.ManagedEntity
		if err := pc.RetrieveOne(ctx, r, []string{"parent"}, &me); err != nil {
			return nil, err
		}
		if me.Parent == nil {
			break
		}
		r = *me.Parent
	}
	return nil, fmt.Errorf("%s is not inside a datacenter", r.Value)
}

// hostEvent builds the arguments vcsim itself gives a host event (HostSystem.event in
// simulator/host_system.go): datacenter, parent compute resource and host.
func hostEvent(ctx context.Context, c *govmomi.Client, host types.ManagedObjectReference) (types.HostEvent, error) {
	pc := property.DefaultCollector(c.Client)
	var h mo.HostSystem
	if err := pc.RetrieveOne(ctx, host, []string{"name", "parent"}, &h); err != nil {
		return types.HostEvent{}, err
	}
	var parent mo.ManagedEntity
	if err := pc.RetrieveOne(ctx, *h.Parent, []string{"name"}, &parent); err != nil {
		return types.HostEvent{}, err
	}
	dc, err := datacenterOf(ctx, c, host)
	if err != nil {
		return types.HostEvent{}, err
	}
	var dcme mo.ManagedEntity
	if err := pc.RetrieveOne(ctx, dc.Reference(), []string{"name"}, &dcme); err != nil {
		return types.HostEvent{}, err
	}
	return types.HostEvent{Event: types.Event{
		Datacenter: &types.DatacenterEventArgument{
			EntityEventArgument: types.EntityEventArgument{Name: dcme.Name}, Datacenter: dc.Reference(),
		},
		ComputeResource: &types.ComputeResourceEventArgument{
			EntityEventArgument: types.EntityEventArgument{Name: parent.Name}, ComputeResource: *h.Parent,
		},
		Host: &types.HostEventArgument{
			EntityEventArgument: types.EntityEventArgument{Name: h.Name}, Host: host,
		},
	}}, nil
}

func post(ctx context.Context, c *govmomi.Client, e types.BaseEvent) error {
	return event.NewManager(c.Client).PostEvent(ctx, e)
}

func (d *driver) maintenance(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult, enter bool) ([]string, error) {
	host, err := find(ctx, c, "HostSystem", req.Host)
	if err != nil {
		return nil, err
	}
	res.Host = &host
	postEvents := req.PostEvents == nil || *req.PostEvents
	var args types.HostEvent
	if postEvents {
		if args, err = hostEvent(ctx, c, ref("HostSystem", host)); err != nil {
			return nil, err
		}
	}
	var posted []string
	// announce posts a maintenance event (unless asked not to) and records its class.
	announce := func(e types.BaseEvent, class string) error {
		if !postEvents {
			return nil
		}
		if err := post(ctx, c, e); err != nil {
			return err
		}
		posted = append(posted, class)
		return nil
	}
	o := object.NewHostSystem(c.Client, ref("HostSystem", host))
	if enter {
		if err := announce(&types.EnteringMaintenanceModeEvent{HostEvent: args}, "EnteringMaintenanceModeEvent"); err != nil {
			return nil, err
		}
		t, err := o.EnterMaintenanceMode(ctx, 0, false, nil)
		if err := await(ctx, t, err); err != nil {
			return posted, err
		}
		return posted, announce(&types.EnteredMaintenanceModeEvent{HostEvent: args}, "EnteredMaintenanceModeEvent")
	}
	t, err := o.ExitMaintenanceMode(ctx, 0)
	if err := await(ctx, t, err); err != nil {
		return nil, err
	}
	if err := announce(&types.ExitMaintenanceModeEvent{HostEvent: args}, "ExitMaintenanceModeEvent"); err != nil {
		return nil, err
	}
	return posted, nil
}

func (d *driver) enterMaintenance(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	return d.maintenance(ctx, c, req, res, true)
}

func (d *driver) exitMaintenance(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	return d.maintenance(ctx, c, req, res, false)
}

// postEvent posts an EventEx or ExtendedEvent (vcsim records neither class on its own) through
// EventManager.PostEvent, about a VM or a host when one is named.
func (d *driver) postEvent(ctx context.Context, c *govmomi.Client, req *actionRequest, res *actionResult) ([]string, error) {
	if req.EventTypeID == "" {
		return nil, badRequest("eventTypeId is required")
	}
	var base types.Event
	var entity types.ManagedObjectReference
	var entityName string
	switch {
	case req.VM != "":
		vm, err := find(ctx, c, "VirtualMachine", req.VM)
		if err != nil {
			return nil, err
		}
		res.VM = &vm
		var m mo.VirtualMachine
		if err := property.DefaultCollector(c.Client).RetrieveOne(ctx, ref("VirtualMachine", vm), []string{"runtime.host"}, &m); err != nil {
			return nil, err
		}
		if m.Runtime.Host != nil {
			he, err := hostEvent(ctx, c, *m.Runtime.Host)
			if err != nil {
				return nil, err
			}
			base = he.Event
		}
		entity, entityName = ref("VirtualMachine", vm), vm.Name
		base.Vm = &types.VmEventArgument{EntityEventArgument: types.EntityEventArgument{Name: vm.Name}, Vm: entity}
	case req.Host != "":
		host, err := find(ctx, c, "HostSystem", req.Host)
		if err != nil {
			return nil, err
		}
		res.Host = &host
		entity, entityName = ref("HostSystem", host), host.Name
		he, err := hostEvent(ctx, c, entity)
		if err != nil {
			return nil, err
		}
		base = he.Event
	}
	var e types.BaseEvent
	switch req.Class {
	case "eventex":
		ex := &types.EventEx{Event: base, EventTypeId: req.EventTypeID, Severity: "info", Message: req.Message}
		if entity.Value != "" {
			ex.ObjectId, ex.ObjectType, ex.ObjectName = entity.Value, entity.Type, entityName
		}
		e = ex
	case "extendedevent":
		if entity.Value == "" {
			return nil, badRequest("an extendedevent needs a vm or host (its managedObject)")
		}
		e = &types.ExtendedEvent{
			GeneralEvent: types.GeneralEvent{Event: base, Message: req.Message},
			EventTypeId:  req.EventTypeID, ManagedObject: entity,
		}
	default:
		return nil, badRequest("class must be eventex or extendedevent")
	}
	if err := post(ctx, c, e); err != nil {
		return nil, err
	}
	return []string{req.EventTypeID}, nil
}
