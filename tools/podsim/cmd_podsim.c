/*
 * tendo podsim — the same as tendo-podsim (acquire/PODSIM.md): runs the
 * emulator that sits next to the tendo binary, so `tendo podsim --help`
 * finds it too and its messages ("tendo podsim: ...") name a real command.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

#define PODSIM_BIN "tendo-podsim"

int tendo_cmd_podsim(int argc, char **argv)
{
    (void)argc;
    char self[PATH_MAX], path[PATH_MAX + sizeof PODSIM_BIN];
    if (cli_self_and_sibling(PODSIM_BIN, self, sizeof self, path, sizeof path) != 0) {
        fprintf(stderr, "tendo podsim: cannot find the tendo binary (%s)\n", strerror(errno));
        return 70;
    }
    argv[0] = path;
    execv(path, argv);
    fprintf(stderr,
            "tendo podsim: %s is missing (%s): the emulator needs umockdev at build time; run "
            "scripts/setup.sh and rebuild\n",
            path, strerror(errno));
    return 69;
}
