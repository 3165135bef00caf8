# make bench's scale chart (scripts/bench-scale.sh): time per reply against extra mounts and
# veth interfaces, one panel per command, one curve per agent.
#   gnuplot -e "datafile='.build/bench-scale/chart.dat'; outfile='docs/bench-scale.svg'" scripts/bench-scale.gp
# chart.dat (qga-bench --scale-report): one block per command, columns size, qemu-ga-swift,
# qemu-ga 10.0.2, qemu-ga 7.2, the kernel's own read of /proc/self/mountinfo. The polled commands
# are the agent's CPU time per reply (steady on a busy machine), freeze and thaw wall time.
if (!exists("datafile")) datafile = ".build/bench-scale/chart.dat"
if (!exists("outfile")) outfile = "docs/bench-scale.svg"
set terminal svg size 1200,1250 dynamic font "sans,12" background "#ffffff"
set output outfile

commands = "guest-get-fsinfo guest-network-get-interfaces guest-get-vcpus guest-fsfreeze-status guest-fsfreeze-freeze-list guest-fsfreeze-thaw"
agents = "qemu-ga-swift|qemu-ga 10.0.2|qemu-ga 7.2"
agent(i) = (i == 1 ? "qemu-ga-swift" : i == 2 ? "qemu-ga 10.0.2" : "qemu-ga 7.2")

set style line 1 lc rgb "#d62728" lw 2.5 pt 7 ps 0.9
set style line 2 lc rgb "#1f77b4" lw 2 pt 5 ps 0.9
set style line 3 lc rgb "#2ca02c" lw 2 pt 9 ps 1.0
set style line 4 lc rgb "#7f7f7f" lw 2 dt 2 pt 0

set multiplot layout 3,2 title "Time per reply against extra mounts and veth interfaces (make bench, scale section; docs/BENCHMARKS-scale.md)" font ",14"
set grid
set key top left box opaque
set xlabel "extra mounts / veth interfaces"
set xrange [0:*]
set format y "%g"

do for [i = 1:6] {
    set title word(commands, i) font ",13"
    # qemu-ga's interfaces grow quadratically and 7.2's fsinfo with every bind mount, the
    # others' near the kernel's own read: only a log scale shows them all.
    if (i <= 2) {
        set yrange [*:*]
        set logscale y 10
        set key bottom right box opaque
        set ylabel "CPU ms per reply (log scale)"
    } else {
        unset logscale y
        set key top left box opaque
        set yrange [0:*]
        set ylabel (i <= 4 ? "CPU ms per reply" : "wall ms per reply")
    }
    if (i == 1) {
        plot for [c = 1:3] datafile index (i - 1) using 1:(column(c + 1)) with linespoints ls c title agent(c), \
             datafile index 0 using 1:5 with lines ls 4 title "kernel alone: read /proc/self/mountinfo"
    } else {
        plot for [c = 1:3] datafile index (i - 1) using 1:(column(c + 1)) with linespoints ls c title agent(c)
    }
}
unset multiplot
