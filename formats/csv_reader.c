/* Placeholder; being written. */
#include "tendo_csv.h"
