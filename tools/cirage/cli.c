/* SPDX-License-Identifier: ISC */
/*
 * cli.c - what the commands share (cli.h): error and usage messages,
 * option values, the folder argument.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'cirage help%s%s'.\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

bool is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

const char *option_value(int argc, char **argv, int *i, const char *lng, const char *shrt,
                         bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	*missing = false;
	if (strncmp(a, lng, n) == 0 && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (shrt && strncmp(a, shrt, strlen(shrt)) == 0 && a[strlen(shrt)])
		return a + strlen(shrt);
	return NULL;
}

int folder_argument(const char *cmd, const char **dir, const char *arg)
{
	if (*dir)
		return usage_error(cmd, "more than one folder given ('%s' and '%s')", *dir, arg);
	*dir = arg;
	return 0;
}

int dir_arguments(const char *cmd, int argc, char **argv, const char **dir)
{
	*dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return command_help(cmd);
		if (argv[i][0] == '-')
			return usage_error(cmd, "unknown option '%s' (valid: --help)", argv[i]);
		if (folder_argument(cmd, dir, argv[i]))
			return EXIT_USAGE;
	}
	if (!*dir)
		*dir = ".";
	return -1;
}
