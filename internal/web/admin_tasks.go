package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/segl/segl/internal/queue"
	"github.com/segl/segl/internal/store"
)

// Background tasks that gave up (the queue's dead letter): a notice that
// could never be delivered, a callback its receiver kept refusing. The
// operator sees them here, with the last error, to put right what caused
// it; the job itself is unaffected.

type adminTasksView struct {
	Available bool // a queue is configured
	Tasks     []deadTaskView
	// Renewals are archived documents due for a new document time-stamp
	// within renewalsWithin; failed renewal tasks are among Tasks.
	Renewals []store.DocRef
}

// renewalsWithin is how far ahead the page lists due renewals.
const renewalsWithin = 30 * 24 * time.Hour

type deadTaskView struct {
	Kind, Org, Job, Error string
	Attempts              int
	At                    time.Time
}

// adminTasks lists the newest dead tasks.
func (w *Web) adminTasks(rw http.ResponseWriter, r *http.Request, s Session) error {
	dead, err := w.staff.Admin.FailedTasks(r.Context(), adminOf(s), 200)
	if err != nil {
		return err
	}
	renewals, err := w.staff.Admin.DueRenewals(r.Context(), adminOf(s), renewalsWithin, 200)
	if err != nil {
		return err
	}
	v := adminTasksView{Available: w.staff.Admin.Queue != nil, Renewals: renewals}
	for _, t := range dead {
		v.Tasks = append(v.Tasks, deadTask(t))
	}
	w.Render(rw, r, "admin_tasks", v)
	return nil
}

// deadTask shows a task; the organisation and job come from its payload
// when it names them.
func deadTask(t queue.Job) deadTaskView {
	var ref struct{ Org, Job string }
	json.Unmarshal(t.Payload, &ref) // best effort: a payload that does not parse is one reason a task dies
	return deadTaskView{Kind: t.Kind, Org: ref.Org, Job: ref.Job, Error: t.Error, Attempts: t.Attempt, At: t.RunAt}
}
