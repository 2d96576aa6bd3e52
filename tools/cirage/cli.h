/* SPDX-License-Identifier: ISC */
/*
 * cli.h - the command line: the commands main.c dispatches to, one file
 * each, what one command asks of another, and what they share (cli.c):
 * exit statuses, error and usage messages, option parsing, --help.
 *
 * Exit statuses: 0 on success, 1 on an error, 2 on a usage error;
 * `cirage run` exits with the image's own status.
 */
#ifndef CIRAGE_TOOL_CLI_H
#define CIRAGE_TOOL_CLI_H

#include <stdbool.h>

#include "config.h"

enum { EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* The commands, each given its own argv (argv[0] is its name); they
 * return the exit status. */
int cmd_configure(int argc, char **argv); /* configure.c */
int cmd_build(int argc, char **argv); /* build.c */
int cmd_run(int argc, char **argv); /* run.c */
int cmd_describe(int argc, char **argv); /* describe.c */
int cmd_inspect(int argc, char **argv); /* inspect.c */
int cmd_impls(int argc, char **argv); /* impls.c */
int cmd_clean(int argc, char **argv); /* clean.c */
int cmd_kv(int argc, char **argv); /* kv.c: runs build/bin/cirage-kv */

/* configure.c: check DIR/cirage.toml against args and (re)generate
 * DIR/_build/; quiet: no summary on stdout. An exit status. */
int configure_app(const char *dir, const struct config_args *args, bool quiet);
/* build.c: configure DIR again with the options it was configured with,
 * then compile it; for_run: what make prints goes to stderr. An exit
 * status. */
int build_app(const char *dir, bool for_run);

/* main.c: print the help of command name to stdout; returns 0. */
int command_help(const char *name);

/* "cirage: error: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "cirage CMD: MESSAGE" and where to find help, on stderr; returns
 * EXIT_USAGE. cmd may be NULL. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* -h or --help. */
bool is_help(const char *arg);

/* Parse "--name=value", "--name value", "-t value", "-tvalue" at argv[*i]
 * (shrt may be NULL). Returns the value (advancing *i past a separate
 * one) or NULL if the argument is not that option; *missing when the
 * value is missing. */
const char *option_value(int argc, char **argv, int *i, const char *lng, const char *shrt,
                         bool *missing);
/* The folder argument arg of command cmd: stored in *dir, or, when one
 * was given already, a usage error (EXIT_USAGE). 0 otherwise. */
int folder_argument(const char *cmd, const char **dir, const char *arg);
/* The arguments of a command that takes only --help and [DIR]: -1 with
 * *dir set (default "."), or the exit status to return (after its help
 * or a usage error). */
int dir_arguments(const char *cmd, int argc, char **argv, const char **dir);

#endif
