//go:build race

package livemodel

// raceEnabled: under the race detector a sequence costs about ten times as
// much, so Run's default is a tenth (make test runs the full count without
// -race as well).
const raceEnabled = true
