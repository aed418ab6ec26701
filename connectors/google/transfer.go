package google

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	datatransfer "google.golang.org/api/admin/datatransfer/v1"
	directory "google.golang.org/api/admin/directory/v1"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// The Data Transfer applications offboard moves, by the names
// applications.list gives them, and their parameters as Google's
// "Transfer parameters" page documents them: both privacy levels move
// every Drive file (SHARED alone is Google's default); RELEASE_RESOURCES
// frees the rooms booked for the leaver's future events.
const (
	appDriveName    = "Drive and Docs"
	appCalendarName = "Calendar"
)

// Transfer statuses Google's DataTransfer resources carry (Google
// documents no enum; new and inProgress are the pending ones).
const (
	transferCompleted = "completed"
	transferFailed    = "failed"
)

// recentTransfer is how old a completed transfer between the same two
// people may be and still count as this task's (a rerun after a restart
// finds its finished transfer); an older one is someone else's, and a
// new transfer moves what the leaver owns since.
const recentTransfer = 7 * 24 * time.Hour

// transferApps are the application ids of one customer.
type transferApps struct{ drive, calendar int64 }

// followed is the transfer a job started or found, so its next checks
// ask Google about that transfer alone (one request) and a failure it
// ends with is reported to that job, while a Retry (a new job) starts a
// new transfer. It is memory only: after a restart the job finds its
// transfer again by listing the pair's transfers.
type followed struct {
	id, leaverID, leaverEmail, receiverID, receiverEmail string
}

// transferMemory is what the connector remembers between runs of its
// transfer jobs (memory only, per connector): the application ids, fixed
// per customer (the lookup would cost a request per check), and the
// transfer each job follows.
type transferMemory struct {
	mu        sync.Mutex
	apps      transferApps
	haveApps  bool
	following map[string]followed
}

// maxListPages bounds a list Google pages through: a server that keeps
// answering a next page token must not hold a job until its timeout.
const maxListPages = 100

// maxFollowed bounds the memory: a job whose case was cancelled mid-
// transfer never ends its entry. Past it an entry is forgotten, and its
// job finds its transfer again by the pair.
const maxFollowed = 10000

func (g *Google) follow(job string, f followed) {
	m := &g.transfers
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.following == nil {
		m.following = map[string]followed{}
	}
	if len(m.following) >= maxFollowed {
		for k := range m.following {
			delete(m.following, k)
			break
		}
	}
	m.following[job] = f
}

func (g *Google) followedBy(job string) (followed, bool) {
	m := &g.transfers
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.following[job]
	return f, ok
}

func (g *Google) unfollow(job string) {
	m := &g.transfers
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.following, job)
}

// receiver reads the person a handover goes to: a user of this Workspace
// (Google moves data and delegates mail only within the organisation),
// active, and not the leaver. Google answers an alias with the user, so
// the primary address and the id come from the answer.
func (g *Google) receiver(ctx context.Context, req connectors.Request, what string) (*directory.User, error) {
	to := lower(req.Params["to"])
	if to == "" {
		return nil, offboard.Errorf(offboard.EINVALID,
			"no one was chosen to receive %s: the manager must choose a person of the organisation (the task's parameter \"to\") before offboard can hand it over", what)
	}
	u, err := g.user(ctx, offboard.Target{Email: to})
	if offboard.ErrorCode(err) == offboard.ENOTFOUND {
		return nil, offboard.Errorf(offboard.EINVALID,
			"%s is not a user of this Google Workspace: Google hands %s over only to an active user of the same organisation; the manager must choose someone else", to, what)
	}
	if offboard.ErrorCode(err) == offboard.EFORBIDDEN && domainOf(to) != domainOf(req.Target.Email) {
		// Google answers 403 forbidden, not 404, for an address of a
		// domain the customer does not have: not a missing scope.
		return nil, offboard.Errorf(offboard.EINVALID,
			"%s is not a user of this Google Workspace (Google refuses to read it: another organisation's address, or outside what %s administers): Google hands %s over only to an active user of the same organisation; the manager must choose someone else",
			to, g.c.admin, what)
	}
	if err != nil {
		return nil, err
	}
	if u.Suspended || u.Archived {
		return nil, offboard.Errorf(offboard.EINVALID,
			"%s's Google account is %s: Google hands %s over only to an active user; unsuspend them or choose someone else", u.PrimaryEmail, accountState(u), what)
	}
	return u, nil
}

// domainOf is the domain of an email address, lower case.
func domainOf(email string) string {
	_, d, _ := strings.Cut(lower(email), "@")
	return d
}

// transferFiles moves the leaver's Drive files and calendars to the
// person the manager chose with Google's Data Transfer API. Google takes
// hours for a large Drive: the first run starts the transfer and answers
// "in progress"; later runs of the same job ask about it until Google
// says completed (done) or failed (a permanent error; a Retry starts a
// new transfer). A second transfer for the same two people is never
// started while one is pending.
func (g *Google) transferFiles(ctx context.Context, req connectors.Request) (connectors.Result, error) {
	svc, err := g.c.DataTransfer(ctx)
	if err != nil {
		return connectors.Result{}, err
	}
	if f, ok := g.followedBy(req.JobID); ok {
		t, err := svc.Transfers.Get(f.id).Context(ctx).Do()
		if err == nil {
			return g.transferState(req, f, t)
		}
		cl := call{what: "read the Data Transfer " + f.id, scope: ScopeDataTransfer, subject: g.c.admin}
		if ferr := g.c.fail(cl, err); offboard.ErrorCode(ferr) != offboard.ENOTFOUND {
			return connectors.Result{}, ferr
		}
		// Gone at Google: look the pair's transfers up afresh.
		g.unfollow(req.JobID)
	}
	to, err := g.receiver(ctx, req, "Drive files and calendars")
	if err != nil {
		return connectors.Result{}, err
	}
	from, err := g.user(ctx, req.Target)
	if err != nil {
		return connectors.Result{}, err
	}
	if from.Id == to.Id {
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID,
			"the Drive files of %s cannot be transferred to %s, the leaver themself: the manager must choose someone else", from.PrimaryEmail, req.Params["to"])
	}
	f := followed{leaverID: from.Id, leaverEmail: from.PrimaryEmail, receiverID: to.Id, receiverEmail: to.PrimaryEmail}
	pending, latest, err := g.pairTransfers(ctx, svc, f)
	if err != nil {
		return connectors.Result{}, err
	}
	switch {
	case pending != nil:
		f.id = pending.Id
		g.follow(req.JobID, f)
		return g.transferState(req, f, pending)
	case latest != nil && latest.OverallTransferStatusCode == transferCompleted && g.recent(latest):
		res, err := g.transferState(req, f, latest)
		res.AlreadyDone = err == nil && res.Verified
		return res, err
	}
	apps, err := g.applications(ctx, svc)
	if err != nil {
		return connectors.Result{}, err
	}
	t, err := svc.Transfers.Insert(&datatransfer.DataTransfer{
		OldOwnerUserId: from.Id, NewOwnerUserId: to.Id,
		ApplicationDataTransfers: []*datatransfer.ApplicationDataTransfer{
			{ApplicationId: apps.drive, ApplicationTransferParams: []*datatransfer.ApplicationTransferParam{
				{Key: "PRIVACY_LEVEL", Value: []string{"PRIVATE", "SHARED"}}}},
			{ApplicationId: apps.calendar, ApplicationTransferParams: []*datatransfer.ApplicationTransferParam{
				{Key: "RELEASE_RESOURCES", Value: []string{"TRUE"}}}},
		},
	}).Context(ctx).Do()
	if err != nil {
		return connectors.Result{}, g.c.fail(call{what: "start the Data Transfer of Drive and Calendar from " + from.PrimaryEmail + " to " + to.PrimaryEmail,
			scope: ScopeDataTransfer, subject: g.c.admin}, err)
	}
	if t.Id == "" {
		// Nothing to follow: the next run finds it by the pair, if Google
		// started it.
		return connectors.Result{}, fmt.Errorf("google: Data Transfer from %s to %s answered without a transfer id", from.PrimaryEmail, to.PrimaryEmail)
	}
	f.id = t.Id
	g.follow(req.JobID, f)
	res, err := g.transferState(req, f, t)
	if err == nil && latest != nil && latest.OverallTransferStatusCode == transferFailed {
		res.Evidence["previous_transfer"] = upstream(latest.Id) + " failed"
	}
	return res, err
}

func (g *Google) recent(t *datatransfer.DataTransfer) bool {
	at := requestTime(t)
	return !at.IsZero() && g.c.now().Sub(at) < recentTransfer
}

// requestTime is when the transfer was asked for (zero when Google's
// answer has no readable time).
func requestTime(t *datatransfer.DataTransfer) time.Time {
	at, err := time.Parse(time.RFC3339Nano, t.RequestTime)
	if err != nil {
		return time.Time{}
	}
	return at
}

// pairTransfers lists the transfers from one person to the other: the
// newest pending one, and the newest of all.
func (g *Google) pairTransfers(ctx context.Context, svc *datatransfer.Service, f followed) (pending, latest *datatransfer.DataTransfer, err error) {
	var all []*datatransfer.DataTransfer
	pages := 0
	err = svc.Transfers.List().OldOwnerUserId(f.leaverID).NewOwnerUserId(f.receiverID).Context(ctx).
		Pages(ctx, func(p *datatransfer.DataTransfersListResponse) error {
			for _, t := range p.DataTransfers {
				// Google filters by the pair; a transfer of others is not
				// taken on trust as this one.
				if t != nil && t.OldOwnerUserId == f.leaverID && t.NewOwnerUserId == f.receiverID {
					all = append(all, t)
				}
			}
			pages++
			if len(all) > 1000 || pages > maxListPages {
				return fmt.Errorf("google: more than 1,000 transfers (or %d pages) from %s to %s", maxListPages, f.leaverEmail, f.receiverEmail)
			}
			return nil
		})
	if err != nil {
		return nil, nil, g.c.fail(call{what: "list the Data Transfers from " + f.leaverEmail + " to " + f.receiverEmail,
			scope: ScopeDataTransfer, subject: g.c.admin}, err)
	}
	// Newest first; a time that does not parse sorts last rather than
	// being trusted.
	sort.SliceStable(all, func(i, j int) bool { return requestTime(all[i]).After(requestTime(all[j])) })
	for _, t := range all {
		if t.OverallTransferStatusCode != transferCompleted && t.OverallTransferStatusCode != transferFailed {
			return t, all[0], nil
		}
	}
	if len(all) > 0 {
		latest = all[0]
	}
	return nil, latest, nil
}

// applications finds the ids of Drive and Calendar in applications.list,
// once per Client.
func (g *Google) applications(ctx context.Context, svc *datatransfer.Service) (transferApps, error) {
	g.transfers.mu.Lock()
	apps, ok := g.transfers.apps, g.transfers.haveApps
	g.transfers.mu.Unlock()
	if ok {
		return apps, nil
	}
	cl := call{what: "list the Data Transfer applications", scope: ScopeDataTransfer, subject: g.c.admin}
	list := svc.Applications.List()
	if g.c.customer != DefaultCustomer {
		// Google documents customerId as the immutable id; without it the
		// admin's own customer is meant.
		list = list.CustomerId(g.c.customer)
	}
	pages := 0
	err := list.Context(ctx).Pages(ctx, func(p *datatransfer.ApplicationsListResponse) error {
		if pages++; pages > maxListPages {
			return fmt.Errorf("google: more than %d pages of Data Transfer applications", maxListPages)
		}
		for _, a := range p.Applications {
			switch {
			case a == nil:
			case strings.EqualFold(a.Name, appDriveName):
				apps.drive = a.Id
			case strings.EqualFold(a.Name, appCalendarName):
				apps.calendar = a.Id
			}
		}
		return nil
	})
	if err != nil {
		return transferApps{}, g.c.fail(cl, err)
	}
	var missing []string
	if apps.drive == 0 {
		missing = append(missing, appDriveName)
	}
	if apps.calendar == 0 {
		missing = append(missing, appCalendarName)
	}
	if len(missing) > 0 {
		return transferApps{}, offboard.Errorf(offboard.EINVALID,
			"Google's Data Transfer API lists no %s application for this Workspace: transfer the files in the Admin console (Apps, Google Workspace, Drive and Docs, Transfer ownership) and mark the task done",
			strings.Join(missing, " or "))
	}
	g.transfers.mu.Lock()
	g.transfers.apps, g.transfers.haveApps = apps, true
	g.transfers.mu.Unlock()
	return apps, nil
}

// appName names a Data Transfer application for evidence.
func (g *Google) appName(id int64) string {
	g.transfers.mu.Lock()
	a := g.transfers.apps
	g.transfers.mu.Unlock()
	// The ids Google's "Transfer parameters" page lists, for a transfer
	// found before this Client looked the applications up.
	switch id {
	case a.drive, 55656082996:
		return "drive_and_docs"
	case a.calendar, 435070579839:
		return "calendar"
	}
	return "application_" + strconv.FormatInt(id, 10)
}

// transferState turns Google's word on a transfer into the task's
// result: completed is done, failed a permanent error, anything else
// still in progress.
func (g *Google) transferState(req connectors.Request, f followed, t *datatransfer.DataTransfer) (connectors.Result, error) {
	status := upstream(t.OverallTransferStatusCode)
	ev := map[string]string{"transfer_id": upstream(t.Id), "status": status, "old_owner": f.leaverEmail, "new_owner": f.receiverEmail,
		"requested_at": upstream(t.RequestTime),
		// Google's DataTransfer resource carries statuses, not counts:
		// the numbers are in the email Google sends the admin and both
		// owners when it ends.
		"counts": "not reported by Google's Data Transfer API (its resource holds statuses only)"}
	var apps []string
	allDone := len(t.ApplicationDataTransfers) > 0
	for _, a := range t.ApplicationDataTransfers {
		if a == nil {
			continue
		}
		name, st := g.appName(a.ApplicationId), upstream(a.ApplicationTransferStatus)
		ev[name] = st
		apps = append(apps, name+" "+st)
		allDone = allDone && a.ApplicationTransferStatus == transferCompleted
	}
	switch status {
	case transferCompleted:
		g.unfollow(req.JobID)
		res := connectors.Result{Verified: allDone, Evidence: ev, UserID: f.leaverID,
			Summary: "Drive and Calendar transferred to " + f.receiverEmail}
		if !allDone {
			res.Summary = fmt.Sprintf("Google ended the transfer to %s completed, but not for every application (%s)", f.receiverEmail, strings.Join(apps, ", "))
		}
		return res, nil
	case transferFailed:
		g.unfollow(req.JobID)
		return connectors.Result{}, offboard.Errorf(offboard.EINVALID,
			"Google's Data Transfer %s of Drive and Calendar from %s to %s ended %s (%s): Google emails the reason to the admin (a full Drive of the receiver is the usual one); fix it and Retry, which starts a new transfer",
			ev["transfer_id"], f.leaverEmail, f.receiverEmail, status, strings.Join(apps, ", "))
	}
	return connectors.Result{InProgress: true, CheckAfter: g.checkEvery, Evidence: ev, UserID: f.leaverID,
		Summary: fmt.Sprintf("Drive and Calendar transfer to %s in progress (id %s, Google says %s)", f.receiverEmail, ev["transfer_id"], status)}, nil
}

// upstream is a value of Google's answer fit for evidence and messages:
// bounded, whatever Google sent.
func upstream(s string) string { return offboard.UpstreamText([]byte(s)) }
