//go:build race

package fleet

// raceSlowdown slows the simulations of the tests down under the race
// detector, whose cost per call would otherwise bend the results.
const raceSlowdown = 3
