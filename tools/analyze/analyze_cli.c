/* analyze_cli.c — see analyze_cli.h. */
#include "analyze_cli.h"

#include <string.h>

#include "cli.h"
#include "tendo_session.h" /* tendo_placement */

int tendo_analyze_cli_option(const char *cmd, int argc, char **argv, int *i, int *placement,
                             double *mass_kg, double *damage_k)
{
    const char *v = NULL;
    int r;
    if ((r = cli_option_value(cmd, argc, argv, i, "--placement", &v)) != 0) {
        if (r != 1)
            return r;
        if (!strcmp(v, "foot"))
            *placement = TENDO_PLACEMENT_FOOT;
        else if (!strcmp(v, "shank"))
            *placement = TENDO_PLACEMENT_SHANK;
        else
            return cli_usage(cmd, "--placement is 'foot' or 'shank', not '%s'", v);
        return 1;
    }
    if ((r = cli_option_value(cmd, argc, argv, i, "--mass", &v)) != 0)
        return r != 1 ? r : (r = cli_parse_double(cmd, "--mass", v, 20, 300, mass_kg)) ? r : 1;
    if ((r = cli_option_value(cmd, argc, argv, i, "--damage-k", &v)) != 0)
        return r != 1 ? r : (r = cli_parse_double(cmd, "--damage-k", v, 1, 20, damage_k)) ? r : 1;
    return 0;
}
