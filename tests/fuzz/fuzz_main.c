/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_main.c - a plain main() for the libFuzzer targets, after libpcap's
 * testprogs/fuzz/onefile.c: replays files and directories (their regular
 * files, in name order) through LLVMFuzzerTestOneInput, so CI checks every
 * committed corpus entry and past finding under gcc + ASan/UBSan without
 * libFuzzer (STYLE R21, ctest fuzz.replay.<group>).
 *
 * usage: fuzz_<group> FILE|DIR...   exit 0 when every input ran, 1 when an
 * input could not be read, 2 on usage. A crash is the sanitizer's report. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long n_inputs;

/* Reads `path` whole and runs it. Returns 0, or -1 when it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int ret = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	/* an exact-size buffer, so ASan sees a read one byte past the input */
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	n_inputs++;
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "%s: cannot read\n", path);
	free(buf);
	fclose(f);
	return ret;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent **ents;
	int n, ret = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	n = scandir(path, &ents, NULL, by_name);
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];
		struct stat sst;

		if (ents[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof sub, "%s/%s", path,
				     ents[i]->d_name) < sizeof sub &&
		    stat(sub, &sst) == 0 && S_ISREG(sst.st_mode) &&
		    run_file(sub) != 0)
			ret = -1;
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int main(int argc, char **argv)
{
	int ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i]) != 0)
			ret = 1;
	printf("%s: %lu inputs replayed\n", argv[0], n_inputs);
	return ret;
}
