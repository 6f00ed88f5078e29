/* tendo — the command line: git-style subcommands dispatched from a table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "tendo_version.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

/* In the order people use them: a runner after a run, a coach across
 * weeks, a scientist with a study; a NULL name starts a group. */
static const command COMMANDS[] = {
    {"demo", tendo_cmd_demo, "see the whole product on built-in sample data"},
    {NULL, NULL, "After a run"},
    {"pods", tendo_cmd_pods, "list the attached pods and the recordings they hold"},
    {"sync", tendo_cmd_sync, "download new recordings from the pods into session files"},
    {"analyze", tendo_cmd_analyze, "find the steps and measure a session (stored in the file)"},
    {"inspect", tendo_cmd_inspect, "check a session file and show what it holds"},
    {NULL, NULL, "Across weeks (the catalog)"},
    {"athlete", tendo_cmd_athlete, "add, change or list the athletes of the catalog"},
    {"add", tendo_cmd_add, "register session files in the catalog (analysed for load)"},
    {"diary", tendo_cmd_diary, "record pain and morning stiffness, by day or from a CSV"},
    {"load", tendo_cmd_load, "an athlete's training load by day and week, with ratios"},
    {"flags", tendo_cmd_flags, "training-spike and symptom flags, and a coach's review"},
    {"capacity", tendo_cmd_capacity, "calf capacity: heel-raise test reps, heights, L/R symmetry"},
    {"report", tendo_cmd_report, "the coach's report: one HTML file per athlete or squad"},
    {NULL, NULL, "Studies and other data"},
    {"batch", tendo_cmd_batch, "analyse many sessions in parallel into one table (resumable, MPI)"},
    {"import", tendo_cmd_import, "turn other sensors' CSV files into a session file"},
    {"export", tendo_cmd_export, "write a session's samples as CSV, one file per pod"},
    {"simulate", tendo_cmd_simulate, "make a synthetic two-foot run with ground truth"},
    {"podsim", tendo_cmd_podsim, "run a command with emulated pods attached (no hardware)"},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: tendo [--version] [--help] COMMAND [ARGS]\n"
            "\n"
            "tendo turns shoe-pod IMU recordings into steps, speed and Achilles load.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (COMMANDS[i].name)
            fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
        else
            fprintf(out, "\n %s:\n", COMMANDS[i].summary);
    }
    fprintf(out,
            "\n"
            "Run 'tendo COMMAND --help' for a command's options.\n"
            "New here? 'tendo demo' runs the whole pipeline on built-in data.\n"
            "\n"
            "Exit codes: 0 ok, 64 usage, 65 bad data, 66 no input, 69 device unavailable,\n"
            "70 internal error, 73 cannot create output, 74 I/O error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        print_help(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("tendo %s\n", TENDO_VERSION);
        return 0;
    }
    if (!strcmp(name, "help")) {
        if (argc < 3) {
            print_help(stdout);
            return 0;
        }
        name = argv[2];
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (COMMANDS[i].name && !strcmp(COMMANDS[i].name, name)) {
                char *help_argv[] = {argv[2], "--help", NULL};
                return COMMANDS[i].run(2, help_argv);
            }
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (COMMANDS[i].name && !strcmp(COMMANDS[i].name, name))
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tendo: '%s' is not a tendo command. See 'tendo --help'.\n", name);
    return CLI_EXIT_USAGE;
}
