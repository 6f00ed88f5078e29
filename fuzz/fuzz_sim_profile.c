/*
 * Fuzz target: the simulator's JSON profile (tools/sim/sim_profile.c), as
 * `tendo simulate --profile` reads it. The input is the JSON text. A profile
 * that parses and is short runs through the generator too (100 Hz, a few
 * hundred samples per pod), so values at the edges of the accepted ranges
 * reach the model's arithmetic.
 */
#include <stdlib.h>
#include <string.h>

#include "tendo_sim.h"

#define MAX_GENERATED_S 20.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    tendo_sim_profile p;
    tendo_sim_profile_init(&p);
    tendo_error err;
    tendo_error_clear(&err);
    if (tendo_sim_profile_parse(text, "fuzz.json", &p, &err) == TENDO_OK &&
        tendo_sim_profile_check(&p, "fuzz.json", &err) == TENDO_OK &&
        tendo_sim_profile_duration(&p) <= MAX_GENERATED_S) {
        tendo_sim_options o;
        tendo_sim_options_default(&o);
        o.rate_hz = 100.0;
        o.seed = size;
        tendo_sim *s = NULL;
        if (tendo_sim_create(&s, &p, &o, &err) == TENDO_OK) {
            enum { N = 256 };
            static int64_t time_us[N];
            static double t_s[N], accel[3 * N], gyro[3 * N];
            static uint8_t status[N];
            tendo_sim_block blk = {time_us, t_s, accel, gyro, status};
            for (size_t pod = 0; pod < TENDO_SIM_PODS; pod++)
                while (tendo_sim_next(s, pod, N, &blk) > 0)
                    ;
            tendo_sim_free(s);
        }
    }
    tendo_sim_profile_free(&p);
    free(text);
    return 0;
}
