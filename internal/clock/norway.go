package clock

import (
	"time"
	_ "time/tzdata" // Europe/Oslo must load on a host without zoneinfo
)

// Norway is the time zone of every time segl shows a person: deadlines on
// pages and in notices, the signature page, the usage months and the
// development mail view. segl serves Norwegian public bodies, and "15:00"
// or "March" must mean them where the reader is, whatever zone the server
// runs in.
var Norway = mustLoad("Europe/Oslo")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("clock: " + err.Error()) // cannot happen: time/tzdata is embedded
	}
	return loc
}
