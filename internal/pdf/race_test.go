//go:build race

package pdf

// raceDetector: the race detector's sync.Pool drops a quarter of what is
// put back, at random (TestSpoolReusesMemory).
const raceDetector = true
