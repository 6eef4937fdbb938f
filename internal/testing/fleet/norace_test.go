//go:build !race

package fleet

const raceSlowdown = 1
