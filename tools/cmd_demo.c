/* Placeholder while the command is being written; replaced before landing. */
#include <stdio.h>

#include "commands.h"

int tendo_cmd_demo(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "tendo %s: not built yet\n", argv[0]);
    return 70;
}
