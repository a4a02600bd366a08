# SPDX-License-Identifier: BSD-2-Clause
# Helpers for the live-capture tests (sourced by bash scripts): conditions
# to wait for instead of fixed sleeps.

# wait_capture PID [NETNS]: returns 0 once process PID holds a packet socket
# with its BPF filter attached (libpcap attaches the filter last, so the
# capture is then complete: `ss -0 -b -p` shows it), 1 when PID has ended or
# after 30 s.
wait_capture() {
	local pid=$1 ns=${2:-} i
	local ss=(ss -0 -b -p)
	[ -n "$ns" ] && ss=(ip netns exec "$ns" ss -0 -b -p)
	for i in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || return 1
		"${ss[@]}" 2>/dev/null | awk -v pid="pid=$pid," '
			index($0, pid) { mine = 1; next }
			mine && /bpf filter \(/ { n = $3; gsub(/[():]/, "", n); if (n + 0 > 1) found = 1 }
			{ mine = 0 }
			END { exit !found }' && return 0
		sleep 0.05
	done
	return 1
}

# wait_idle PID: returns 0 once PID is asleep and has used no CPU time for
# 0.5 s (five times libpcap's 100 ms block timeout: everything captured so far
# has been read and handled), 1 when PID has ended or after 30 s.
wait_idle() {
	local pid=$1 last= same=0 i st
	for i in $(seq 300); do
		st=$(awk '{print $3, $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 1
		[ -n "$st" ] || return 1
		if [ "${st%% *}" = S ] && [ "$st" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 5 ] && return 0
		else
			same=0
		fi
		last=$st
		sleep 0.1
	done
	return 1
}

# wait_line FILE REGEX [SECONDS]: returns 0 once FILE has a line matching
# the extended REGEX, 1 after SECONDS (default 30).
wait_line() {
	local i
	for i in $(seq $((${3:-30} * 20))); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
