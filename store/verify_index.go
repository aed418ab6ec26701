package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/offboard-dev/offboard"
)

// IndexProblem is an index entry that disagrees with the records or the
// audit chain it is derived from, or a record that disagrees with its
// own key.
type IndexProblem struct {
	// Index is the bucket with the problem: an index ("audit_by_case",
	// "idx_email", …) or a bucket of records ("cases", …).
	Index string `json:"index"`
	// CaseID is the case the entry belongs to, when it names one.
	CaseID offboard.CaseID `json:"case_id,omitempty"`
	// Problem says what is wrong, for a person.
	Problem string `json:"problem"`
}

func (p IndexProblem) String() string {
	kind := "bucket"
	switch p.Index {
	case string(bucketAuditCase), string(bucketApprovalsCase), string(bucketJobQueue), string(bucketJobsCase),
		string(bucketIdxEmail), string(bucketIdxStatus), string(bucketIdxDue), string(bucketIdxRevoked), string(bucketIdxClosed):
		kind = "index"
	}
	if p.CaseID != "" {
		return fmt.Sprintf("%s %s, case %s: %s", kind, p.Index, p.CaseID, p.Problem)
	}
	return fmt.Sprintf("%s %s: %s", kind, p.Index, p.Problem)
}

// MaxIndexProblems bounds the list VerifyIndexes returns; one deleted
// bucket would otherwise list every record.
const MaxIndexProblems = 100

// derivedIndex is an index bucket and how to name what its keys stand for.
type derivedIndex struct {
	name []byte
	// describe names the case and the thing an index key stands for.
	describe func(k []byte) (offboard.CaseID, string)
}

// indexSource is a bucket of records and the indexes derived from it.
type indexSource struct {
	bucket  []byte
	indexes []derivedIndex
	// keys returns one record's key in each of indexes (nil: none), or
	// what is wrong with the record.
	keys func(k, v []byte) ([][]byte, error)
}

// VerifyIndexes checks, in one read transaction, that every index holds
// exactly the entries its source implies: audit_by_case against the audit
// chain; idx_email, idx_status, idx_revoked and idx_closed (once built)
// against the cases; idx_due against the tasks; jobq and jobs_by_case against the
// jobs; approvals_by_case against the approvals. It also checks that records sit under their own key,
// that dedupe records name existing cases, and that bucket sequences are
// not behind the numbers they handed out. A missing or extra entry would
// make a case's audit export or a query silently incomplete while the
// chain itself verifies.
//
// An empty result means every index agrees. Errors are for a cancelled
// ctx or an unreadable store (a *CorruptError).
func (db *DB) VerifyIndexes(ctx context.Context) ([]IndexProblem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var problems []IndexProblem
	report := func(p IndexProblem) {
		if len(problems) < MaxIndexProblems {
			problems = append(problems, p)
		}
	}
	err := withFaultsAsPanics(db.path, func() error {
		return db.view(func(btx *bolt.Tx) error {
			if err := checkAuditIndex(ctx, btx, report); err != nil {
				return err
			}
			for _, src := range indexSources() {
				if err := checkDerived(ctx, btx, src, report); err != nil {
					return err
				}
			}
			if err := checkTimeIndexes(ctx, btx, report); err != nil {
				return err
			}
			checkDedupe(btx, report)
			checkWakes(btx, report)
			checkSequences(btx, report)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: verify indexes: %w", err)
	}
	return problems, nil
}

// The records as far as the indexes need them: decoding only these
// fields keeps a check of 100,000 cases fast.
type (
	caseRecord struct {
		ID       offboard.CaseID `json:"id"`
		Employee struct {
			Email string `json:"email"`
		} `json:"employee"`
		Status offboard.CaseStatus `json:"status"`
	}
	jobRecord struct {
		ID        string            `json:"id"`
		CaseID    offboard.CaseID   `json:"case_id"`
		Priority  offboard.Priority `json:"priority"`
		NotBefore time.Time         `json:"not_before"`
		Seq       uint64            `json:"seq"`
		Leased    bool              `json:"leased"`
	}
	approvalRecord struct {
		ID     string          `json:"id"`
		CaseID offboard.CaseID `json:"case_id"`
	}
)

func indexSources() []indexSource {
	byCase := func(what string) func(k []byte) (offboard.CaseID, string) {
		return func(k []byte) (offboard.CaseID, string) {
			id, rest := splitKey(k)
			return offboard.CaseID(id), what + " " + rest
		}
	}
	return []indexSource{
		{bucket: bucketCases, indexes: []derivedIndex{
			{name: bucketIdxEmail, describe: func(k []byte) (offboard.CaseID, string) {
				email, id := splitKey(k)
				return offboard.CaseID(id), "email " + email
			}},
			{name: bucketIdxStatus, describe: func(k []byte) (offboard.CaseID, string) {
				st, id := splitKey(k)
				return offboard.CaseID(id), "status " + st
			}},
		}, keys: func(k, v []byte) ([][]byte, error) {
			c, err := decodeUnder(k, v, func(c *caseRecord) string { return string(c.ID) })
			if err != nil {
				return nil, err
			}
			var byEmail []byte
			if email := normEmail(c.Employee.Email); email != "" {
				byEmail = joinKey(email, string(c.ID))
			}
			return [][]byte{byEmail, joinKey(string(c.Status), string(c.ID))}, nil
		}},
		{bucket: bucketTasks, indexes: []derivedIndex{
			{name: bucketIdxDue, describe: func(k []byte) (offboard.CaseID, string) {
				if len(k) < 8 {
					return "", fmt.Sprintf("key %q", k)
				}
				id, task := splitKey(k[8:])
				at := time.Unix(0, int64(binary.BigEndian.Uint64(k))).UTC().Format(time.RFC3339)
				return offboard.CaseID(id), fmt.Sprintf("task %s due %s", task, at)
			}},
		}, keys: func(k, v []byte) ([][]byte, error) {
			tk, err := decodeUnder(k, v, func(tk *taskIndexed) string { return string(joinKey(string(tk.CaseID), tk.Key)) })
			if err != nil {
				return nil, err
			}
			return [][]byte{dueKey(&offboard.Task{CaseID: tk.CaseID, Key: tk.Key, Status: tk.Status, RunAt: tk.RunAt})}, nil
		}},
		{bucket: bucketJobs, indexes: []derivedIndex{
			{name: bucketJobQueue, describe: func(k []byte) (offboard.CaseID, string) {
				if len(k) < queueKeyPrefix {
					return "", fmt.Sprintf("key %q", k)
				}
				id := k[queueKeyPrefix:]
				caseID, _, _ := bytes.Cut(id, []byte("/"))
				return offboard.CaseID(caseID), "queued job " + string(id)
			}},
			{name: bucketJobsCase, describe: byCase("job")},
		}, keys: func(k, v []byte) ([][]byte, error) {
			j, err := decodeUnder(k, v, func(j *jobRecord) string { return j.ID })
			if err != nil {
				return nil, err
			}
			var queued, byCase []byte
			if !j.Leased {
				queued = queueKey(&offboard.Job{ID: j.ID, Priority: j.Priority, NotBefore: j.NotBefore, Seq: j.Seq})
			}
			if j.CaseID != "" {
				byCase = joinKey(string(j.CaseID), j.ID)
			}
			return [][]byte{queued, byCase}, nil
		}},
		{bucket: bucketApprovals, indexes: []derivedIndex{
			{name: bucketApprovalsCase, describe: byCase("approval")},
		}, keys: func(k, v []byte) ([][]byte, error) {
			a, err := decodeUnder(k, v, func(a *approvalRecord) string { return a.ID })
			if err != nil {
				return nil, err
			}
			return [][]byte{joinKey(string(a.CaseID), a.ID)}, nil
		}},
	}
}

// decodeUnder decodes a record and checks that it is stored under its
// own key.
func decodeUnder[T any](k, v []byte, keyOf func(*T) string) (*T, error) {
	var r T
	if v == nil {
		return nil, fmt.Errorf("key %q holds a bucket, not a record", k)
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("the record under key %q does not decode: %v", k, err)
	}
	if own := keyOf(&r); own != string(k) {
		return nil, fmt.Errorf("the record under key %q says its key is %q", k, own)
	}
	return &r, nil
}

// checkDerived compares the indexes of a source with the keys its
// records imply.
func checkDerived(ctx context.Context, btx *bolt.Tx, src indexSource, report func(IndexProblem)) error {
	want := make([]map[string]bool, len(src.indexes))
	for i := range want {
		want[i] = map[string]bool{}
	}
	c := btx.Bucket(src.bucket).Cursor()
	n := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if n++; n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		keys, err := src.keys(k, v)
		if err != nil {
			report(IndexProblem{Index: string(src.bucket), Problem: err.Error()})
			continue
		}
		for i, ik := range keys {
			if ik != nil {
				want[i][string(ik)] = true
			}
		}
	}
	for i, d := range src.indexes {
		c := btx.Bucket(d.name).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if want[i][string(k)] && v != nil && len(v) == 0 {
				delete(want[i], string(k))
				continue
			}
			id, what := d.describe(k)
			report(IndexProblem{Index: string(d.name), CaseID: id,
				Problem: fmt.Sprintf("has an entry for %s that no %s record implies", what, src.bucket)})
		}
		missing := make([]string, 0, len(want[i]))
		for k := range want[i] {
			missing = append(missing, k)
		}
		slices.Sort(missing)
		for _, k := range missing {
			id, what := d.describe([]byte(k))
			report(IndexProblem{Index: string(d.name), CaseID: id, Problem: fmt.Sprintf("the entry for %s is missing", what)})
		}
	}
	return nil
}

// checkAuditIndex compares audit_by_case with the chain. It keeps the
// sequence numbers of each case's events (8 bytes an event) rather than
// a set of keys.
func checkAuditIndex(ctx context.Context, btx *bolt.Tx, report func(IndexProblem)) error {
	audit := btx.Bucket(bucketAudit)
	byCase := map[offboard.CaseID][]uint64{}
	caseOf := map[uint64]offboard.CaseID{}
	c := audit.Cursor()
	n := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if n++; n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var e struct {
			CaseID offboard.CaseID `json:"case_id"`
		}
		// An event that does not decode is VerifyAudit's to report.
		if len(k) != 8 || v == nil || json.Unmarshal(v, &e) != nil || e.CaseID == "" {
			continue
		}
		byCase[e.CaseID] = append(byCase[e.CaseID], seqOf(k))
	}
	// Walk the index case by case; within a case its keys are in sequence
	// order, as the chain is.
	next := map[offboard.CaseID]int{}
	missing := func(id offboard.CaseID, upTo uint64) {
		seqs := byCase[id]
		for ; next[id] < len(seqs) && seqs[next[id]] < upTo; next[id]++ {
			report(IndexProblem{Index: string(bucketAuditCase), CaseID: id,
				Problem: fmt.Sprintf("the entry for event %d is missing (audit export --case would leave it out)", seqs[next[id]])})
		}
	}
	ic := btx.Bucket(bucketAuditCase).Cursor()
	for k, v := ic.First(); k != nil; k, v = ic.Next() {
		idPart, seqPart, ok := bytes.Cut(k, []byte{0})
		id := offboard.CaseID(idPart)
		if !ok || len(seqPart) != 8 || v == nil || len(v) != 0 {
			report(IndexProblem{Index: string(bucketAuditCase), CaseID: id, Problem: fmt.Sprintf("has a malformed entry %q", k)})
			continue
		}
		seq := binary.BigEndian.Uint64(seqPart)
		missing(id, seq)
		seqs := byCase[id]
		if i := next[id]; i < len(seqs) && seqs[i] == seq {
			next[id]++
			continue
		}
		problem := fmt.Sprintf("has an entry for event %d", seq)
		switch owner, found := caseOfEvent(audit, seq, caseOf); {
		case !found:
			problem += ", but there is no such event"
		case owner == "":
			problem += ", which belongs to no case"
		default:
			problem += fmt.Sprintf(", which belongs to case %s", owner)
		}
		report(IndexProblem{Index: string(bucketAuditCase), CaseID: id, Problem: problem})
	}
	ids := make([]offboard.CaseID, 0, len(byCase))
	for id := range byCase {
		ids = append(ids, id)
	}
	sortCaseIDs(ids)
	for _, id := range ids {
		missing(id, ^uint64(0))
	}
	return nil
}

// caseOfEvent reads the case of one event, for a report.
func caseOfEvent(audit *bolt.Bucket, seq uint64, cache map[uint64]offboard.CaseID) (offboard.CaseID, bool) {
	if id, ok := cache[seq]; ok {
		return id, true
	}
	v := audit.Get(u64(seq))
	if v == nil {
		return "", false
	}
	var e struct {
		CaseID offboard.CaseID `json:"case_id"`
	}
	_ = json.Unmarshal(v, &e)
	cache[seq] = e.CaseID
	return e.CaseID, true
}

// checkDedupe checks that every dedupe record decodes and names a case
// that exists.
func checkDedupe(btx *bolt.Tx, report func(IndexProblem)) {
	cases := btx.Bucket(bucketCases)
	c := btx.Bucket(bucketDedupe).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var r dedupeRecord
		if v == nil || json.Unmarshal(v, &r) != nil {
			report(IndexProblem{Index: string(bucketDedupe), Problem: fmt.Sprintf("the record for source event %q does not decode", k)})
			continue
		}
		if r.CaseID != "" && cases.Get([]byte(r.CaseID)) == nil {
			report(IndexProblem{Index: string(bucketDedupe), CaseID: r.CaseID,
				Problem: fmt.Sprintf("source event %q points at a case that does not exist", k)})
		}
	}
}

// checkSequences checks the bucket sequences: the ones that number cases,
// approvals and jobs are at least the highest number in use (a lower one
// would hand out a number twice), and the others were never used.
func checkSequences(btx *bolt.Tx, report func(IndexProblem)) {
	highest := func(bucket []byte, number func(k, v []byte) uint64) uint64 {
		var top uint64
		c := btx.Bucket(bucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			top = max(top, number(k, v))
		}
		return top
	}
	caseNo := func(k, _ []byte) uint64 { n, _ := offboard.CaseID(k).Number(); return n }
	approvalNo := func(k, _ []byte) uint64 { n, _ := approvalNumber(string(k)); return n }
	jobSeq := func(_, v []byte) uint64 {
		var j struct {
			Seq uint64 `json:"seq"`
		}
		_ = json.Unmarshal(v, &j)
		return j.Seq
	}
	numbered := map[string]uint64{
		string(bucketCases):     highest(bucketCases, caseNo),
		string(bucketApprovals): highest(bucketApprovals, approvalNo),
		string(bucketJobs):      max(highest(bucketJobs, jobSeq), highest(bucketDead, jobSeq)),
	}
	for _, name := range allBuckets() {
		seq := btx.Bucket(name).Sequence()
		top, counts := numbered[string(name)]
		switch {
		case string(name) == string(bucketAudit):
			// VerifyAudit checks the audit sequence against the chain.
		case counts && seq < top:
			report(IndexProblem{Index: string(name), Problem: fmt.Sprintf("its sequence is %d, behind the highest number in use, %d", seq, top)})
		case !counts && seq != 0:
			report(IndexProblem{Index: string(name), Problem: fmt.Sprintf("its sequence is %d, but it never numbers anything", seq)})
		}
	}
}
