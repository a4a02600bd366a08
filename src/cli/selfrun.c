/* SPDX-License-Identifier: BSD-2-Clause */
/* selfrun.c - analyze a trace into a database with this same binary. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpana/selfrun.h"

int mp_selfrun_analyze(const char *trace, const char *db, bool packets)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	pid_t pid;
	int status;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl(self, "mpana", "-r", trace, "-q", "--db", db,
		      packets ? "--db-packets" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
