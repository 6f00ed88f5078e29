/*
 * commands.h — the `tendo` subcommands. Each takes argc/argv with argv[0]
 * the subcommand name, handles its own --help, and returns the process exit
 * code (0, or a sysexits code from tendo_exit_code()).
 */
#ifndef TENDO_COMMANDS_H
#define TENDO_COMMANDS_H

int tendo_cmd_demo(int argc, char **argv);
int tendo_cmd_simulate(int argc, char **argv);
int tendo_cmd_import(int argc, char **argv);
int tendo_cmd_export(int argc, char **argv);
int tendo_cmd_inspect(int argc, char **argv);
int tendo_cmd_analyze(int argc, char **argv);
int tendo_cmd_capacity(int argc, char **argv);
int tendo_cmd_report(int argc, char **argv);
int tendo_cmd_batch(int argc, char **argv);
int tendo_cmd_athlete(int argc, char **argv);
int tendo_cmd_add(int argc, char **argv);
int tendo_cmd_diary(int argc, char **argv);
int tendo_cmd_load(int argc, char **argv);
int tendo_cmd_flags(int argc, char **argv);
int tendo_cmd_podsim(int argc, char **argv);
int tendo_cmd_pods(int argc, char **argv);
int tendo_cmd_sync(int argc, char **argv);

#endif
