//go:build !race

package files

// raceOn: the race detector is on.
const raceOn = false
