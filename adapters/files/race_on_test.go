//go:build race

package files

// raceOn: the race detector is on (it slows this package's tests about
// tenfold; TestLiveModel runs fewer sequences).
const raceOn = true
