package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// RSSKiB is the process's resident set size (VmRSS of /proc/self/status)
// in KiB, 0 when it cannot be read.
func RSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	return 0
}
